"""Dense Predictive Coding (DPC) whose predictions also reject NDA clips."""

import keras
import tensorflow as tf

from nda_tf import checks, loss_scaling, transforms
from nda_tf.keras_config import KeepArguments
from nda_tf.models.video import ConvGRU
from nda_tf.video import losses


@keras.saving.register_keras_serializable(package="nda_tf")
class DPC(KeepArguments, keras.Model):
    """DPC (Han et al. 2019) with NDA clips as extra negatives (Table 7).

    A clip of `num_blocks` blocks of `block_frames` frames is encoded block
    by block into feature maps; a ConvGRU aggregates the ReLU of the first
    `num_blocks - pred_steps` and a predictor (1x1 conv, ReLU, 1x1 conv)
    predicts the next block's map from the hidden state, feeding each
    prediction back into the GRU for the step after. `losses.dense_logits`
    scores every predicted position against every true feature of the
    replica's batch. With `nda`, each clip's last `pred_steps` blocks are
    turned into an NDA clip (one transformation per clip, the same on all
    of its frames) and their encoder features join the negatives of every
    prediction. They are encoded in a call of their own, so the DPC
    columns are unchanged and `nda=None` *is* DPC. (That call also moves
    the batch-norm moving averages, which only inference uses.)

    Args:
        encoder: built `keras.Model`, one block `[b, T, H, W, C]` ->
            features `[b, h, w, D]` (see `nda_tf.models.video`).
        num_blocks: int, blocks per clip (DPC on UCF-101: 8).
        block_frames: int, frames per block (DPC: 5).
        pred_steps: int, blocks predicted (DPC: 3), < num_blocks.
        nda: anything `nda_tf.transforms.get` accepts, or None.
        weight_decay: float, L2 penalty added to the loss (DPC's Adam
            weight decay, coupled as in PyTorch: 1e-5).
        seed: optional int for the NDA transformations.

    Call arguments:
        clips: float `[B, num_blocks * block_frames, H, W, C]`.

    `model(clips)` returns the clip embedding `[B, D]`: the GRU state after
    all blocks, averaged over positions (what DPC's classifier reads).

    Example, one step on 4 clips of 4 blocks of 3 frames:

    >>> from nda_tf.models.video import build_encoder
    >>> dpc = DPC(build_encoder("small", (3, 16, 16, 3), width=4),
    ...           num_blocks=4, block_frames=3, pred_steps=2, nda="jigsaw")
    >>> dpc.compile(optimizer=keras.optimizers.Adam(1e-3))
    >>> clips = tf.random.uniform([4, 12, 16, 16, 3], -1, 1)
    >>> sorted(dpc.train_on_batch(clips, return_dict=True))
    ['accuracy', 'loss']
    >>> dpc(clips).shape
    TensorShape([4, 16])

    Reference: Han, Xie, Zisserman, "Video Representation Learning by Dense
    Predictive Coding", ICCV-W 2019; Sinha et al., "Negative Data
    Augmentation", ICLR 2021, Section 6.
    """

    def __init__(
        self,
        encoder,
        num_blocks=8,
        block_frames=5,
        pred_steps=3,
        nda=None,
        weight_decay=1e-5,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_int("num_blocks", num_blocks, 2)
        checks.check_int("block_frames", block_frames, 1)
        checks.check_int("pred_steps", pred_steps, 1, num_blocks - 1)
        checks.check_number("weight_decay", weight_decay, 0.0)
        seed = checks.check_int("seed", seed, 0, allow_none=True)
        if not isinstance(encoder, keras.Model) or not encoder.built:
            raise ValueError(
                "encoder must be a built keras.Model (e.g. functional), "
                f"received {encoder!r}"
            )
        self.keep_arguments(
            encoder=encoder,
            num_blocks=int(num_blocks),
            block_frames=int(block_frames),
            pred_steps=int(pred_steps),
            nda=transforms.get(nda),
            weight_decay=float(weight_decay),
            seed=seed,
        )
        if self.nda is not None:
            self.nda.build(None)  # An unbuilt sub-layer makes fit trace call.
        _, height, width, depth = encoder.output_shape
        self.aggregator = ConvGRU(depth, 1, name="aggregator")
        self.aggregator.build((None, None, height, width, depth))
        self.predictor = _predictor(height, width, depth)
        self.seed_generator = keras.random.SeedGenerator(seed, name="dpc_rng")
        # Held as an attribute so checkpoints restore the random stream.
        self.rng_state = self.seed_generator.state
        self.trackers = {
            n: keras.metrics.Mean(name=n) for n in ("loss", "accuracy")
        }
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, optimizer, **kwargs):
        """`optimizer` for all weights (DPC: Adam, lr 1e-3); other
        arguments go to `keras.Model.compile`. Call it in the strategy's
        scope. Under float16 it is wrapped for loss scaling."""
        optimizer = loss_scaling.with_loss_scaling(optimizer, self.encoder)
        super().compile(optimizer=optimizer, **kwargs)
        optimizer.build(self.trainable_variables)

    def encode(self, clips, training=False):
        """Features `[B, n, h, w, D]` of the n blocks of `clips`."""
        shape = tf.shape(clips)
        blocks = clips.shape[1] // self.block_frames
        frames = tf.reshape(
            clips,
            tf.concat([[shape[0] * blocks, self.block_frames], shape[2:]], 0),
        )
        features = self.encoder(frames, training=training)
        out = tf.shape(features)
        return tf.reshape(features, tf.concat([[shape[0], blocks], out[1:]], 0))

    def predict_future(self, context, training=False):
        """Predicted maps `[B, pred_steps, h, w, D]` from context features
        `[B, n, h, w, D]`, each prediction fed back to the GRU."""
        hidden = self.aggregator(tf.nn.relu(context))
        predictions = []
        for _ in range(self.pred_steps):
            prediction = self.predictor(hidden, training=training)
            predictions.append(prediction)
            hidden = self.aggregator.step(tf.nn.relu(prediction), hidden)
        return tf.stack(predictions, 1)

    def nda_clips(self, clips, seed):
        """NDA clips of the predicted blocks: one transformation per clip,
        the same on all of its frames (the transforms fold time)."""
        first = (self.num_blocks - self.pred_steps) * self.block_frames
        return self.nda.transform_with_seed(clips[:, first:], seed)

    def dense_logits(self, clips, seed=None, training=False):
        """The train step's logits `[M, M (+ M with nda)]`, M = B *
        pred_steps * h * w: DPC's columns first, then the NDA negatives."""
        features = self.encode(clips, training)
        context = self.num_blocks - self.pred_steps
        predictions = self.predict_future(features[:, :context], training)
        negatives = None
        if self.nda is not None:
            # NDA (paper Eq. 8): features of transformed clips are negatives
            # of every prediction; gradients flow as through DPC's own.
            if seed is None:
                seed = self.seed_generator.next()
            negatives = self.encode(self.nda_clips(clips, seed), training)
        return losses.dense_logits(
            predictions, features[:, context:], negatives
        )

    def call(self, clips, training=False):
        features = tf.nn.relu(self.encode(clips, training))
        hidden = self.aggregator(features)
        return tf.reduce_mean(tf.cast(hidden, tf.float32), axis=[1, 2])

    def train_step(self, data):
        clips = self._unpack(data)
        seed = self.seed_generator.next()
        variables = self.trainable_variables
        with tf.GradientTape() as tape:
            logits = self.dense_logits(clips, seed, training=True)
            loss = losses.dense_loss(logits)
            total = loss
            if self.weight_decay:
                total += self.weight_decay * tf.add_n(
                    [tf.nn.l2_loss(tf.cast(v, tf.float32)) for v in variables]
                )
            scaled = loss_scaling.loss_to_differentiate(self.optimizer, total)
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        self.trackers["loss"].update_state(loss)
        self.trackers["accuracy"].update_state(losses.dense_accuracy(logits))
        return {name: t.result() for name, t in self.trackers.items()}

    def _unpack(self, data):
        clips = data[0] if isinstance(data, (tuple, list)) else data
        clips = tf.convert_to_tensor(clips)
        frames = self.num_blocks * self.block_frames
        if clips.shape.rank != 5 or clips.shape[1] != frames:
            raise ValueError(
                f"DPC expects clips [B, {frames}, H, W, C] ({self.num_blocks}"
                f" blocks of {self.block_frames} frames); received shape "
                f"{clips.shape}"
            )
        return clips


def _predictor(height, width, depth):
    conv = dict(kernel_initializer="orthogonal", bias_initializer="zeros")
    return keras.Sequential(
        [
            keras.Input((height, width, depth)),
            keras.layers.Conv2D(depth, 1, activation="relu", **conv),
            keras.layers.Conv2D(depth, 1, **conv),
        ],
        name="predictor",
    )
