"""Mixup-alpha: blends of two images with weights near 1/2 (Appendix B)."""

import keras
import tensorflow as tf

from nda_tf import checks
from nda_tf import random as nda_random
from nda_tf.transforms import registry
from nda_tf.transforms.base import NDATransform


@registry.register("mixup")
@keras.saving.register_keras_serializable(package="nda_tf")
class Mixup(NDATransform):
    """Blends each image with a partner: `gamma * x + (1 - gamma) * partner`.

    `gamma ~ Beta(alpha, alpha)` is drawn per image. As NDA the blend should
    be far from both sources, so `alpha` is large and `gamma` concentrates
    near 1/2 (the authors used 25: mean 0.5, standard deviation 0.07). The
    Beta draws come from Gamma draws made by vectorized rejection sampling,
    so the layer compiles with XLA.
    Partners are paired through a derangement; a batch of one image is
    rejected.

    Args:
        alpha: float > 0, the Beta concentration.
        seed: optional int for reproducible draws.

    Call arguments:
        images: `[B, H, W, C]` or clips `[B, T, H, W, C]` with B >= 2.
        training: bool; when False the images are returned unchanged.

    Example: hand-made weights blend a black (0) and a white (1) image.

    >>> pair = tf.constant([0.0, 1.0])[:, None, None, None]
    >>> layer = Mixup(alpha=25.0, seed=0)
    >>> negatives = layer(pair)  # random weights near 1/2
    >>> blend = {"partner": [1, 0], "gamma": [0.5, 0.75]}
    >>> layer.transform_images(pair, blend)[:, 0, 0, 0].numpy()
    array([0.5 , 0.75], dtype=float32)

    Reference: Sinha et al., "Negative Data Augmentation", ICLR 2021.
    """

    needs_partner = True
    computes_values = True

    def __init__(self, alpha=25.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        checks.check_number("alpha", alpha, 0.0, low_open=True)
        self.keep_arguments(alpha=float(alpha))

    def sample(self, batch_size, height, width, seed):
        partner_seed, gamma_seed = nda_random.split_seed(seed, 2)
        return {
            "partner": nda_random.derangement(batch_size, partner_seed),
            "gamma": nda_random.symmetric_beta(
                batch_size, self.alpha, gamma_seed
            ),
        }

    def apply(self, images, transformation):
        gamma = tf.cast(transformation["gamma"], images.dtype)[
            :, None, None, None
        ]
        partner = tf.gather(images, transformation["partner"])
        return gamma * images + (1.0 - gamma) * partner
