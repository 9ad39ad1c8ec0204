"""NDAGAN: a GAN whose discriminator also sees negative augmentations."""

import keras
import numpy as np
import tensorflow as tf

from nda_tf import checks, loss_scaling, transforms
from nda_tf import random as nda_random
from nda_tf.gan import augment, ema, losses
from nda_tf.keras_config import KeepArguments
from nda_tf.models import spectral_norm

_METRICS = ("d_loss", "g_loss", "d_real", "d_fake")
_NDA_METRICS = ("d_nda", "d_gap")
# Discriminator calls per D step (`NDAGAN(d_calls=...)`).
D_CALLS = (1, 2)


@keras.saving.register_keras_serializable(package="nda_tf")
class NDAGAN(KeepArguments, keras.Model):
    """A GAN trained with Negative Data Augmentation (paper Eq. 3).

    The discriminator's fake distribution is `lam * G + (1 - lam) * NDA`:
    each discriminator step scores real images `x`, generated images and
    `nda(x)`, the negatives made from the same real batch, which keep their
    source labels. With `lam = 1` or `nda=None` this is the plain GAN and no
    negatives are computed.

    One `fit` batch holds `d_steps` discriminator batches: each D step takes
    its own slice and fresh noise, then one G step runs on fresh noise and
    uniform labels, and the EMA generator is updated (a plain copy of G before
    `ema_start` G steps).

    Args:
        generator: model called as `G([z, labels])` (or `G(z)` when
            unconditional), returning images in [-1, 1].
        discriminator: model called as `D([images, labels])` (or `D(images)`),
            returning logits `[B, 1]`.
        nda: anything `nda_tf.transforms.get` accepts, or None.
        lam: float in (0, 1], weight of G in the fake mixture (paper: 0.25;
            0.5 for CIFAR-100).
        d_steps: int >= 1, discriminator steps per generator step.
        z_dim: int, latent size.
        num_classes: int, 1 for an unconditional GAN.
        loss: "hinge", "non_saturating" or "wasserstein" (with gradient
            penalty of weight `gp_weight`).
        gp_weight: float >= 0, the WGAN-GP weight.
        ema_decay: float in [0, 1), decay of the EMA generator.
        ema_start: int >= 0, G steps before the EMA starts averaging.
        seed: optional int for the noise and labels.
        cr_weight: float >= 0, consistency regularisation on real images
            (Zhang et al., 2020; CR-BigGAN: 10): the D loss gains
            `cr_weight * mean((D(x) - D(T(x)))^2)`, T a random flip and
            translation (`augment.ConsistencyAugment`). 0 turns it off.
        cr_fake_weight: float >= 0, the same term on generated images
            (balanced CR, Zhao et al., 2020: 10 beside `cr_weight=10`).
        cr_translation: float in [0, 1), CR's largest shift as a fraction of
            the image size (1/8: 4 pixels at 32x32).
        diffaugment: DiffAugment policy such as "color,translation,cutout"
            (Zhao et al., 2020), or None / "none": every image D sees (real,
            generated, NDA; D and G steps) is augmented differentiably.
        d_calls: 1 or 2, discriminator calls per D step. 1: one call
            scores reals, fakes and negatives together, so each of D's
            spectral-norm estimates (`nda_tf.models.SNDense`, ...) takes
            one power-iteration step per D step, as Miyato et al. define
            it, and a D with batch statistics sees one batch. 2: the
            authors' BigGAN step, with which the paper's models were
            trained: a first call on [reals, fakes] and a second on the
            negatives, so every estimate takes two steps per D step and the
            negatives are scored with the second one. Without negatives
            (`lam=1`, `nda=None`) their second call still runs and only
            moves the estimates: here one power-iteration step of every
            spectral-norm layer of D, without the call, does exactly that.
        sample_stats_batch: int >= 0, how `generate` (and so every FID
            and sample sheet) runs G's batch norms. 0: with their moving
            statistics, Keras' inference mode. N > 0: as in training, with
            the statistics of each batch of N samples, which is how the
            authors' BigGAN code evaluates (its `sample.py` runs G_ema in
            training mode at batch 64: the paper's FIDs use batch
            statistics); nothing the call computes is kept. Evaluation
            only: training is the same either way.

    Example, one `fit` batch of 8 real images with `d_steps=2`: two D steps
    on 4 images each, then a G step (the paper: BigGAN, 4 D steps of 64).

    >>> from nda_tf.models import build_gan
    >>> gan = NDAGAN(*build_gan("sngan", 32, ch=4), nda="jigsaw", d_steps=2)
    >>> gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.999),
    ...             g_optimizer=keras.optimizers.Adam(2e-4, 0.0, 0.999))
    >>> real = tf.random.uniform([8, 32, 32, 3], -1, 1)
    >>> sorted(gan.train_on_batch(real, return_dict=True))
    ['d_fake', 'd_gap', 'd_loss', 'd_nda', 'd_real', 'g_loss']
    >>> gan.generate(3, seed=0).shape
    (3, 32, 32, 3)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    # Keras models own a `loss` attribute: the loss argument is `loss_name`.
    argument_attributes = {"loss": "loss_name"}

    def __init__(
        self,
        generator,
        discriminator,
        nda=None,
        lam=0.25,
        d_steps=4,
        z_dim=128,
        num_classes=1,
        loss="hinge",
        gp_weight=10.0,
        ema_decay=0.9999,
        ema_start=1000,
        seed=None,
        cr_weight=0.0,
        cr_fake_weight=0.0,
        cr_translation=0.125,
        diffaugment=None,
        d_calls=1,
        sample_stats_batch=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        checks.check_number("lam", lam, low=0.0, high=1.0, low_open=True)
        checks.check_int("d_steps", d_steps, 1)
        checks.check_int("z_dim", z_dim, 1)
        checks.check_int("num_classes", num_classes, 1)
        checks.check_number("gp_weight", gp_weight, low=0.0)
        checks.check_number("ema_decay", ema_decay, 0.0, 1.0, high_open=True)
        checks.check_int("ema_start", ema_start, 0)
        seed = checks.check_int("seed", seed, 0, allow_none=True)
        checks.check_number("cr_weight", cr_weight, low=0.0)
        checks.check_number("cr_fake_weight", cr_fake_weight, low=0.0)
        checks.check_number(
            "cr_translation", cr_translation, 0.0, 1.0, high_open=True
        )
        policy = augment.parse_policy(diffaugment)
        self.keep_arguments(
            generator=generator,
            discriminator=discriminator,
            nda=transforms.get(nda),
            lam=float(lam),
            d_steps=int(d_steps),
            z_dim=int(z_dim),
            num_classes=int(num_classes),
            loss=checks.check_choice("loss", loss, losses.LOSSES),
            gp_weight=float(gp_weight),
            ema_decay=float(ema_decay),
            ema_start=int(ema_start),
            seed=seed,
            cr_weight=float(cr_weight),
            cr_fake_weight=float(cr_fake_weight),
            cr_translation=float(cr_translation),
            diffaugment=",".join(policy) or None,
            d_calls=int(checks.check_choice("d_calls", d_calls, D_CALLS)),
            sample_stats_batch=check_stats_batch(
                "sample_stats_batch", sample_stats_batch
            ),
        )
        # Built only when used: with both off the step is the plain one,
        # drawing no extra random numbers.
        self.consistency_augment = None
        if self.cr_weight > 0 or self.cr_fake_weight > 0:
            self.consistency_augment = augment.ConsistencyAugment(
                cr_translation
            )
            self.consistency_augment.build(None)
        self.diff_augment = None
        if policy:
            self.diff_augment = augment.DiffAugment(self.diffaugment)
            self.diff_augment.build(None)
        if self.nda is not None:
            # Built now: an unbuilt sub-layer would make `fit` trace `call`.
            self.nda.build(None)
        self.uses_nda = self.nda is not None and self.lam < 1.0
        self.seed_generator = keras.random.SeedGenerator(seed, name="gan_rng")
        # A seed generator is not itself checkpointed: its state variable,
        # held as an attribute, is, so a resumed run draws the same noise.
        self.rng_state = self.seed_generator.state
        # `generate(seed=None)` draws here, so sampling during training (for
        # evaluation, say) leaves the training noise stream untouched.
        self.sampling_seed_generator = keras.random.SeedGenerator(
            None if seed is None else seed + 1, name="gan_sampling_rng"
        )
        self.step = keras.Variable(
            0,
            dtype="int64",
            trainable=False,
            name="g_step",
            aggregation="only_first_replica",
        )
        names = _METRICS + (_NDA_METRICS if self.uses_nda else ())
        names += ("d_cr",) * (self.cr_weight > 0)
        names += ("d_cr_fake",) * (self.cr_fake_weight > 0)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in names}
        self.ema_generator = ema.clone_generator(
            generator, self._generator_inputs(*self.sample_latents(2, None))
        )
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Args: the two optimizers (paper: Adam(2e-4, 0.0, 0.999, 1e-8));
        other arguments (`jit_compile`, `steps_per_execution`, ...) go to
        `keras.Model.compile`. Call it inside the strategy's scope."""
        d, g = self.discriminator, self.generator
        self.d_optimizer = loss_scaling.prepared(
            d_optimizer, d, d.trainable_variables
        )
        self.g_optimizer = loss_scaling.prepared(
            g_optimizer, g, g.trainable_variables
        )
        # Keras counts training steps with `self.optimizer.iterations`: the
        # G optimizer steps once per train_step, so it is that counter.
        super().compile(optimizer=self.g_optimizer, **kwargs)

    def call(self, inputs, training=False):
        """Images from the EMA generator for `z` or `[z, labels]`."""
        return self.ema_generator(inputs, training=False)

    def sample_latents(self, batch_size, seed):
        """Noise `[B, z_dim]` and uniform labels `[B]` for one step.

        `seed` is a `[2]` seed, or None for the model's own generator; under
        a strategy the replica id is folded in, so replicas differ.
        """
        if seed is None:
            seed = self.seed_generator.next()
        z_seed, label_seed = nda_random.split_seed(
            nda_random.replica_seed(seed), 2
        )
        z = nda_random.normal([batch_size, self.z_dim], z_seed)
        labels = nda_random.uniform(
            [batch_size], label_seed, maxval=self.num_classes, dtype=tf.int32
        )
        return z, labels

    def train_step(self, data):
        images, labels = self._unpack(data)
        batch = tf.shape(images)[0] // self.d_steps
        for index in range(self.d_steps):
            step_images = images[index * batch : (index + 1) * batch]
            step_labels = labels[index * batch : (index + 1) * batch]
            self._discriminator_step(step_images, step_labels)
        self._generator_step(batch, images.dtype)
        self.step.assign_add(1)
        ema.update_ema(
            self.ema_generator,
            self.generator,
            self.step,
            self.ema_decay,
            self.ema_start,
        )
        return {name: t.result() for name, t in self.trackers.items()}

    def _discriminator_step(self, images, labels):
        batch = tf.shape(images)[0]
        z, fake_labels = self.sample_latents(batch, None)
        # G runs in training mode here too (batch statistics), as in the
        # authors' BigGAN code; no gradient flows to it from this step.
        fakes = self.generator(
            self._generator_inputs(z, fake_labels), training=True
        )
        fakes = tf.cast(fakes, images.dtype)
        batches, batch_labels = [images, fakes], [labels, fake_labels]
        if self.uses_nda:
            # NDA: negatives from this very real batch join the fakes, with
            # their source labels; D sees one concatenated batch.
            negatives = self._negatives(images)
            batches.append(negatives)
            batch_labels.append(labels)
        count = len(batches)
        inputs = self._augment(tf.concat(batches, 0))
        inputs, input_labels = self._with_consistency_pairs(
            inputs, tf.concat(batch_labels, 0), batch
        )
        with tf.GradientTape() as tape:
            logits = self._score(inputs, input_labels, batch)
            parts = tf.split(logits, count + self._consistency_parts, axis=0)
            nda_logits = parts[2] if self.uses_nda else None
            # Without negatives the fakes carry the whole fake term.
            lam = self.lam if self.uses_nda else 1.0
            loss = losses.discriminator_loss(
                self.loss_name, parts[0], parts[1], nda_logits, lam
            )
            if self.loss_name == "wasserstein" and self.gp_weight > 0:
                loss += self.gp_weight * self._penalty(images, labels, batches)
            loss += self._consistency_loss(parts, count)
            scaled = loss_scaling.loss_to_differentiate(self.d_optimizer, loss)
        variables = self.discriminator.trainable_variables
        grads = loss_scaling.dense_gradients(tape.gradient(scaled, variables))
        self.d_optimizer.apply(grads, variables)
        self._record_discriminator(loss, parts, nda_logits)

    def _score(self, inputs, labels, batch):
        """D's logits on the step's batch, in its order: reals, fakes,
        negatives (if any), CR pairs (if any)."""
        if self.d_calls == 1:
            return self._discriminate(inputs, labels)
        if not self.uses_nda:
            logits = self._discriminate(inputs, labels)
            # The authors' second call, on negatives of weight 0, changes
            # nothing but D's spectral-norm estimates: one more step each.
            spectral_norm.power_iteration_step(self.discriminator)
            return logits
        # The authors' step: [reals, fakes] (and CR pairs) first, the
        # negatives second, each call moving the spectral-norm estimates
        # one power-iteration step; the second call's sigma scores them.
        negatives = slice(2 * batch, 3 * batch)
        first = tf.concat([inputs[: 2 * batch], inputs[3 * batch :]], 0)
        first_labels = tf.concat([labels[: 2 * batch], labels[3 * batch :]], 0)
        scored = self._discriminate(first, first_labels)
        nda_logits = self._discriminate(inputs[negatives], labels[negatives])
        return tf.concat(
            [scored[: 2 * batch], nda_logits, scored[2 * batch :]], 0
        )

    @property
    def _consistency_parts(self):
        return (self.cr_weight > 0) + (self.cr_fake_weight > 0)

    def _augment(self, images):
        """DiffAugment (when on) of a batch D is about to score."""
        if self.diff_augment is None:
            return images
        return self.diff_augment.transform_with_seed(
            images, self.seed_generator.next()
        )

    def _with_consistency_pairs(self, inputs, labels, batch):
        """Appends T(real) and/or T(fake) (CR / bCR) to D's batch; each
        keeps its source's labels. Drawn after every other draw of the
        step, so turning CR on leaves the rest of the step's numbers as
        they were."""
        if self.consistency_augment is None:
            return inputs, labels
        sources = []
        if self.cr_weight > 0:
            sources.append(0)
        if self.cr_fake_weight > 0:
            sources.append(1)
        originals = tf.concat(
            [inputs[i * batch : (i + 1) * batch] for i in sources], 0
        )
        paired = self.consistency_augment.transform_with_seed(
            originals, self.seed_generator.next()
        )
        extra_labels = [labels[i * batch : (i + 1) * batch] for i in sources]
        return (
            tf.concat([inputs, paired], 0),
            tf.concat([labels, *extra_labels], 0),
        )

    def _consistency_loss(self, parts, count):
        """`cr_weight * mean((D(x) - D(T(x)))^2)` plus the same on fakes
        with `cr_fake_weight`; gradients flow through both scores, as in
        the CR paper. Recorded as d_cr / d_cr_fake (unweighted)."""
        total = 0.0
        index = count
        for source, weight, name in (
            (0, self.cr_weight, "d_cr"),
            (1, self.cr_fake_weight, "d_cr_fake"),
        ):
            if weight > 0:
                value = losses.consistency_loss(parts[source], parts[index])
                self.trackers[name].update_state(value)
                total += weight * value
                index += 1
        return total

    def _generator_step(self, batch, dtype):
        z, labels = self.sample_latents(batch, None)
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fakes = tf.cast(
                self.generator(
                    self._generator_inputs(z, labels), training=True
                ),
                dtype,
            )
            # DiffAugment sits between G and D here too: G's gradient
            # passes through the (differentiable) augmentation.
            fakes = self._augment(fakes)
            logits = self._discriminate(fakes, labels)
            loss = losses.generator_loss(self.loss_name, logits)
            scaled = loss_scaling.loss_to_differentiate(self.g_optimizer, loss)
        grads = loss_scaling.dense_gradients(tape.gradient(scaled, variables))
        self.g_optimizer.apply(grads, variables)
        self.trackers["g_loss"].update_state(loss)

    def _negatives(self, images):
        # Seeded from the GAN's own generator, so that the model's `seed`
        # and checkpointed RNG state govern the negatives too.
        # The transform folds the replica id into the seed itself.
        return self.nda.transform_with_seed(images, self.seed_generator.next())

    def _penalty(self, images, labels, batches):
        def critic(x, y):
            return self._discriminate(x, y)

        seed = nda_random.replica_seed(self.seed_generator.next())
        seeds = nda_random.split_seed(seed, 2)
        penalty = losses.gradient_penalty(
            critic, images, batches[1], labels, seeds[0]
        )
        if not self.uses_nda:
            return penalty
        nda_penalty = losses.gradient_penalty(
            critic, images, batches[2], labels, seeds[1]
        )
        return self.lam * penalty + (1.0 - self.lam) * nda_penalty

    def _record_discriminator(self, loss, parts, nda_logits):
        self.trackers["d_loss"].update_state(loss)
        self.trackers["d_real"].update_state(tf.reduce_mean(parts[0]))
        self.trackers["d_fake"].update_state(tf.reduce_mean(parts[1]))
        if nda_logits is not None:
            self.trackers["d_nda"].update_state(tf.reduce_mean(nda_logits))
            self.trackers["d_gap"].update_state(
                tf.reduce_mean(parts[0] - nda_logits)
            )

    def _discriminate(self, images, labels):
        inputs = images if self.num_classes == 1 else [images, labels]
        return tf.cast(self.discriminator(inputs, training=True), tf.float32)

    def _generator_inputs(self, z, labels):
        return z if self.num_classes == 1 else [z, labels]

    def _unpack(self, data):
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            images, labels = data, None
        images = tf.convert_to_tensor(images)
        if images.dtype.is_integer:
            raise ValueError(
                "NDAGAN expects float images scaled to [-1, 1], received "
                f"dtype {images.dtype.name}"
            )
        self._check_batch_splits(images)
        if labels is None:
            if self.num_classes > 1:
                raise ValueError(
                    f"a conditional NDAGAN (num_classes={self.num_classes}) "
                    "needs (images, labels) batches; received images only"
                )
            return images, tf.zeros([tf.shape(images)[0]], tf.int32)
        labels = tf.convert_to_tensor(labels)
        if labels.shape.rank not in (1, 2) or (
            labels.shape.rank == 2 and labels.shape[1] != 1
        ):
            raise ValueError(
                "labels must be integer class ids of shape [B] or [B, 1]; "
                f"received shape {labels.shape}"
            )
        return images, tf.reshape(tf.cast(labels, tf.int32), [-1])

    def _check_batch_splits(self, images):
        message = (
            f"a fit batch must hold d_steps={self.d_steps} equal, non-empty "
            "discriminator batches (batch the data with drop_remainder=True)"
        )
        total = images.shape[0]
        if total is not None and (total % self.d_steps or total == 0):
            raise ValueError(f"{message}; received a batch of {total}")
        if total is None:
            total = tf.shape(images)[0]
            tf.debugging.assert_equal(total % self.d_steps, 0, message)
            tf.debugging.assert_positive(total, message)

    def generate(
        self,
        num_images,
        labels=None,
        seed=None,
        use_ema=True,
        batch_size=None,
        stats_batch=None,
    ):
        """`num_images` images in [-1, 1] (float32, NumPy), in batches.

        Args:
            num_images: int > 0.
            labels: optional int array `[num_images]`; default uniform.
            seed: optional int; the same seed gives the same images.
            use_ema: sample the EMA generator (the one the paper evaluates).
            batch_size: images per generator call (default 256); with
                batch statistics it must be `stats_batch` or None.
            stats_batch: int >= 0 or None (the model's
                `sample_stats_batch`): 0 runs the batch norms with their
                moving statistics; N > 0 with those of each call of N
                samples (the last call is made full and cut), as in
                training, keeping none of the call's state.
        """
        checks.check_int("num_images", num_images, 1)
        if stats_batch is None:
            stats_batch = self.sample_stats_batch
        check_stats_batch("stats_batch", stats_batch)
        checks.check_int("batch_size", batch_size, 1, allow_none=True)
        if stats_batch and batch_size not in (None, stats_batch):
            raise ValueError(
                f"batch_size={batch_size} differs from stats_batch="
                f"{stats_batch}: with batch statistics each call holds "
                f"the batch whose statistics are used"
            )
        batch_size = stats_batch or batch_size or 256
        if labels is not None:
            labels = np.asarray(labels).reshape(-1)
            if not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(
                    f"labels must be integers, received dtype {labels.dtype}"
                )
            if len(labels) != num_images or not (
                (labels >= 0).all() and (labels < self.num_classes).all()
            ):
                raise ValueError(
                    f"labels must be {num_images} ints in [0, "
                    f"{self.num_classes}); received {labels!r}"
                )
        generator = self.ema_generator if use_ema else self.generator
        if seed is None:
            seed = self.sampling_seed_generator.next()
        else:
            seed = tf.constant([seed, 0], tf.int64)
        chunks = []
        for start in range(0, num_images, batch_size):
            wanted = min(batch_size, num_images - start)
            # Batch statistics need the full batch, also for the last call.
            size = batch_size if stats_batch else wanted
            z, drawn = self.sample_latents(
                size, nda_random.fold_in(seed, start)
            )
            chunk_labels = drawn
            if labels is not None:
                # A filled-up last batch keeps uniform labels after them.
                chunk_labels = np.array(drawn, np.int32)
                chunk_labels[:wanted] = labels[start : start + wanted]
                chunk_labels = tf.convert_to_tensor(chunk_labels)
            inputs = self._generator_inputs(z, chunk_labels)
            if stats_batch:
                images = with_batch_statistics(generator, inputs)
            else:
                images = generator(inputs, training=False)
            chunks.append(tf.cast(images[:wanted], tf.float32).numpy())
        return np.concatenate(chunks)


def check_stats_batch(name, value):
    """`int(value)` if it is 0 (moving statistics) or an int >= 2 (the
    statistics of a batch that size); a ValueError naming `name` else: one
    sample's batch norm outputs only its bias."""
    value = checks.check_int(name, value, 0)
    if value == 1:
        raise ValueError(
            f"{name} must be 0 (moving statistics) or >= 2 (a batch's "
            f"statistics); received 1: one sample's batch norm gives "
            f"every image the same pixels"
        )
    return value


def with_batch_statistics(generator, inputs):
    """`generator(inputs)` as in training (batch norms with the statistics
    of `inputs`, each spectral-norm estimate one power-iteration step on),
    keeping none of the state the call updates."""
    # Keras' batch norm keeps its moving statistics in training mode while
    # the layer is not trainable, as the EMA generator is: trainable for
    # the call. Its weights stay untouched: a stateless call returns the
    # updated state instead of assigning it.
    # Each layer's own flag is put back, so a partly frozen G stays so.
    flags = [(layer, layer.trainable) for layer in generator._flatten_layers()]
    generator.trainable = True
    try:
        images, _ = generator.stateless_call(
            generator.trainable_variables,
            generator.non_trainable_variables,
            inputs,
            training=True,
        )
    finally:
        for layer, trainable in flags:
            layer.trainable = trainable
    return images
