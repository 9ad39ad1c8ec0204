"""Ten CIFAR-10-C corruptions with CIFAR-10-C's own parameters.

CIFAR-10-C (Hendrycks & Dietterich, ICLR 2019) was made with parameters
chosen for 32x32 images, milder than ImageNet-C's (which the
`imagecorruptions` package implements, for 224x224 images): Gaussian noise
of standard deviation 0.10 at severity 5 instead of 0.38, for example. The
corruptions below follow the CIFAR-10-C generation script's formulas and
per-severity parameters (`PARAMETERS`, pixel values in [0, 1]); the other
nine (blurs that need ImageMagick, weather, elastic) come from the package
with ImageNet-C's parameters, see `nda_tf.eval.ood_sets`.

Randomness comes from a NumPy `Generator` passed in, so a result depends
only on its seed; the pixels are not CIFAR-10-C's (another random stream),
but their distribution is. As in CIFAR-10-C, results are truncated to uint8
(`np.uint8(x * 255)`), not rounded.

Example: contrast at severity 5 keeps 15% of each pixel's distance to the
image's per-channel mean.

>>> image = np.zeros([32, 32, 3], np.uint8)
>>> image[:16] = 200
>>> out = corrupt(image, "contrast", 5, np.random.default_rng(0))
>>> int(out[0, 0, 0]), int(out[31, 0, 0])  # mean 100: 100 +- 0.15 * 100
(115, 85)
"""

import io

import numpy as np

# Corruption -> its parameter at severities 1..5 (CIFAR-10-C's values).
PARAMETERS = {
    "gaussian_noise": (0.04, 0.06, 0.08, 0.09, 0.10),  # noise std
    "shot_noise": (500, 250, 100, 75, 50),  # Poisson photon count
    "impulse_noise": (0.01, 0.02, 0.03, 0.05, 0.07),  # salt-and-pepper share
    "speckle_noise": (0.06, 0.10, 0.12, 0.16, 0.20),  # multiplicative std
    "gaussian_blur": (0.4, 0.6, 0.7, 0.8, 1.0),  # blur sigma in pixels
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),  # kept share of contrast
    "brightness": (0.05, 0.1, 0.15, 0.2, 0.3),  # added to HSV value
    # (factor, offset) of HSV saturation.
    "saturate": ((0.3, 0.0), (0.1, 0.0), (1.5, 0.0), (2.0, 0.1), (2.5, 0.2)),
    "jpeg_compression": (80, 65, 58, 50, 40),  # JPEG quality
    "pixelate": (0.95, 0.9, 0.85, 0.75, 0.65),  # downscale factor
}


def corrupt(image, corruption, severity, rng):
    """One uint8 RGB image `[H, W, 3]` corrupted as CIFAR-10-C.

    Args:
        image: uint8 array `[H, W, 3]`.
        corruption: a name of `PARAMETERS`.
        severity: int 1..5.
        rng: `np.random.Generator`, the only source of randomness.

    Returns:
        uint8 array of the same shape.
    """
    if corruption not in PARAMETERS:
        raise ValueError(
            f"no CIFAR-10-C parameters here for {corruption!r}; have "
            f"{', '.join(PARAMETERS)}"
        )
    if severity not in (1, 2, 3, 4, 5):
        raise ValueError(f"severity must be 1..5; received {severity!r}")
    c = PARAMETERS[corruption][severity - 1]
    x = np.asarray(image, np.float64) / 255.0
    out = np.clip(_FUNCTIONS[corruption](x, c, rng), 0.0, 1.0) * 255
    # Truncation as CIFAR-10-C; the 1e-6 keeps values that are whole
    # numbers up to float error (v / 255 * 255) from dropping to v - 1.
    return np.uint8(out + 1e-6)


def _gaussian_noise(x, std, rng):
    return x + rng.normal(scale=std, size=x.shape)


def _shot_noise(x, photons, rng):
    return rng.poisson(x * photons) / photons


def _impulse_noise(x, share, rng):
    # Each value is replaced with probability `share`, by 0 or 1 equally.
    replaced = rng.random(x.shape) < share
    salt = rng.random(x.shape) < 0.5
    return np.where(replaced, salt.astype(np.float64), x)


def _speckle_noise(x, std, rng):
    return x + x * rng.normal(scale=std, size=x.shape)


def _gaussian_blur(x, sigma, rng):
    from skimage import filters

    return filters.gaussian(x, sigma=sigma, channel_axis=-1)


def _contrast(x, kept, rng):
    means = x.mean(axis=(0, 1), keepdims=True)
    return (x - means) * kept + means


def _hsv_change(x, channel, function):
    from skimage import color

    hsv = color.rgb2hsv(x)
    hsv[..., channel] = np.clip(function(hsv[..., channel]), 0.0, 1.0)
    return color.hsv2rgb(hsv)


def _brightness(x, added, rng):
    return _hsv_change(x, 2, lambda value: value + added)


def _saturate(x, change, rng):
    factor, offset = change
    return _hsv_change(x, 1, lambda saturation: saturation * factor + offset)


def _pil(x):
    from PIL import Image

    # The input image itself: x holds whole values / 255, so this is exact.
    return Image.fromarray(np.uint8(np.round(np.clip(x, 0.0, 1.0) * 255)))


def _jpeg_compression(x, quality, rng):
    from PIL import Image

    buffer = io.BytesIO()
    _pil(x).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"), np.float64) / 255.0


def _pixelate(x, factor, rng):
    from PIL import Image

    height, width = x.shape[:2]
    small = (int(width * factor), int(height * factor))
    image = _pil(x).resize(small, Image.BOX).resize((width, height), Image.BOX)
    return np.asarray(image, np.float64) / 255.0


_FUNCTIONS = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "impulse_noise": _impulse_noise,
    "speckle_noise": _speckle_noise,
    "gaussian_blur": _gaussian_blur,
    "contrast": _contrast,
    "brightness": _brightness,
    "saturate": _saturate,
    "jpeg_compression": _jpeg_compression,
    "pixelate": _pixelate,
}
