"""NDAPix2Pix: Pix2Pix whose discriminator also sees negative pairs."""

import keras
import tensorflow as tf

from nda_tf import checks, loss_scaling, transforms
from nda_tf.keras_config import KeepArguments
from nda_tf.translation import losses

_METRICS = ("d_loss", "g_loss", "g_gan", "g_l1", "d_real", "d_fake")
_NDA_METRICS = ("d_nda",)


@keras.saving.register_keras_serializable(package="nda_tf")
class NDAPix2Pix(KeepArguments, keras.Model):
    """Pix2Pix (conditional GAN for paired image translation) with NDA.

    The generator maps a condition image to a target image; the PatchGAN
    judges (condition, image) pairs concatenated on channels. With NDA the
    discriminator's fake distribution is `lam * G + (1 - lam) * NDA`
    (paper Eq. 3), where an NDA pair is `(condition, nda(target))`: the real
    target spatially corrupted (jigsaw: its tiles shuffled) and paired with
    its own, intact condition. Such a pair is off the data distribution
    twice over: the target is not a plausible image and it no longer matches
    its condition, which is exactly what D must learn to reject in G's
    output (noisy, misplaced label regions). `joint_nda=True` instead
    transforms condition and target together (one transformation on both),
    a consistent pair of corrupted images: negatives for the image prior
    only. NDA never enters the generator's loss; `lam = 1` or `nda=None` is
    plain Pix2Pix, step for step.

    One train step, as the original: `fake = G(condition)` (dropout on);
    D step on the real, fake (and NDA) pairs, each scored in its own call
    so that batch statistics never mix them; then G step against the
    updated D: non-saturating cGAN loss plus `l1_weight` x L1 for
    `loss="l1_cgan"`.

    Args:
        generator: model `G(condition)` -> images in [-1, 1], e.g.
            `nda_tf.models.pix2pix.unet_generator`.
        discriminator: model `D(concat([condition, image], -1))` -> patch
            logits, e.g. `nda_tf.models.pix2pix.patch_discriminator`.
        nda: anything `nda_tf.transforms.get` accepts, or None.
        lam: float in (0, 1], weight of G in the fake mixture.
        loss: "cgan" or "l1_cgan".
        l1_weight: float >= 0, weight of L1 in "l1_cgan" (paper: 100).
        joint_nda: transform condition and target together.
        seed: optional int for the negatives.

    Example:

    >>> from nda_tf.models import pix2pix
    >>> model = NDAPix2Pix(pix2pix.unet_generator(depth=3, filters=4),
    ...                    pix2pix.patch_discriminator(2, filters=4),
    ...                    nda="jigsaw", lam=0.5, seed=0)
    >>> model.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.5),
    ...               g_optimizer=keras.optimizers.Adam(2e-4, 0.5))
    >>> condition = tf.random.uniform([1, 16, 16, 3], -1, 1)
    >>> logs = model.train_on_batch(condition, condition, return_dict=True)
    >>> sorted(logs)
    ['d_fake', 'd_loss', 'd_nda', 'd_real', 'g_gan', 'g_l1', 'g_loss']
    >>> model(condition).shape
    TensorShape([1, 16, 16, 3])

    References: Sinha et al., "Negative Data Augmentation", ICLR 2021
    (Table 4); Isola et al., "Image-to-Image Translation with Conditional
    Adversarial Networks", CVPR 2017.
    """

    argument_attributes = {"loss": "loss_name"}

    def __init__(
        self,
        generator,
        discriminator,
        nda=None,
        lam=0.25,
        loss="cgan",
        l1_weight=100.0,
        joint_nda=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_number("lam", lam, low=0.0, high=1.0, low_open=True)
        checks.check_number("l1_weight", l1_weight, low=0.0)
        self.keep_arguments(
            generator=generator,
            discriminator=discriminator,
            nda=transforms.get(nda),
            lam=float(lam),
            loss=checks.check_choice("loss", loss, losses.LOSSES),
            l1_weight=float(l1_weight),
            joint_nda=bool(joint_nda),
            seed=checks.check_int("seed", seed, 0, allow_none=True),
        )
        if self.nda is not None:
            self.nda.build(None)
        self.uses_nda = self.nda is not None and self.lam < 1.0
        self.seed_generator = keras.random.SeedGenerator(seed, name="p2p_rng")
        self.rng_state = self.seed_generator.state
        names = _METRICS + (_NDA_METRICS if self.uses_nda else ())
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Args: the two optimizers (paper: Adam(2e-4, 0.5, 0.999)); other
        arguments go to `keras.Model.compile`. Call it in the strategy's
        scope."""
        d, g = self.discriminator, self.generator
        self.d_optimizer = loss_scaling.prepared(
            d_optimizer, d, d.trainable_variables
        )
        self.g_optimizer = loss_scaling.prepared(
            g_optimizer, g, g.trainable_variables
        )
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def call(self, condition, training=False):
        """The translated images (dropout as the generator is set)."""
        return self.generator(condition, training=training)

    @property
    def active_l1_weight(self):
        return self.l1_weight if self.loss_name == "l1_cgan" else 0.0

    def train_step(self, data):
        condition, target = self._unpack(data)
        g_variables = self.generator.trainable_variables
        with tf.GradientTape() as g_tape:
            fakes = tf.cast(
                self.generator(condition, training=True), target.dtype
            )
            with g_tape.stop_recording():
                self._discriminator_step(
                    condition, target, tf.stop_gradient(fakes)
                )
            logits = self._discriminate(condition, fakes)
            loss, gan, l1 = losses.generator_loss(
                logits, fakes, target, self.active_l1_weight
            )
            scaled = loss_scaling.loss_to_differentiate(self.g_optimizer, loss)
        grads = g_tape.gradient(scaled, g_variables)
        self.g_optimizer.apply(grads, g_variables)
        for name, value in (("g_loss", loss), ("g_gan", gan), ("g_l1", l1)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}

    def _discriminator_step(self, condition, target, fakes):
        nda_pair = self.negative_pairs(condition, target)
        with tf.GradientTape() as tape:
            real = self._discriminate(condition, target)
            fake = self._discriminate(condition, fakes)
            # NDA: negative pairs join the fakes with weight 1 - lam.
            nda = None if nda_pair is None else self._discriminate(*nda_pair)
            loss = losses.discriminator_loss(real, fake, nda, self.lam)
            scaled = loss_scaling.loss_to_differentiate(self.d_optimizer, loss)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)
        self.trackers["d_loss"].update_state(loss)
        self.trackers["d_real"].update_state(tf.reduce_mean(real))
        self.trackers["d_fake"].update_state(tf.reduce_mean(fake))
        if nda is not None:
            self.trackers["d_nda"].update_state(tf.reduce_mean(nda))

    def negative_pairs(self, condition, target, seed=None):
        """`(condition, nda(target))`, or both transformed together with
        `joint_nda`; None without NDA. `seed` defaults to the model's own
        generator (checkpointed, so a resumed run draws the same)."""
        if not self.uses_nda:
            return None
        seed = self.seed_generator.next() if seed is None else seed
        if not self.joint_nda:
            return condition, self.nda.transform_with_seed(target, seed)
        channels = condition.shape[-1]
        pair = self.nda.transform_with_seed(
            tf.concat([condition, target], -1), seed
        )
        return pair[..., :channels], pair[..., channels:]

    def _discriminate(self, condition, images):
        pair = tf.concat([condition, tf.cast(images, condition.dtype)], -1)
        return tf.cast(self.discriminator(pair, training=True), tf.float32)

    def _unpack(self, data):
        if not (isinstance(data, (tuple, list)) and len(data) >= 2):
            raise ValueError(
                "NDAPix2Pix trains on (condition, target) batches; received "
                f"{type(data).__name__}"
            )
        condition = tf.convert_to_tensor(data[0])
        target = tf.convert_to_tensor(data[1])
        for name, images in (("condition", condition), ("target", target)):
            if not images.dtype.is_floating or images.shape.rank != 4:
                raise ValueError(
                    f"{name} must be float images [B, H, W, C] in [-1, 1]; "
                    f"received {images.dtype.name} of shape {images.shape}"
                )
        return condition, target
