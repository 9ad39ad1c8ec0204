"""NDA-GAN training: the lambda-mixed discriminator loss and EMA generator.

The names load on first use (`nda_tf.lazy`), so that the GAN's option
table (`nda_tf.gan.options`) is read without TensorFlow.
"""

from nda_tf.lazy import lazy_names

__all__ = ["NDAGAN", "losses"]

__getattr__, __dir__ = lazy_names(
    __name__,
    globals(),
    {"NDAGAN": ".nda_gan"},
    submodules=("augment ema export losses monitoring names nda_gan".split()),
)
