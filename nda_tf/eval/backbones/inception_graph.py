"""The TF Inception graph of the standard FID code (inception-2015-12-05).

The frozen GraphDef `classify_image_graph_def.pb` is the network behind
published FIDs (Heusel et al., 2017; the NDA paper's numbers too). As the
standard TF FID code does, images go in as float 0..255 `[B, H, W, 3]` at
the tensor `ExpandDims:0` (the graph resizes them bilinearly to 299x299 and
normalizes them itself); features are `pool_3:0` (2048-d). Class logits
for the Inception Score are `pool_3` times the `softmax/logits/MatMul`
weights (1008 classes, no bias), as in the original IS code.
"""

import hashlib
import os
import pathlib
import tarfile

import tensorflow as tf

from nda_tf.data import downloads
from nda_tf.eval import stats
from nda_tf.eval.backbones import base

URL = (
    "http://download.tensorflow.org/models/image/imagenet/"
    "inception-2015-12-05.tgz"
)
# SHA-256 of the archive at URL. Not pinned yet: it could not be measured
# on the machine this was written on (no network), and no public project
# found records one for this URL (they download it unchecked; TensorFlow's
# classify_image.py logs its size, 88,931,400 bytes). Until it is, a
# download is verified by its content (the GraphDef parses and holds the
# tensors below), and the cached graph by the digest recorded when it was
# cached.
ARCHIVE_SHA256 = None
GRAPH_FILE = "classify_image_graph_def.pb"
INPUT = "ExpandDims:0"
FEATURES = "pool_3:0"
LOGITS_WEIGHTS = "softmax/logits/MatMul"


def cached_graph_path(cache_dir=None):
    root = pathlib.Path(cache_dir) if cache_dir else stats.default_cache_dir()
    return root / "inception-2015-12-05" / GRAPH_FILE


def read_graph_def(
    path=None, cache_dir=None, download=None, url=URL, sha256=ARCHIVE_SHA256
):
    """The GraphDef from a .pb, a .tgz holding it, or the cache.

    A missing cached graph is downloaded once (the archive is fetched,
    checked, its graph extracted into the cache with its SHA-256 beside
    it); later calls read the cache and check it against that digest.

    Args:
        path: a `.pb` or the `inception-2015-12-05.tgz` archive; None looks
            in the cache.
        cache_dir: cache root (default `$NDA_TF_CACHE` or ~/.cache/nda_tf).
        download: fetch the archive into the cache when it is missing;
            None: yes unless downloads are off in this process
            (`--no_download`, $NDA_TF_NO_DOWNLOAD).
        url: where the archive is fetched from.
        sha256: the archive's expected SHA-256 (None: checked by content).
    """
    if path is None:
        path = cached_graph_path(cache_dir)
        if not _cache_is_intact(path):
            if not downloads.allowed(download) and path.is_file():
                raise ValueError(
                    f"the cached Inception graph {path} does not match the "
                    "SHA-256 recorded when it was downloaded (damaged?): "
                    "delete it (or allow downloading to replace it)"
                )
            if not downloads.allowed(download):
                raise ValueError(
                    "the TF Inception graph is not available: put "
                    f"{GRAPH_FILE} (from {url}) at {path}, pass its .pb or "
                    ".tgz path, or allow downloading (drop --no_download "
                    "or $NDA_TF_NO_DOWNLOAD) on a machine with network "
                    "access"
                )
            try:
                _download(path, url, sha256)
            except downloads.DownloadError as error:
                raise ValueError(
                    f"the TF Inception graph is not in the cache ({path}) "
                    f"and downloading it failed: {error}. Copy {GRAPH_FILE} "
                    "(from a machine with network) there, or pass its .pb "
                    "or .tgz path"
                ) from None
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"no Inception graph file at {path}")
    if path.suffix in (".tgz", ".gz") or tarfile.is_tarfile(path):
        data = _read_from_archive(path)
    else:
        data = path.read_bytes()
    return _parse(data, path)


def _parse(data, path):
    graph_def = tf.compat.v1.GraphDef()
    try:
        graph_def.ParseFromString(data)
    except Exception as error:
        raise ValueError(f"{path} is not a TensorFlow GraphDef") from error
    return graph_def


def _read_from_archive(path):
    try:
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                if os.path.basename(member.name) == GRAPH_FILE:
                    return archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ValueError(f"{path} is not a readable archive: {error}") from None
    raise ValueError(f"{path} holds no {GRAPH_FILE}")


def _digest_path(graph):
    return graph.with_name(graph.name + ".sha256")


def _cache_is_intact(graph):
    """Whether the cached graph exists and matches the digest recorded when
    it was cached (a graph placed by hand, without one, is trusted)."""
    if not graph.is_file():
        return False
    recorded = _digest_path(graph)
    if not recorded.is_file():
        return True
    # False: damaged since it was cached; a download replaces it.
    return downloads.sha256_of(graph) == recorded.read_text().strip()


def _download(graph, url, sha256):
    """Fetches the archive, checks its graph, caches graph and digest."""
    archive = downloads.fetch(
        url, graph.with_name(os.path.basename(url)), sha256
    )
    try:
        data = _read_from_archive(archive)
        _check_tensors(_parse(data, archive))
    except ValueError as error:
        archive.unlink()
        raise downloads.DownloadError(
            f"{url} is not the Inception archive ({error}): refused"
        ) from None
    temp = graph.with_suffix(".tmp")
    temp.write_bytes(data)
    _digest_path(graph).write_text(hashlib.sha256(data).hexdigest() + "\n")
    os.replace(temp, graph)
    # The graph is what is kept: the archive would double the cache.
    archive.unlink()


class InceptionGraph(base.FeatureExtractor):
    """Pool-3 features of the TF Inception graph: the published-FID backbone.

    Args:
        path: `classify_image_graph_def.pb` or `inception-2015-12-05.tgz`;
            None looks in the cache (`<cache_dir>/inception-2015-12-05/`).
        cache_dir: the cache root.
        download: fetch the graph once when missing; None: yes, unless
            downloads are off in this process (`--no_download`).
        graph_def: an already parsed GraphDef (overrides `path`).

    Example, with the archive downloaded from `URL` (about 90 MB, so not
    run here):

    >>> extractor = InceptionGraph("inception-2015-12-05.tgz")  # doctest: +SKIP
    >>> extractor(np.zeros([2, 32, 32, 3], "uint8")).shape  # doctest: +SKIP
    (2, 2048)

    Without the graph and with downloads off, the error says where to put it:

    >>> InceptionGraph(cache_dir="cache", download=False)
    Traceback (most recent call last):
    ...
    ValueError: the TF Inception graph is not available: put
    classify_image_graph_def.pb (from http://download.tensorflow.org/...) at
    cache/inception-2015-12-05/classify_image_graph_def.pb, ...

    Reference: Heusel et al., "GANs trained by a two time-scale update rule
    converge to a local Nash equilibrium", NeurIPS 2017 (the FID); Salimans
    et al., 2016 (the Inception Score).
    """

    name = "inception"
    protocol = (
        "TF inception-2015-12-05 pool_3 (2048-d), the graph's own bilinear "
        "resize to 299; comparable with published FIDs"
    )

    def __init__(
        self, path=None, cache_dir=None, download=None, graph_def=None
    ):
        if graph_def is None:
            graph_def = read_graph_def(path, cache_dir, download)
        self._function_pair = _import(graph_def)
        features, logits = self._function_pair.structured_outputs
        self.feature_dim = int(features.shape[-1])
        self.num_classes = int(logits.shape[-1])

    def compute(self, images):
        features, logits = self._function_pair(base.to_0_255(images))
        return {"features": features, "logits": logits}


def _check_tensors(graph_def):
    names = {node.name for node in graph_def.node}
    for tensor in (INPUT, FEATURES):
        if tensor.split(":")[0] not in names:
            raise ValueError(f"the graph has no tensor {tensor!r}")
    if LOGITS_WEIGHTS not in names:
        raise ValueError(f"the graph has no op {LOGITS_WEIGHTS!r}")


def _import(graph_def):
    _check_tensors(graph_def)

    def import_graph(images):
        # Mapping ExpandDims:0 to a batch placeholder bypasses the JPEG
        # decoder and its batch of one.
        pool, weights = tf.compat.v1.import_graph_def(
            graph_def,
            input_map={INPUT: images},
            return_elements=[FEATURES, LOGITS_WEIGHTS],
            name="inception",
        )
        pool = tf.reshape(pool, [tf.shape(images)[0], pool.shape[-1]])
        return pool, tf.matmul(pool, weights.inputs[1])

    spec = tf.TensorSpec([None, None, None, 3], tf.float32)
    wrapped = tf.compat.v1.wrap_function(import_graph, [spec])
    # Pruning keeps only what feeds the outputs: the JPEG decoder and its
    # placeholder are left out of the function.
    return wrapped.prune(wrapped.inputs[:1], list(wrapped.outputs))
