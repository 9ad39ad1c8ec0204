"""Image-to-image translation with NDA: Pix2Pix (paper Table 4)."""

from nda_tf.translation import losses
from nda_tf.translation.pix2pix import NDAPix2Pix

__all__ = ["NDAPix2Pix", "losses"]
