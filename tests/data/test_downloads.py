"""Downloads by default, verified, cached once; offline fails in seconds.

Everything is served by a local HTTP server on 127.0.0.1 (tests/local_http);
"offline" is a port nothing listens on (connection refused at once). The
tfds tests use a tiny builder whose one file comes from that server: they
show that a missing dataset is downloaded and prepared into `data_dir` by
default, reused without the server afterwards, refused fast when the
server cannot be reached, and never fetched with downloads off. They do not
download a real tfds dataset (no network here).
"""

import hashlib
import io
import time

import numpy as np
import pytest
import tensorflow_datasets as tfds

from nda_tf import data, training
from nda_tf.data import downloads
from tests.local_http import FileServer, refused_url

BODY = b"a small stand-in for a large file\n" * 64


@pytest.fixture(autouse=True)
def default_setting():
    """Every test starts and ends with the process setting unset."""
    downloads.set_allowed(None)
    yield
    downloads.set_allowed(None)
    data.set_bad_files("stop")


def test_downloads_are_on_by_default_and_can_be_turned_off(monkeypatch):
    monkeypatch.delenv(downloads.ENV_NO_DOWNLOAD, raising=False)
    assert downloads.allowed()
    monkeypatch.setenv(downloads.ENV_NO_DOWNLOAD, "1")
    assert not downloads.allowed()
    assert downloads.allowed(True)  # an explicit argument wins
    monkeypatch.delenv(downloads.ENV_NO_DOWNLOAD)
    training.apply_data_access({"no_download": True, "bad_files": "skip"})
    assert not downloads.allowed()
    training.apply_data_access({"no_download": False, "bad_files": "stop"})
    assert downloads.allowed()


def test_fetch_verifies_and_downloads_once(tmp_path):
    target = tmp_path / "cache" / "file.bin"
    digest = hashlib.sha256(BODY).hexdigest()
    with FileServer({"/file.bin": BODY}) as server:
        url = server.url("/file.bin")
        assert downloads.fetch(url, target, digest).read_bytes() == BODY
        assert downloads.fetch(url, target, digest).read_bytes() == BODY
        assert server.requests == ["/file.bin"]  # the cache was reused
        target.write_bytes(b"damaged")
        assert downloads.fetch(url, target, digest).read_bytes() == BODY
        assert server.requests == ["/file.bin"] * 2
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.bin"]


def test_fetch_refuses_a_checksum_mismatch(tmp_path):
    target = tmp_path / "file.bin"
    with FileServer({"/file.bin": BODY}) as server:
        with pytest.raises(downloads.DownloadError, match="expected 00"):
            downloads.fetch(server.url("/file.bin"), target, "00" * 32)
    assert list(tmp_path.iterdir()) == []  # nothing cached, no .part left


def test_fetch_offline_and_missing_files_fail_at_once(tmp_path):
    start = time.monotonic()
    with pytest.raises(downloads.DownloadError, match="cannot reach 127"):
        downloads.fetch(refused_url(), tmp_path / "file.bin")
    assert time.monotonic() - start < 5
    with FileServer({}) as server:
        with pytest.raises(downloads.DownloadError, match="404"):
            downloads.fetch(server.url("/gone.bin"), tmp_path / "gone.bin")
    assert list(tmp_path.iterdir()) == []


class NdaTinyDownload(tfds.core.GeneratorBasedBuilder):
    """A tfds dataset of three 4x4 images in an .npz fetched from `URL`."""

    VERSION = tfds.core.Version("1.0.0")
    URL = None  # set by each test to its server

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(4, 4, 3)),
                    "label": tfds.features.ClassLabel(num_classes=2),
                }
            ),
        )

    @property
    def url_infos(self):
        # What tfds reads from a registered checksums file: the URLs.
        return {type(self).URL: None}

    def _split_generators(self, dl_manager):
        return {"train": self._generate_examples(dl_manager.download(self.URL))}

    def _generate_examples(self, path):
        with np.load(path) as arrays:
            for index, (image, label) in enumerate(
                zip(arrays["images"], arrays["labels"], strict=True)
            ):
                yield index, {"image": image, "label": int(label)}


IMAGES = np.arange(3 * 4 * 4 * 3, dtype=np.uint8).reshape(3, 4, 4, 3)


def _npz_bytes():
    buffer = io.BytesIO()
    np.savez(buffer, images=IMAGES, labels=np.array([0, 1, 1]))
    return buffer.getvalue()


def test_a_missing_tfds_dataset_is_downloaded_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv(downloads.ENV_NO_DOWNLOAD, raising=False)
    with FileServer({"/tiny.npz": _npz_bytes()}) as server:
        NdaTinyDownload.URL = server.url("/tiny.npz")
        images, labels, info = data.read_arrays(
            "nda_tiny_download", data_dir=str(tmp_path)
        )
        assert server.requests == ["/tiny.npz"]
    np.testing.assert_array_equal(np.sort(labels), [0, 1, 1])
    assert info.num_examples == 3 and info.num_classes == 2
    assert sorted(images.sum(axis=(1, 2, 3)).tolist()) == sorted(
        IMAGES.astype(int).sum(axis=(1, 2, 3)).tolist()
    )
    # Prepared in data_dir: read again with the server gone.
    _, info = data.load("nda_tiny_download", data_dir=str(tmp_path))
    assert info.num_examples == 3


def test_an_unreachable_tfds_server_fails_within_seconds(tmp_path):
    NdaTinyDownload.URL = refused_url("/tiny.npz")
    start = time.monotonic()
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.load("nda_tiny_download", data_dir=str(tmp_path), download=True)
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert "cannot be downloaded (cannot reach 127.0.0.1" in message
    assert "tfds build nda_tiny_download" in message and "\n" not in message


class NdaTinyNoUrls(NdaTinyDownload):
    """The same dataset from a builder that registers no URL (no checksums
    file): its server is known only when its code asks tfds for the file."""

    @property
    def url_infos(self):
        return {}


def test_a_builder_without_registered_urls_fails_within_seconds(tmp_path):
    # Without the probe of each URL tfds opens, tfds retries the refused
    # connection for minutes (about 200 s measured).
    NdaTinyNoUrls.URL = refused_url("/tiny.npz")
    start = time.monotonic()
    with pytest.raises(data.DatasetUnavailable) as caught:
        data.load("nda_tiny_no_urls", data_dir=str(tmp_path), download=True)
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert "downloading it failed (cannot reach 127.0.0.1" in message
    assert "tfds build nda_tiny_no_urls" in message and "\n" not in message


def test_a_builder_without_registered_urls_still_downloads(tmp_path):
    with FileServer({"/tiny.npz": _npz_bytes()}) as server:
        NdaTinyNoUrls.URL = server.url("/tiny.npz")
        _, labels, info = data.read_arrays(
            "nda_tiny_no_urls", data_dir=str(tmp_path), download=True
        )
        # The probe opens a connection but asks for nothing.
        assert server.requests == ["/tiny.npz"]
    assert info.num_examples == 3
    np.testing.assert_array_equal(np.sort(labels), [0, 1, 1])
    # The patch lasts only while tfds loads.
    from tensorflow_datasets.core.download import downloader

    assert downloader._open_url.__module__ == downloader.__name__


def test_no_download_never_asks_the_server(tmp_path):
    with FileServer({"/tiny.npz": _npz_bytes()}) as server:
        NdaTinyDownload.URL = server.url("/tiny.npz")
        training.apply_data_access({"no_download": True})
        with pytest.raises(data.DatasetUnavailable, match="downloads are off"):
            data.load("nda_tiny_download", data_dir=str(tmp_path))
        assert server.requests == []


def test_the_commands_that_read_data_have_the_access_options():
    from nda_tf.contrastive.recipe import MOCO
    from nda_tf.experiments import evaluate, export, ood
    from nda_tf.gan.recipe import GAN

    for options in (
        GAN.all_options(),
        MOCO.all_options(),
        evaluate.OPTIONS,
        ood.OPTIONS,
        export.OPTIONS,
    ):
        by_name = {option.name: option for option in options}
        assert by_name["no_download"].default is False
        assert by_name["bad_files"].allowed() == ("stop", "skip")
        # How data is reached is not what a run learns: not recorded.
        assert not by_name["no_download"].recorded


def test_a_hanging_name_lookup_is_abandoned(monkeypatch):
    def slow_lookup(*args, **kwargs):
        time.sleep(3)  # a machine whose DNS server does not answer
        raise OSError("late")

    monkeypatch.setattr(downloads.socket, "getaddrinfo", slow_lookup)
    start = time.monotonic()
    with pytest.raises(downloads.DownloadError, match="took over 0.2 s"):
        downloads.check_reachable("https://example.invalid/x", timeout=0.2)
    assert time.monotonic() - start < 1.5
