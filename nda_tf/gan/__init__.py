"""NDA-GAN training: the lambda-mixed discriminator loss and EMA generator."""

from nda_tf.gan import losses
from nda_tf.gan.nda_gan import NDAGAN

__all__ = ["NDAGAN", "losses"]
