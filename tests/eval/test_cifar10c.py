"""CIFAR-10-C's parameters for the local corruptions."""

import io

import numpy as np
import pytest
from PIL import Image

from nda_tf.eval import cifar10c, ood_sets


def _grey(value=128):
    return np.full([32, 32, 3], value, np.uint8)


@pytest.mark.parametrize("severity", [1, 5])
def test_gaussian_and_speckle_noise_have_the_cifar10c_spread(severity):
    rng = np.random.default_rng(0)
    big = np.full([256, 256, 3], 128, np.uint8)  # many samples, no clipping
    std = cifar10c.PARAMETERS["gaussian_noise"][severity - 1]
    out = cifar10c.corrupt(big, "gaussian_noise", severity, rng) / 255.0
    assert out.std() == pytest.approx(std, rel=0.03)
    # Speckle: x + x * N(0, s^2), so the spread is x * s at grey x.
    s = cifar10c.PARAMETERS["speckle_noise"][severity - 1]
    out = cifar10c.corrupt(big, "speckle_noise", severity, rng) / 255.0
    assert out.std() == pytest.approx(128 / 255 * s, rel=0.03)


def test_impulse_noise_replaces_its_share_with_black_or_white():
    big = np.full([256, 256, 3], 128, np.uint8)
    out = cifar10c.corrupt(big, "impulse_noise", 5, np.random.default_rng(1))
    changed = out != 128
    assert changed.mean() == pytest.approx(0.07, rel=0.05)
    assert set(np.unique(out[changed])) == {0, 255}


def test_jpeg_and_pixelate_use_the_cifar10c_settings():
    image = np.random.default_rng(2).integers(0, 256, (32, 32, 3), np.uint8)
    rng = np.random.default_rng(0)
    # JPEG: the image saved at quality 40 (severity 5) and read back.
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "JPEG", quality=40)
    expected = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))
    out = cifar10c.corrupt(image, "jpeg_compression", 5, rng)
    np.testing.assert_array_equal(out, expected)
    # Pixelate at severity 5: box down to int(32 * 0.65) = 20 pixels and up.
    small = Image.fromarray(image).resize((20, 20), Image.BOX)
    expected = np.asarray(small.resize((32, 32), Image.BOX))
    out = cifar10c.corrupt(image, "pixelate", 5, rng)
    np.testing.assert_array_equal(out, expected)


def test_brightness_contrast_saturate_by_hand():
    rng = np.random.default_rng(0)
    # A grey image has saturation 0 and value 128 / 255: brightness 5 adds
    # 0.3 to the value; saturate keeps grey grey.
    out = cifar10c.corrupt(_grey(), "brightness", 5, rng)
    assert (out == int((128 / 255 + 0.3) * 255 + 1e-6)).all()
    np.testing.assert_array_equal(
        cifar10c.corrupt(_grey(), "saturate", 1, rng), _grey()
    )
    # Saturation 0.5 at severity 3 (x1.5): a (200, 100, 100) pixel becomes
    # saturation 0.75 at the same value 200: (200, 50, 50).
    red = np.zeros([32, 32, 3], np.uint8) + np.array([200, 100, 100], np.uint8)
    out = cifar10c.corrupt(red, "saturate", 3, rng)
    np.testing.assert_array_equal(out[0, 0], [200, 50, 50])
    # Contrast of a flat image changes nothing.
    np.testing.assert_array_equal(
        cifar10c.corrupt(_grey(), "contrast", 5, rng), _grey()
    )


def test_local_corruptions_use_cifar10c_where_it_has_them():
    assert len(ood_sets.IMAGENET_C) == 9
    assert "gaussian_noise" not in ood_sets.IMAGENET_C
    assert "snow" in ood_sets.IMAGENET_C
    big = np.full([64, 64, 3], 0.0, np.float32)  # grey 127.5 -> 128
    out = ood_sets.corruption_function("gaussian_noise", 5)(big, 0)
    # CIFAR-10-C's std 0.10 (ImageNet-C's would be 0.38), in [-1, 1] units.
    assert np.std(out) == pytest.approx(0.2, rel=0.06)
    with pytest.raises(ValueError, match="no CIFAR-10-C parameters here"):
        cifar10c.corrupt(_grey(), "snow", 5, np.random.default_rng(0))
