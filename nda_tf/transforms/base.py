"""The base class of every NDA / PDA transform.

The transforms compute with TensorFlow whatever Keras' backend is. Under
JAX or PyTorch, as Keras' own preprocessing layers do, they run in a
`tf.data` pipeline (or on TensorFlow tensors anywhere), and called on the
backend's own arrays they compute on a host copy and give back an array
of that backend; their seeds advance in a TensorFlow variable that
starts as Keras' seed generator does under TensorFlow, so one seed gives
the same negatives on every backend.
"""

import abc

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.keras_config import KeepArguments


def fold_time_into_channels(images):
    """`[B, T, H, W, C]` -> `[B, H, W, T*C]`, so that one spatial transform
    per clip moves every frame the same way."""
    shape = tf.shape(images)
    folded = tf.transpose(images, [0, 2, 3, 1, 4])
    new_shape = tf.stack([shape[0], shape[2], shape[3], shape[1] * shape[4]])
    return tf.reshape(folded, new_shape)


def unfold_time_from_channels(images, clip_shape):
    batch, frames, height, width, channels = tf.unstack(clip_shape, num=5)
    unfolded = tf.reshape(
        images, tf.stack([batch, height, width, frames, channels])
    )
    return tf.transpose(unfolded, [0, 3, 1, 2, 4])


def select(condition, chosen, other):
    """`tf.where(condition, chosen, other)` for a condition that broadcasts
    over pixels, as a multiply-add.

    TensorFlow's CPU kernel for a broadcasting select is several times slower
    than this at batch 256 (XLA fuses either). Exact for finite values: one
    of the two products is always an exact zero.
    """
    weight = tf.cast(condition, chosen.dtype)
    return chosen * weight + other * (1 - weight)


# The transforms have no tensor-dependent Python control flow: autograph
# only slows tracing and, in a long test session, its cache of converted
# methods has returned one hook's conversion for another (CutMix.sample
# traced as its apply).
_plain_python = tf.autograph.experimental.do_not_convert


def _on_tensorflow():
    return keras.config.backend() == "tensorflow"


class NDATransform(KeepArguments, keras.layers.Layer, metaclass=abc.ABCMeta):
    """Base class of the transforms that turn real images into negatives.

    Subclasses implement `sample(batch_size, height, width, seed)`, which
    returns a dict of tensors describing one random transformation per image,
    and `apply(images, transformation)`, which applies it to a
    `[B, H, W, C]` batch; a subclass missing either cannot be instantiated.
    This class handles the rest: the seed, clips (`[B, T, H, W, C]`, where
    every frame of a clip gets its clip's transformation), integer images,
    input checks and the config (a subclass keeps its own arguments with
    `keep_arguments`, see `nda_tf.keras_config`). `layer(images)` draws from
    the layer's own seed generator; `transform_with_seed` takes an explicit
    seed.

    Args:
        seed: optional int. Makes the sequence of random transformations
            reproducible.
        **kwargs: standard `keras.layers.Layer` arguments.
    """

    # Transforms that pair each image with another image of the batch.
    needs_partner = False
    # Transforms that compute new pixel values (means, blends, noise) rather
    # than move existing ones; they work in float32 and round back for ints.
    computes_values = False
    # Spatial transforms see clips with time folded into channels, so every
    # frame moves alike; others get clips as they are and must handle them.
    folds_time = True

    def __init__(self, seed=None, **kwargs):
        # Inputs keep their dtype: uint8 in, uint8 out; float64 in, float64 out.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.keep_arguments(
            seed=checks.check_int("seed", seed, 0, allow_none=True)
        )
        self.seed_generator = keras.random.SeedGenerator(
            self.seed, name=f"{self.name}_seed_generator"
        )
        if not _on_tensorflow():
            # Another backend's generator cannot advance inside tf.data:
            # a TensorFlow copy of its state does, from the same start.
            start = keras.ops.convert_to_numpy(self.seed_generator.state)
            self._tensorflow_seed = tf.Variable(
                start.astype("int64"), trainable=False, name="seed_state"
            )

    def build(self, input_shape):
        # No weights: the seed generator's state is created in __init__.
        self.built = True

    def __call__(self, images, *args, **kwargs):
        if _on_tensorflow() or isinstance(images, keras.KerasTensor):
            return super().__call__(images, *args, **kwargs)
        return self._call_off_tensorflow(images, *args, **kwargs)

    def _call_off_tensorflow(self, images, training=True):
        """Under JAX or PyTorch: TensorFlow tensors (a `tf.data` map) in
        and out; the backend's arrays computed on a host copy."""
        if tf.is_tensor(images):
            return self.call(images, training=training)
        try:
            array = keras.ops.convert_to_numpy(images)
        except Exception as error:  # a traced value has no host copy
            raise ValueError(
                f"{self.name} computes with TensorFlow: under the "
                f"{keras.config.backend()} backend call it in a tf.data "
                "pipeline or on concrete arrays, not inside a compiled "
                f"function ({type(error).__name__})"
            ) from error
        output = self.call(tf.convert_to_tensor(array), training=training)
        return keras.ops.convert_to_tensor(output.numpy())

    def _next_seed(self):
        """The seed generator's next seed, from TensorFlow's copy of its
        state under another backend."""
        if _on_tensorflow():
            return self.seed_generator.next()
        seed = self._tensorflow_seed.read_value()
        with tf.control_dependencies([seed]):
            self._tensorflow_seed.assign_add(tf.constant([0, 1], tf.int64))
        return seed

    @_plain_python
    def call(self, images, training=True):
        if not training:
            return images
        return self.transform_with_seed(images, self._next_seed())

    @abc.abstractmethod
    def sample(self, batch_size, height, width, seed):
        """A dict of tensors, one transformation per image; `seed` is a
        `[2]` int64 tensor, `height` and `width` ints when static."""

    @abc.abstractmethod
    def apply(self, images, transformation):
        """Applies a transformation from `sample` to `[B, H, W, C]` images."""

    @_plain_python
    def transform_with_seed(self, images, seed):
        """Samples a transformation from `seed` (an int or a pair of ints,
        see `nda_tf.random.as_seed`) and applies it to `images`.

        The same seed gives the same output eagerly, in `tf.function`, under
        XLA and in `tf.data`; under a distribution strategy each replica
        folds in its own id.
        """
        transformation = self.get_random_transformation(images, seed)
        return self.transform_images(images, transformation)

    def compute_output_shape(self, input_shape):
        return input_shape

    @_plain_python
    def get_random_transformation(self, images, seed=None):
        """Samples one transformation per image (or per clip).

        Args:
            images: `[B, H, W, C]` images or `[B, T, H, W, C]` clips.
            seed: optional int or pair of ints (see `nda_tf.random.as_seed`);
                defaults to the layer's own seed generator.

        Returns:
            A dict of tensors, to pass to `transform_images`.
        """
        images = self._check_images(images)
        if seed is None:
            seed = self._next_seed()
        seed = nda_random.replica_seed(nda_random.as_seed(seed))
        height, width = self._spatial_size(images)
        return self.sample(tf.shape(images)[0], height, width, seed)

    @_plain_python
    def transform_images(self, images, transformation):
        """Applies `transformation` to `images`; deterministic."""
        images = self._check_images(images)
        dtype = images.dtype
        clip_shape = None
        if images.shape.rank == 5 and self.folds_time:
            clip_shape = tf.shape(images)
        if clip_shape is not None:
            images = fold_time_into_channels(images)
        work_dtype = dtype
        if self.computes_values and dtype not in (tf.float32, tf.float64):
            work_dtype = tf.float32
        output = self.apply(tf.cast(images, work_dtype), transformation)
        output = self._cast_back(output, dtype)
        if clip_shape is not None:
            output = unfold_time_from_channels(output, clip_shape)
        return output

    def _check_images(self, images):
        images = tf.convert_to_tensor(images)
        rank = images.shape.rank
        if rank not in (4, 5):
            raise ValueError(
                f"{self.name} expects images [B, H, W, C] or clips "
                f"[B, T, H, W, C]; received a tensor of rank {rank} with "
                f"shape {images.shape}"
            )
        if not (images.dtype.is_floating or images.dtype.is_integer):
            raise ValueError(
                f"{self.name} expects float or integer images, received "
                f"dtype {images.dtype.name}"
            )
        if self.needs_partner:
            self._check_batch_has_partners(images)
        return images

    def _check_batch_has_partners(self, images):
        message = (
            f"{self.name} pairs each image with another image of the batch "
            "and needs a batch of at least 2"
        )
        batch = images.shape[0]
        if batch is not None and batch < 2:
            raise ValueError(f"{message}; received a batch of {batch}")
        if batch is None:
            tf.debugging.assert_greater_equal(
                tf.shape(images)[0], 2, message=message
            )

    @staticmethod
    def _spatial_size(images):
        """Height and width as Python ints when static, else tensors."""
        static = images.shape[-3:-1]
        dynamic = tf.shape(images)[-3:-1]
        return tuple(
            size if size is not None else dynamic[axis]
            for axis, size in enumerate(static)
        )

    @staticmethod
    def _cast_back(output, dtype):
        if output.dtype == dtype:
            return output
        if dtype.is_integer:
            output = tf.clip_by_value(
                tf.round(output), float(dtype.min), float(dtype.max)
            )
        return tf.cast(output, dtype)
