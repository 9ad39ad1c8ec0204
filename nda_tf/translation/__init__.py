"""Image-to-image translation with NDA: Pix2Pix (paper Table 4).

The names load on first use (`nda_tf.lazy`), so that the option table
(`nda_tf.translation.options`) is read without TensorFlow.
"""

from nda_tf.lazy import lazy_names

__all__ = ["NDAPix2Pix", "losses"]

__getattr__, __dir__ = lazy_names(
    __name__,
    globals(),
    {"NDAPix2Pix": ".pix2pix"},
    submodules="losses names pix2pix".split(),
)
