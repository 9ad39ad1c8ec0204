"""Streaming feature statistics and their .npz cache.

`RunningStatistics` folds in one batch of features at a time (float64,
Chan et al.'s pairwise update of mean and scatter matrix), so the mean and
covariance of 10k or 50k images never need the images, or even all the
features, in memory. Features are also kept when KID needs them.
"""

import hashlib
import json
import os
import pathlib
import re

import numpy as np


class RunningStatistics:
    """Running mean and covariance of feature vectors.

    Args:
        keep_features: also keep the features (float32), for KID.
        keep_logits: also keep class logits passed to `update`, for IS.

    Example:

    >>> stats = RunningStatistics()
    >>> stats.update(np.ones((4, 3)))
    >>> stats.mean
    array([1., 1., 1.])
    """

    def __init__(self, keep_features=False, keep_logits=False):
        self.keep_features = bool(keep_features)
        self.keep_logits = bool(keep_logits)
        self.count = 0
        self._mean = None
        self._scatter = None
        self._features = []
        self._logits = []

    def update(self, features, logits=None):
        """Adds a batch of features `[b, d]` (and optional logits)."""
        batch = np.asarray(features, np.float64)
        if batch.ndim != 2 or not np.isfinite(batch).all():
            raise ValueError(
                "features must be a finite [batch, dim] array; received "
                f"shape {batch.shape}"
            )
        if self._mean is not None and batch.shape[1] != len(self._mean):
            raise ValueError(
                f"features have dimension {batch.shape[1]}, earlier batches "
                f"{len(self._mean)}"
            )
        if len(batch) == 0:
            return
        mean = batch.mean(0)
        centred = batch - mean
        scatter = centred.T @ centred
        if self._mean is None:
            self._mean, self._scatter, self.count = mean, scatter, len(batch)
        else:
            total = self.count + len(batch)
            delta = mean - self._mean
            self._scatter += scatter + np.outer(delta, delta) * (
                self.count * len(batch) / total
            )
            self._mean += delta * (len(batch) / total)
            self.count = total
        if self.keep_features:
            self._features.append(np.asarray(features, np.float32))
        if self.keep_logits and logits is not None:
            self._logits.append(np.asarray(logits, np.float32))

    @property
    def mean(self):
        self._check_count(1)
        return self._mean.copy()

    @property
    def covariance(self):
        """Unbiased covariance (divides by n - 1, as `np.cov`)."""
        self._check_count(2)
        return self._scatter / (self.count - 1)

    def result(self, **metadata):
        """A `Statistics` with everything gathered so far."""
        features = np.concatenate(self._features) if self._features else None
        logits = np.concatenate(self._logits) if self._logits else None
        return Statistics(
            self.mean, self.covariance, self.count, features, logits, metadata
        )

    def _check_count(self, minimum):
        if self.count < minimum:
            raise ValueError(
                f"need at least {minimum} feature vectors; have {self.count}"
            )


class Statistics:
    """Mean, covariance, count and optional features of one image set.

    Args:
        mean: `[d]`; covariance: `[d, d]`; count: number of images.
        features: optional `[count, d]` float32 (KID needs them).
        logits: optional `[count, classes]` (IS needs them).
        metadata: dict of JSON-able facts (backbone, dataset, protocol).
    """

    def __init__(
        self, mean, covariance, count, features=None, logits=None, metadata=None
    ):
        self.mean = np.asarray(mean, np.float64)
        self.covariance = np.asarray(covariance, np.float64)
        self.count = int(count)
        self.features = features
        self.logits = logits
        self.metadata = dict(metadata or {})

    def save(self, path):
        """Writes an .npz atomically (a temp file, then a rename)."""
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {"mu": self.mean, "sigma": self.covariance}
        if self.features is not None:
            arrays["features"] = self.features
        if self.logits is not None:
            arrays["logits"] = self.logits
        temp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
        np.savez(
            temp,
            count=self.count,
            metadata=json.dumps(self.metadata),
            **arrays,
        )
        os.replace(temp, path)

    @classmethod
    def load(cls, path):
        path = pathlib.Path(path)
        if not path.is_file():
            raise ValueError(f"no statistics file at {path}")
        with np.load(path) as data:
            if "mu" not in data or "sigma" not in data:
                raise ValueError(f"{path} holds no 'mu' and 'sigma' arrays")
            return cls(
                data["mu"],
                data["sigma"],
                int(data["count"]) if "count" in data else 0,
                data["features"] if "features" in data else None,
                data["logits"] if "logits" in data else None,
                json.loads(str(data["metadata"])) if "metadata" in data else {},
            )


def default_cache_dir():
    """`$NDA_TF_CACHE` or `~/.cache/nda_tf`."""
    root = os.environ.get("NDA_TF_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "nda_tf"
    )
    return pathlib.Path(root)


def reference_path(dataset, split, backbone, count, cache_dir=None):
    """Cache file for one (dataset, split, backbone, count).

    Names such as `folder:/data/x` or `cifar10_corrupted/fog_5` are made
    file-safe; a short hash of the exact key keeps distinct keys apart.
    """
    key = f"{dataset}|{split}|{backbone}|{int(count)}"
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key.replace("|", "-"))[:100]
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    root = pathlib.Path(cache_dir) if cache_dir else default_cache_dir()
    return root / "fid_stats" / f"{safe}-{digest}.npz"
