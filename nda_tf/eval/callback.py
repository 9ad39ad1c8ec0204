"""A Keras callback that measures FID / KID (and the other metrics of
`pipeline.METRICS`) of the GAN during training."""

import json
import os

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf.eval import batching, pipeline, stats


class EvaluationCallback(keras.callbacks.Callback):
    """Every `every_n_steps` G steps: FID / KID / ... of generated images.

    Images come from `model.generate(batch, seed=...)` (the EMA generator
    of an `NDAGAN`) with the same seeds at every evaluation, so changes
    come from the generator, not from the noise. The results go into the
    training `logs` (keys `fid`, `kid`, `kid_std`, `is`, `is_std`,
    `precision`, `recall`, `density`, `coverage`), where the training loop
    reads them for best-checkpoint selection, and to TensorBoard under
    `logdir` as `eval/<metric>`. Every TensorBoard record names the
    backbone and the image counts: in each scalar's description and in a
    text summary `eval/protocol` (also written into the run loop's own
    `eval/` writer, which is the default writer when the loop calls
    `evaluate`).

    Args:
        reference: `stats.Statistics` of the real images (with features for
            KID), or the path of its .npz.
        extractor: the `FeatureExtractor` the reference was computed with.
        every_n_steps: int >= 1.
        num_samples: generated images per evaluation (the paper: 10000).
        metrics: any names of `pipeline.METRICS` ("fid", "kid", "is",
            "precision", "recall", "density", "coverage").
        logdir: optional TensorBoard directory (e.g. `LOGDIR/eval`).
        seed: int, the fixed sampling seed.
        batch_size: images per backbone call (and per `generate` call
            with moving statistics; a GAN sampled with batch statistics
            of N is called for whole multiples of N).
        strategy: optional `tf.distribute.Strategy` for the backbone.
        kid_subsets: KID protocol (see `fid.kid`).
        kid_subset_size: KID protocol (see `fid.kid`).
        support_k: k of the support metrics (see `support`).
        protocol_path: optional JSON file where each evaluation writes
            `protocol()` (backbone and image counts), which tools that read
            a run directory (the gatherer) print next to the numbers.

    Example, with pixels as features and a stand-in for the GAN whose
    `generate` returns the reference images themselves, so the FID is 0:

    >>> from nda_tf.eval import backbones, pipeline
    >>> pixels = backbones.get(keras.Sequential([keras.layers.Flatten()]))
    >>> real = np.random.default_rng(0).uniform(-1, 1, [64, 2, 2, 3])
    >>> reference = pipeline.compute_statistics(
    ...     real, pixels, num_images=64, progress=False
    ... )
    >>> callback = EvaluationCallback(
    ...     reference, pixels, every_n_steps=10, num_samples=64, metrics=["fid"]
    ... )
    >>> class StandIn(keras.Model):
    ...     def generate(self, num_images, seed):
    ...         return real[:num_images]
    >>> callback.set_model(StandIn())
    >>> abs(callback.evaluate()["fid"]) < 1e-6
    True

    In training, the callback goes to `fit` (a GAN and its data are more
    than an example holds):

    >>> gan.fit(data, callbacks=[callback])  # doctest: +SKIP

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021
    (10k generated vs 10k test images).
    """

    def __init__(
        self,
        reference,
        extractor,
        every_n_steps,
        num_samples=10000,
        metrics=("fid", "kid"),
        logdir=None,
        seed=0,
        batch_size=100,
        strategy=None,
        kid_subsets=100,
        kid_subset_size=1000,
        support_k=3,
        protocol_path=None,
    ):
        super().__init__()
        if not isinstance(reference, stats.Statistics):
            reference = stats.Statistics.load(reference)
        self.metrics = pipeline.check_metrics(metrics)
        if pipeline.keeps_features(self.metrics) and reference.features is None:
            raise ValueError(
                f"{', '.join(self.metrics)} need reference statistics with "
                "features"
            )
        for name, value in (
            ("every_n_steps", every_n_steps),
            ("num_samples", num_samples),
            ("batch_size", batch_size),
        ):
            checks.check_int(name, value, 1)
        self.reference = reference
        self.extractor = extractor
        self.every_n_steps = int(every_n_steps)
        self.num_samples = int(num_samples)
        self.logdir = logdir
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.strategy = strategy
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.support_k = checks.check_int("support_k", support_k, 1)
        self.protocol_path = protocol_path
        self.history = []
        self._writer = None

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_step(batch)
        if step % self.every_n_steps:
            return
        results = self.evaluate()
        if logs is not None:
            logs.update(results)
        self.history.append((step, results))
        self._write(step, results)

    def evaluate(self, model=None):
        """The metrics of `num_samples` images from `model.generate` (the
        callback's model by default)."""
        model = model or self.model
        # A seed per draw: the same images at every evaluation, without
        # holding all of them in memory; a GAN sampled with batch
        # statistics draws whole batches of them.
        sample = batching.drawn_in_units(
            lambda count, start: model.generate(count, seed=self.seed + start),
            getattr(model, "sample_stats_batch", 0) or 0,
        )
        generated = pipeline.compute_statistics(
            sample,
            self.extractor,
            num_images=self.num_samples,
            batch_size=self.batch_size,
            keep_features=pipeline.keeps_features(self.metrics),
            keep_logits="is" in self.metrics,
            strategy=self.strategy,
            progress=False,
        )
        results = pipeline.score(
            generated,
            self.reference,
            self.metrics,
            kid_subsets=self.kid_subsets,
            kid_subset_size=self.kid_subset_size,
            support_k=self.support_k,
        )
        protocol = self.protocol(generated.count, model)
        _protocol_summary(protocol)
        if self.protocol_path is not None:
            write_protocol(self.protocol_path, protocol, self.metrics)
        return results

    def protocol(self, generated=None, model=None):
        """What every number of this callback stands on: `{"backbone",
        "protocol", "generated", "reference", "reference_set",
        "sampling"}` (image counts, the backbone's description, and how a
        GAN's batch norms ran: `sampling_text`, None for other models)."""
        meta = self.reference.metadata
        reference_set = " ".join(
            str(meta[key]) for key in ("dataset", "split") if meta.get(key)
        )
        return {
            "backbone": self.extractor.name,
            "protocol": self.extractor.describe(),
            "generated": int(generated or self.num_samples),
            "reference": self.reference.count,
            "reference_set": reference_set or None,
            "sampling": sampling_text(
                getattr(model or self.model, "sample_stats_batch", None)
            ),
        }

    def _global_step(self, batch):
        # NDAGAN counts its G steps; a plain Keras `fit` passes the 0-based
        # batch index of the epoch instead of the contract's global step.
        step = getattr(self.model, "step", None)
        if step is not None:
            return int(keras.ops.convert_to_numpy(step))
        return int(batch)

    def _write(self, step, results):
        if self.logdir is None:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.logdir))
        protocol = self.protocol()
        with self._writer.as_default(step=step):
            for name, value in results.items():
                tf.summary.scalar(
                    f"eval/{name}", value, description=describe(protocol)
                )
            _protocol_summary(protocol)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def describe(protocol):
    """One line for a `protocol` dict: counts, reference set, backbone,
    and how the generator sampled when known."""
    reference = protocol["reference_set"]
    sampling = protocol.get("sampling")
    return (
        f"{protocol['generated']} generated images"
        f"{f' ({sampling})' if sampling else ''} vs "
        f"{protocol['reference']} reference images"
        f"{f' ({reference})' if reference else ''}; backbone "
        f"{protocol['protocol']}"
    )


def sampling_text(stats_batch):
    """How a GAN's batch norms ran for `NDAGAN.generate(stats_batch=...)`:
    a few words, or None for None (not a GAN)."""
    if stats_batch is None:
        return None
    if stats_batch:
        return f"batch-norm statistics of each batch of {stats_batch}"
    return "moving batch-norm statistics"


def _protocol_summary(protocol):
    """`eval/protocol` text into the default writer, if there is one with a
    step (the run loop's `eval/` writer during its evaluations)."""
    if tf.summary.experimental.get_step() is None:
        return
    tf.summary.text("eval/protocol", describe(protocol))


def write_protocol(path, protocol, metrics):
    """Writes `protocol` and the metric names as JSON, atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temp = f"{path}.tmp{os.getpid()}"
    with open(temp, "w") as file:
        json.dump(dict(protocol, metrics=list(metrics)), file, indent=2)
    os.replace(temp, path)
