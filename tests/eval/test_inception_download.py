"""The FID Inception graph: downloaded once into the cache, checked, reused.

A stand-in archive (tests/eval/graphs: the real graph's tensor names, a few
weights) is served on 127.0.0.1 in place of the 90 MB original; `url` and
`sha256` are the arguments a test sets, `inception_graph.URL` and
`ARCHIVE_SHA256` their defaults.
"""

import hashlib
import io
import tarfile
import time

import numpy as np
import pytest

from nda_tf.eval import backbones
from nda_tf.eval.backbones import inception_graph
from tests.eval import graphs
from tests.local_http import FileServer, refused_url

ARCHIVE = "/inception-2015-12-05.tgz"


def _archive(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


EXPECTED = graphs.inception_like_graph_def()
GRAPH = EXPECTED.SerializeToString()
STAND_IN = _archive({"inception/" + inception_graph.GRAPH_FILE: GRAPH})


def test_the_graph_is_downloaded_once_and_then_read_from_the_cache(
    tmp_path,
):
    digest = hashlib.sha256(STAND_IN).hexdigest()
    with FileServer({ARCHIVE: STAND_IN}) as server:
        url = server.url(ARCHIVE)
        for _ in range(2):
            graph_def = inception_graph.read_graph_def(
                cache_dir=tmp_path, download=True, url=url, sha256=digest
            )
            assert graph_def == EXPECTED
        assert server.requests == [ARCHIVE]
    cached = inception_graph.cached_graph_path(tmp_path)
    # Only the graph and its digest are kept, not the archive.
    assert sorted(p.name for p in cached.parent.iterdir()) == [
        inception_graph.GRAPH_FILE,
        inception_graph.GRAPH_FILE + ".sha256",
    ]
    # Offline from now on: the extractor reads the cache.
    extractor = backbones.InceptionGraph(cache_dir=tmp_path, download=False)
    images = np.zeros([2, 8, 8, 3], "float32")
    expected, _ = graphs.expected_outputs((images + 1.0) * 127.5)
    np.testing.assert_allclose(extractor(images), expected, atol=1e-5)


def test_a_damaged_cache_is_fetched_again(tmp_path, monkeypatch):
    # Downloads are the default (the test set-up turns them off).
    monkeypatch.delenv("NDA_TF_NO_DOWNLOAD")
    with FileServer({ARCHIVE: STAND_IN}) as server:
        url = server.url(ARCHIVE)
        inception_graph.read_graph_def(cache_dir=tmp_path, url=url)
        cached = inception_graph.cached_graph_path(tmp_path)
        cached.write_bytes(GRAPH[:-10])  # a truncated copy
        with pytest.raises(ValueError, match="does not match the SHA-256"):
            inception_graph.read_graph_def(cache_dir=tmp_path, download=False)
        graph_def = inception_graph.read_graph_def(cache_dir=tmp_path, url=url)
        assert server.requests == [ARCHIVE] * 2
    assert graph_def == EXPECTED


def test_a_wrong_checksum_or_content_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("NDA_TF_NO_DOWNLOAD")
    wrong_member = _archive({"inception/other.pb": GRAPH})
    with FileServer({ARCHIVE: STAND_IN, "/other.tgz": wrong_member}) as srv:
        with pytest.raises(ValueError, match="expected 11"):
            inception_graph.read_graph_def(
                cache_dir=tmp_path, url=srv.url(ARCHIVE), sha256="11" * 32
            )
        with pytest.raises(ValueError, match="not the Inception archive"):
            inception_graph.read_graph_def(
                cache_dir=tmp_path, url=srv.url("/other.tgz")
            )
    assert not inception_graph.cached_graph_path(tmp_path).exists()
    assert list(tmp_path.rglob("*.*")) == []


def test_offline_the_first_attempt_fails_within_seconds(tmp_path):
    start = time.monotonic()
    with pytest.raises(ValueError) as caught:
        inception_graph.read_graph_def(
            cache_dir=tmp_path, download=True, url=refused_url(ARCHIVE)
        )
    assert time.monotonic() - start < 5
    message = str(caught.value)
    assert "downloading it failed: cannot reach 127.0.0.1" in message
    assert str(inception_graph.cached_graph_path(tmp_path)) in message
