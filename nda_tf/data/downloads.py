"""Downloads by default, fast failure offline, and a switch to turn them off.

Datasets (tfds) and backbone weights are fetched once when missing, as tfds
and the usual FID tools do. On an air-gapped machine turn downloads off with
`--no_download` (which calls `set_allowed(False)`) or the environment
variable `NDA_TF_NO_DOWNLOAD=1`; an explicit `download=True/False` argument
wins over both. Offline, a download is refused within `CONNECT_TIMEOUT`
seconds by a TCP probe of the server, never left to hang.

    >>> allowed(False), allowed(True)
    (False, True)
    >>> check_reachable("http://127.0.0.1:9/x.tgz", timeout=1)
    Traceback (most recent call last):
    ...
    nda_tf.data.downloads.DownloadError: cannot reach 127.0.0.1:9 ...
"""

import contextlib
import hashlib
import os
import pathlib
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request

ENV_NO_DOWNLOAD = "NDA_TF_NO_DOWNLOAD"
# Seconds to open a connection (and between bytes of a transfer): a machine
# without network answers within them instead of hanging.
CONNECT_TIMEOUT = 5.0

_allowed = None  # set by the commands' --no_download; None: the environment


class DatasetUnavailable(ValueError):
    """A dataset that is neither prepared locally nor allowed to download."""


class DownloadError(OSError):
    """A download that cannot happen (no network) or that came out wrong."""


def set_allowed(flag):
    """Allows (True) or forbids (False) downloads in this process; None
    returns to the default (allowed unless $NDA_TF_NO_DOWNLOAD is set)."""
    global _allowed
    _allowed = None if flag is None else bool(flag)


def allowed(download=None):
    """Whether to download: `download` if given, else the process setting.

    Args:
        download: True / False to decide here; None for the process
            setting (`set_allowed`, then $NDA_TF_NO_DOWNLOAD).
    """
    if download is not None:
        return bool(download)
    if _allowed is not None:
        return _allowed
    value = os.environ.get(ENV_NO_DOWNLOAD, "").strip().lower()
    return value in ("", "0", "false", "no")


def check_reachable(url, timeout=None):
    """Raises `DownloadError` unless a TCP connection to `url`'s server
    opens within `timeout` seconds (default `CONNECT_TIMEOUT`)."""
    parts = urllib.parse.urlsplit(url)
    default_port = _PORTS.get(parts.scheme, 80)
    host, port = parts.hostname, parts.port or default_port
    timeout = timeout or CONNECT_TIMEOUT
    try:
        address = _resolve(host, port, timeout)
        with socket.create_connection(address, timeout=timeout):
            pass
    except OSError as error:
        raise DownloadError(
            f"cannot reach {host}:{port} ({error.__class__.__name__}: "
            f"{error}); no network?"
        ) from None


_PORTS = {"http": 80, "https": 443, "ftp": 21}


@contextlib.contextmanager
def probing_tfds_urls(timeout=None):
    """While active, each URL that tfds' downloader opens is probed first
    (`check_reachable`): an unreachable server is a `DownloadError` within
    `timeout` seconds instead of minutes of retries (tfds retries a refused
    connection 10 times with back-off, about 200 s). This covers builders
    that register no URL (no checksums file), whose servers are known only
    when their code asks for them.

    tfds 4.9 opens every URL through `downloader._open_url` (module level,
    looked up at each call); without that function (another tfds) this
    does nothing and the probe of registered URLs remains.
    """
    try:
        from tensorflow_datasets.core.download import downloader
    except ImportError:
        downloader = None
    opener = getattr(downloader, "_open_url", None)
    if opener is None:
        yield
        return

    def probed(url, **kwargs):
        check_reachable(url, timeout)
        return opener(url, **kwargs)

    downloader._open_url = probed
    try:
        yield
    finally:
        downloader._open_url = opener


def _resolve(host, port, timeout):
    """`(ip, port)` of `host`, or TimeoutError: a name lookup ignores socket
    timeouts and can wait for minutes on a machine without DNS, so it runs
    in a thread that is abandoned after `timeout` seconds."""
    found = []

    def lookup():
        try:
            found.append(
                socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            )
        except OSError as error:
            found.append(error)

    thread = threading.Thread(target=lookup, daemon=True)
    thread.start()
    thread.join(timeout)
    if not found:
        raise TimeoutError(f"looking up {host} took over {timeout:g} s")
    if isinstance(found[0], OSError):
        raise found[0]
    return found[0][0][4][:2]


def sha256_of(path):
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url, target, sha256=None, timeout=None):
    """`target`, downloaded from `url` once; a cached copy is reused.

    The file is written to `target.part` and renamed when complete, so an
    interrupted download never looks cached. With `sha256`, both a cached
    and a new file must match it: a mismatch removes the file and raises.

    Args:
        url: http(s) address.
        target: path of the cached file.
        sha256: expected hex digest, or None to accept any content.
        timeout: seconds to connect and between bytes (default
            `CONNECT_TIMEOUT`).

    Returns:
        `pathlib.Path(target)`.

    Raises:
        DownloadError: the server is unreachable, answers with an error,
            or the content does not match `sha256`.
    """
    target = pathlib.Path(target)
    timeout = timeout or CONNECT_TIMEOUT
    if target.is_file():
        if sha256 is None or sha256_of(target) == sha256:
            return target
        # A damaged or replaced cache entry: fetch it again.
        target.unlink()
    check_reachable(url, timeout)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            with open(part, "wb") as file:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    digest.update(chunk)
                    file.write(chunk)
    except (OSError, urllib.error.URLError) as error:
        part.unlink(missing_ok=True)
        raise DownloadError(f"downloading {url} failed: {error}") from None
    if sha256 is not None and digest.hexdigest() != sha256:
        part.unlink()
        raise DownloadError(
            f"{url} has SHA-256 {digest.hexdigest()}, expected {sha256}: "
            "refused (a changed or corrupted file); nothing was cached"
        )
    os.replace(part, target)
    return target
