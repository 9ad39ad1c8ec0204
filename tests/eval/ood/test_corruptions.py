"""CIFAR-10-C's parameters for the 19 local corruptions."""

import io

import numpy as np
import pytest
from PIL import Image

from nda_tf.eval.ood import corruptions as cifar10c
from nda_tf.eval.ood import sets as ood_sets


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


# Severity-5 parameters of the 19 corruptions as written in CIFAR-10-C's
# generation script, ImageNet-C/create_c/make_cifar_c.py of
# hendrycks/robustness (Hendrycks & Dietterich, ICLR 2019); elastic's are
# the script's IMSIZE * (0.1, 0.03, 0.03) with IMSIZE = 32, zoom blur's
# the last of np.arange(1, 1.26, 0.01).
SEVERITY_5 = {
    "gaussian_noise": 0.10,
    "shot_noise": 50,
    "impulse_noise": 0.07,
    "speckle_noise": 0.2,
    "gaussian_blur": 1,
    "frosted_glass_blur": (0.4, 1, 2),
    "defocus_blur": (1.5, 0.1),
    "motion_blur": (9, 2.5),
    "zoom_blur": 1.25,
    "snow": (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
    "frost": (0.75, 0.45),
    "fog": (1.5, 1.75),
    "brightness": 0.3,
    "contrast": 0.15,
    "elastic": (3.2, 0.96, 0.96),
    "pixelate": 0.65,
    "jpeg_compression": 40,
    "spatter": (0.65, 0.1, 0.5, 0.68, 0.6, 1),
    "saturate": (2.5, 0.2),
}


def test_every_corruption_has_cifar10c_severity_5_parameters():
    assert set(SEVERITY_5) == set(ood_sets.CORRUPTIONS)
    assert set(cifar10c.PARAMETERS) == set(ood_sets.CORRUPTIONS)
    for name, expected in SEVERITY_5.items():
        got = cifar10c.PARAMETERS[name][4]
        if name == "elastic":
            got = tuple(share * 32 for share in got)
        np.testing.assert_allclose(got, expected, err_msg=name)
    # ImageNet-C's severity-5 Gaussian noise would be 0.38: the local set
    # has CIFAR-10-C's 0.10, in [-1, 1] units 0.2.
    big = np.full([64, 64, 3], 0.0, np.float32)  # grey 127.5 -> 128
    out = ood_sets.corruption_function("gaussian_noise", 5)(big, 0)
    assert np.std(out) == pytest.approx(0.2, rel=0.06)
    with pytest.raises(ValueError, match="no CIFAR-10-C parameters here"):
        cifar10c.corrupt(_grey(), "rain", 5, np.random.default_rng(0))


def _ramp():
    """A horizontal ramp 0, 8, ..., 248: every 3x3 patch is linear."""
    row = np.arange(32, dtype=np.uint8) * 8
    return np.repeat(np.tile(row[None, :, None], (32, 1, 1)), 3, axis=-1)


def _checkers():
    image = (np.indices([32, 32]).sum(axis=0) % 2) * 200 + 20
    return np.repeat(image[..., None], 3, axis=-1).astype(np.uint8)


def _change(name, image, seeds=range(3)):
    """Mean absolute change of `image` at severities 1..5, averaged over
    seeds (the same seeds at every severity)."""
    return [
        np.mean(
            [
                np.abs(
                    cifar10c.corrupt(
                        image, name, s, np.random.default_rng(seed)
                    ).astype(float)
                    - image
                ).mean()
                for seed in seeds
            ]
        )
        for s in range(1, 6)
    ]


def _dot():
    dot = np.zeros([32, 32, 3], np.uint8)
    dot[10, 12] = 255
    return dot


def _dot_peaks(name):
    """What stays of a white dot at its pixel, severities 1..5."""
    rng = np.random.default_rng(0)
    return [int(cifar10c.corrupt(_dot(), name, s, rng)[10, 12, 0]) for s in
            range(1, 6)]  # fmt: skip


@pytest.mark.parametrize(
    "name", ["defocus_blur", "zoom_blur", "motion_blur", "frosted_glass_blur"]
)
def test_blurs_leave_flat_images_unchanged(name):
    for s in range(1, 6):
        out = cifar10c.corrupt(_grey(), name, s, np.random.default_rng(s))
        np.testing.assert_array_equal(out, _grey(), err_msg=f"{name} {s}")


def test_defocus_motion_and_zoom_blur_grow_with_severity():
    # Defocus: a wider disk leaves less of a dot at its pixel.
    peaks = _dot_peaks("defocus_blur")
    assert all(a > b for a, b in zip(peaks, peaks[1:], strict=False))
    # Motion: the kernel's first weight falls as sigma grows (1, 1.5, 2, 2,
    # 2.5); severities 3 and 4 differ only in radius 6 vs 8, whose extra
    # weights (exp(-49 / 8) and below) vanish at 8 bits.
    peaks = _dot_peaks("motion_blur")
    assert peaks[0] > peaks[1] > peaks[2] == peaks[3] > peaks[4]
    assert peaks[0] == int(cifar10c.motion_blur_kernel(6, 1)[0] * 255 + 0.5)
    # Zoom: more zooms averaged change a checkerboard more.
    change = _change("zoom_blur", _checkers())
    assert all(a < b for a, b in zip(change, change[1:], strict=False))


def test_glass_blur_copies_each_pixel_from_up_or_left_at_severity_1():
    # Severity 1: sigma 0.05 (no blur at all) and one pass of jumps of at
    # most one pixel up or left; pixels are visited from the bottom-right,
    # so every source still holds its own value.
    rows, cols = np.indices([32, 32])
    image = np.stack([rows * 8, cols * 8, np.zeros_like(rows)], -1)
    image = image.astype(np.uint8)
    offsets = set()
    for seed in range(3):
        out = cifar10c.corrupt(
            image, "frosted_glass_blur", 1, np.random.default_rng(seed)
        ).astype(int)
        # Truncation to uint8 (as the script) may take 1 off a value.
        dy = np.round((out[..., 0] - rows * 8) / 8).astype(int)
        dx = np.round((out[..., 1] - cols * 8) / 8).astype(int)
        assert np.all(np.abs(out[..., 0] - (rows + dy) * 8) <= 1)
        assert set(dy.ravel()) <= {-1, 0} and set(dx.ravel()) <= {-1, 0}
        assert np.all(dy[:2] == 0) and np.all(dx[:, :2] == 0)
        offsets |= set(zip(dy[2:, 2:].ravel(), dx[2:, 2:].ravel(), strict=True))
    assert offsets == {(-1, -1), (-1, 0), (0, -1), (0, 0)}


def test_motion_blur_kernel_is_imagemagicks_one_sided_gaussian():
    weights = cifar10c.motion_blur_kernel(9, 2.5)  # severity 5
    assert len(weights) == 19  # 2 * ceil(radius) + 1
    assert weights.sum() == pytest.approx(1.0)
    assert weights[1] / weights[0] == pytest.approx(np.exp(-1 / 12.5))
    # A white dot trails behind along the angle: one side only.
    dot = np.zeros([32, 32, 3])
    dot[16, 16] = 1.0
    out = cifar10c._motion(dot, 9, 2.5, 0.0)
    assert out[16, 16, 0] == pytest.approx(weights[0])
    assert out[16, 15, 0] == pytest.approx(weights[1])
    assert out[16, 17, 0] == 0 and out[15, 16, 0] == 0


def test_fog_of_a_white_image_dims_by_its_strength():
    # x + s * fog scaled by max / (max + s): a white image keeps 255 where
    # the fractal is highest and falls to 255 / (1 + s) where it is 0.
    white = _grey(255)
    for s, (strength, _) in enumerate(cifar10c.PARAMETERS["fog"], 1):
        out = cifar10c.corrupt(white, "fog", s, np.random.default_rng(s))
        assert out.max() == 255
        assert out.min() == int(255 / (1 + strength) + 1e-6)
    fractal = cifar10c.plasma_fractal(32, 2, np.random.default_rng(0))
    assert fractal.min() == 0 and fractal.max() == 1


def test_frost_blends_the_image_and_a_frost_picture_by_its_weights():
    for s, (kept, _) in enumerate(cifar10c.PARAMETERS["frost"], 1):
        # Same seed: the same frost crop under two flat images.
        dark = cifar10c.corrupt(_grey(0), "frost", s, np.random.default_rng(4))
        lit = cifar10c.corrupt(_grey(100), "frost", s, np.random.default_rng(4))
        difference = lit.astype(int) - dark
        # kept * 100 added to the same frost, up to truncation.
        assert np.all(np.abs(difference - kept * 100) <= 1)
    weights = [w for _, w in cifar10c.PARAMETERS["frost"]]
    dark_means = [
        cifar10c.corrupt(_grey(0), "frost", s, np.random.default_rng(4)).mean()
        / w
        for s, w in enumerate(weights, 1)
    ]
    # A black image shows frost_weight * picture: the same crop scaled.
    np.testing.assert_allclose(dark_means, dark_means[0], rtol=0.02)


def test_snow_only_brightens_and_more_at_higher_severity():
    image = _checkers() // 2
    for s in range(1, 6):
        out = cifar10c.corrupt(image, "snow", s, np.random.default_rng(s))
        assert np.all(out >= image)
    gains = _change("snow", _grey(0), seeds=range(4))
    assert gains[0] < gains[2] < gains[4]
    assert gains[4] == max(gains)


def test_spatter_water_adds_turquoise_and_mud_covers_with_brown():
    image = _grey(100)
    for s in (1, 2, 3):  # water: x + m * (175, 238, 238) / 255
        out = cifar10c.corrupt(image, "spatter", s, np.random.default_rng(0))
        assert np.all(out >= 100)
        wet = out[..., 0] > 100
        assert wet.any()
        assert np.all(out[wet][:, 1] >= out[wet][:, 0])
    for s in (4, 5):  # mud: pixels mixed with (63, 42, 20) / 255, m >= 0.8
        changed = 0
        for seed in range(5):
            rng = np.random.default_rng(seed)
            out = cifar10c.corrupt(_grey(255), "spatter", s, rng)
            muddy = np.any(out != 255, axis=-1)
            changed += muddy.sum()
            assert np.all(out[muddy][:, 0] <= 255 * 0.2 + 63 * 0.8 + 1)
            assert np.all(out[muddy][:, 0] >= out[muddy][:, 2])
        assert changed > 0


def test_elastic_is_a_pure_affine_warp_at_severity_1():
    ramp = _ramp()
    inner = (slice(8, 24), slice(8, 24))

    def curvature(severity, seed):
        out = cifar10c.corrupt(
            ramp, "elastic", severity, np.random.default_rng(seed)
        ).astype(float)[..., 0]
        rows = np.abs(np.diff(out, 2, axis=0))[inner].max()
        cols = np.abs(np.diff(out, 2, axis=1))[inner].max()
        return max(rows, cols)

    # alpha = 0 at severity 1: an affine map keeps a ramp linear (second
    # differences only from truncation to uint8); later severities bend it.
    assert max(curvature(1, seed) for seed in range(3)) <= 2
    assert min(curvature(5, seed) for seed in range(3)) > 4
    np.testing.assert_array_equal(
        cifar10c.corrupt(_grey(), "elastic", 5, np.random.default_rng(0)),
        _grey(),
    )
