"""The 19 CIFAR-10-C corruptions with CIFAR-10-C's own parameters.

CIFAR-10-C (Hendrycks & Dietterich, ICLR 2019) was made with parameters
chosen for 32x32 images, milder than ImageNet-C's (which the
`imagecorruptions` package implements, for 224x224 images): Gaussian noise
of standard deviation 0.10 at severity 5 instead of 0.38, for example. The
corruptions below follow the formulas and per-severity parameters of
CIFAR-10-C's generation script (`make_cifar_c.py` in the authors'
hendrycks/robustness repository; `PARAMETERS`, pixel values in [0, 1]),
written anew. Two tools of that script are not used: ImageMagick's motion
blur (motion blur, snow) is computed here with the same one-sided Gaussian
kernel along the blur direction, and the frost pictures are the same six
photographs, read from the `imagecorruptions` package, which ships them.
Images larger than 32x32 get the parameters that scale with the size
(fog's fractal, frost's crop, elastic's displacements) scaled with it.

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

import functools
import io

import numpy as np

from nda_tf import extras

# Corruption -> its parameter at severities 1..5 (CIFAR-10-C's values, from
# make_cifar_c.py; the comments name what each number is).
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
    # (disk radius, sigma of the disk's anti-aliasing blur), pixels.
    "defocus_blur": ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)),
    # (blur sigma, largest pixel jump, passes of pixel jumps).
    "frosted_glass_blur": (
        (0.05, 1, 1),
        (0.25, 1, 1),
        (0.4, 1, 1),
        (0.25, 1, 2),
        (0.4, 1, 2),
    ),
    # (radius, sigma) of the one-sided motion-blur kernel, pixels.
    "motion_blur": ((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)),
    # Largest zoom of the averaged zooms 1.00, 1.01, ...: the script's
    # np.arange(1, 1.06, 0.01) and np.arange(1, 1.11, 0.01) end at 1.06
    # and 1.11 (float steps overshoot), the other three at 1.15, 1.2, 1.25.
    "zoom_blur": (1.06, 1.11, 1.15, 1.20, 1.25),
    # (flake mean, flake std, zoom, flake threshold, blur radius, blur
    # sigma, kept share of the image against its whitened copy).
    "snow": (
        (0.1, 0.2, 1, 0.6, 8, 3, 0.95),
        (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
        (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
        (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
        (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
    ),
    # (weight of the image, weight of the frost picture).
    "frost": ((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)),
    # (fog strength, decay of the fractal's roughness per octave).
    "fog": ((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)),
    # (liquid mean, liquid std, liquid blur sigma, liquid threshold,
    # strength: water's scale or mud's blur sigma, 0 water / 1 mud).
    "spatter": (
        (0.62, 0.1, 0.7, 0.7, 0.5, 0),
        (0.65, 0.1, 0.8, 0.7, 0.5, 0),
        (0.65, 0.3, 1, 0.69, 0.5, 0),
        (0.65, 0.1, 0.7, 0.69, 0.6, 1),
        (0.65, 0.1, 0.5, 0.68, 0.6, 1),
    ),
    # (displacement scale alpha, displacement smoothness sigma, affine
    # jitter), as shares of the image size (32: the script's IMSIZE * ...).
    "elastic": (
        (0, 0, 0.08),
        (0.05, 0.2, 0.07),
        (0.08, 0.06, 0.06),
        (0.1, 0.04, 0.05),
        (0.1, 0.03, 0.03),
    ),
}
# The pale turquoise of water and the brown of mud (spatter), RGB / 255.
WATER = np.array([175, 238, 238]) / 255.0
MUD = np.array([63, 42, 20]) / 255.0
# The frost photographs CIFAR-10-C drew from (the script picks one of the
# first five), at a fifth of their size for 32x32 images.
FROST_FILES = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg")
FROST_FILES += ("frost5.jpg",)
FROST_SCALE = 0.2
CIFAR_SIZE = 32


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
    # The corruptions import OpenCV, SciPy, scikit-image and Pillow where
    # they use them: all are checked here, before the first image.
    _require_ood_extra()
    c = PARAMETERS[corruption][severity - 1]
    x = np.asarray(image, np.float64) / 255.0
    out = np.clip(_FUNCTIONS[corruption](x, c, rng), 0.0, 1.0) * 255
    # Truncation as CIFAR-10-C; the 1e-6 keeps values that are whole
    # numbers up to float error (v / 255 * 255) from dropping to v - 1.
    return np.uint8(out + 1e-6)


@functools.cache
def _require_ood_extra():
    extras.require(("ood",), __name__)


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


def _defocus_blur(x, change, rng):
    import cv2

    radius, alias_sigma = change
    # A disk on a grid of at least 17x17 pixels, smoothed at its rim.
    half = max(8, int(np.ceil(radius)))
    grid = np.arange(-half, half + 1)
    disk = (grid[:, None] ** 2 + grid[None, :] ** 2 <= radius**2).astype(
        np.float32
    )
    disk /= disk.sum()
    size = (3, 3) if radius <= 8 else (5, 5)
    kernel = cv2.GaussianBlur(disk, size, sigmaX=alias_sigma)
    return np.stack(
        [cv2.filter2D(x[..., k], -1, kernel) for k in range(x.shape[-1])],
        axis=-1,
    )


def _frosted_glass_blur(x, change, rng):
    from skimage import filters

    sigma, jump, passes = change
    height, width = x.shape[:2]
    pixels = np.uint8(filters.gaussian(x, sigma=sigma, channel_axis=-1) * 255)
    if jump != 1:
        raise ValueError(
            f"glass blur jumps of {jump} pixels are not supported; "
            "CIFAR-10-C's are all 1"
        )
    rows = np.arange(height - 1, 1, -1)[:, None]
    cols = np.arange(width - 1, 1, -1)[None, :]
    for _ in range(passes):
        # From the bottom-right corner up and left, each pixel takes the
        # value of its neighbour one up and/or one left, or keeps its own
        # (offsets drawn from {-1, 0}). The script meant to swap the two
        # pixels, but its tuple swap of NumPy views copies, so CIFAR-10-C's
        # pixels copy. The sources are pixels not yet visited, which still
        # hold their values: the pass is one gather.
        offsets = rng.integers(-1, 1, size=(rows.size, cols.size, 2))
        pixels[rows, cols] = pixels[
            rows + offsets[..., 1], cols + offsets[..., 0]
        ]
    return filters.gaussian(pixels / 255.0, sigma=sigma, channel_axis=-1)


def motion_blur_kernel(radius, sigma):
    """Weights of ImageMagick's motion blur: a one-sided Gaussian over
    `2 * ceil(radius) + 1` pixels, normalised; pixel i of the trail has
    weight exp(-i^2 / (2 sigma^2))."""
    steps = np.arange(2 * int(np.ceil(radius)) + 1)
    weights = np.exp(-(steps**2) / (2.0 * sigma**2))
    return weights / weights.sum()


def _motion(x, radius, sigma, angle):
    """Each pixel averages the pixels behind it along `angle` (degrees),
    weighted by `motion_blur_kernel`; outside pixels repeat the edge."""
    height, width = x.shape[:2]
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    radians = np.deg2rad(angle)
    out = np.zeros_like(x, dtype=np.float64)
    for i, weight in enumerate(motion_blur_kernel(radius, sigma)):
        # The offsets ImageMagick rounds: (i cos a, i sin a), half up.
        dx = int(np.ceil(i * np.cos(radians) - 0.5))
        dy = int(np.ceil(i * np.sin(radians) - 0.5))
        source_rows = np.clip(rows + dy, 0, height - 1)
        source_cols = np.clip(cols + dx, 0, width - 1)
        out += weight * x[source_rows, source_cols]
    return out


def _motion_blur(x, change, rng):
    radius, sigma = change
    out = _motion(x, radius, sigma, rng.uniform(-45, 45))
    # The script's blur went through 8-bit PNG files.
    return np.round(np.clip(out, 0.0, 1.0) * 255) / 255.0


def _clipped_zoom(x, factor):
    """The centre of `x` zoomed by `factor` (bilinear) to `x`'s size."""
    from scipy import ndimage

    height, width = x.shape[:2]
    crop_h, crop_w = int(np.ceil(height / factor)), int(np.ceil(width / factor))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    crop = x[top : top + crop_h, left : left + crop_w]
    zoom = (factor, factor) + (1,) * (x.ndim - 2)
    big = ndimage.zoom(crop, zoom, order=1)
    top, left = (big.shape[0] - height) // 2, (big.shape[1] - width) // 2
    return big[top : top + height, left : left + width]


def _zoom_blur(x, largest, rng):
    # Zooms 1.00, 1.01, ..., largest, averaged with the image itself.
    factors = 1.0 + np.arange(int(round((largest - 1.0) * 100)) + 1) / 100
    x = x.astype(np.float32)
    total = x + sum(_clipped_zoom(x, f) for f in factors)
    return total / (len(factors) + 1)


def _snow(x, change, rng):
    import cv2

    mean, std, zoom, threshold, radius, sigma, kept = change
    height, width = x.shape[:2]
    flakes = rng.normal(mean, std, size=(height, width, 1))
    flakes = _clipped_zoom(flakes, zoom)
    flakes[flakes < threshold] = 0
    # 8-bit as the script's PNG round trip, then falling at -135..-45 deg.
    flakes = np.uint8(np.clip(flakes[..., 0], 0, 1) * 255) / 255.0
    flakes = _motion(flakes, radius, sigma, rng.uniform(-135, -45))
    flakes = (np.round(np.clip(flakes, 0, 1) * 255) / 255.0)[..., None]
    x = x.astype(np.float32)
    grey = cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[..., None]
    x = kept * x + (1 - kept) * np.maximum(x, grey * 1.5 + 0.5)
    return x + flakes + np.rot90(flakes, k=2)


@functools.cache
def frost_picture(index, scale):
    """Frost photograph `index` (0..4) of `FROST_FILES`, RGB in 0..255,
    resized by `scale` (bilinear, as the script's cv2.resize)."""
    import importlib.resources

    import cv2
    from PIL import Image

    path = importlib.resources.files("imagecorruptions") / "frost"
    with (path / FROST_FILES[index]).open("rb") as file:
        picture = np.asarray(Image.open(file).convert("RGB"))
    return cv2.resize(picture, (0, 0), fx=scale, fy=scale).astype(np.float64)


def _frost(x, change, rng):
    kept, frost_weight = change
    height, width = x.shape[:2]
    scale = FROST_SCALE * max(height, width) / CIFAR_SIZE
    picture = frost_picture(int(rng.integers(len(FROST_FILES))), scale)
    top = rng.integers(0, picture.shape[0] - height)
    left = rng.integers(0, picture.shape[1] - width)
    crop = picture[top : top + height, left : left + width] / 255.0
    return kept * x + frost_weight * crop


def plasma_fractal(size, decay, rng):
    """A `[size, size]` diamond-square fractal in [0, 1] (`size` a power of
    two; wraps around), its roughness divided by `decay` per octave."""
    grid = np.zeros([size, size])
    step, wobble = size, 100.0

    def jittered(total):
        return total / 4 + wobble * rng.uniform(-wobble, wobble, total.shape)

    while step >= 2:
        half = step // 2
        corners = grid[::step, ::step]
        square = corners + np.roll(corners, -1, axis=0)
        square = square + np.roll(square, -1, axis=1)
        grid[half::step, half::step] = jittered(square)
        centres, corners = grid[half::step, half::step], grid[::step, ::step]
        grid[::step, half::step] = jittered(
            centres
            + np.roll(centres, 1, axis=0)
            + corners
            + np.roll(corners, -1, axis=1)
        )
        grid[half::step, ::step] = jittered(
            centres
            + np.roll(centres, 1, axis=1)
            + corners
            + np.roll(corners, -1, axis=0)
        )
        step, wobble = half, wobble / decay
    grid -= grid.min()
    return grid / grid.max()


def _fog(x, change, rng):
    strength, decay = change
    height, width = x.shape[:2]
    size = 1 << int(np.ceil(np.log2(max(height, width, 2))))
    fog = plasma_fractal(size, decay, rng)[:height, :width, None]
    brightest = x.max()
    return (x + strength * fog) * brightest / (brightest + strength)


def _spatter(x, change, rng):
    from skimage import filters

    mean, std, sigma, threshold, strength, mud = change
    liquid = rng.normal(mean, std, size=x.shape[:2])
    liquid = filters.gaussian(liquid, sigma=sigma)
    liquid[liquid < threshold] = 0
    if mud:
        # Opaque brown blobs where the smoothed liquid mask is >= 0.8.
        mask = filters.gaussian((liquid > threshold) * 1.0, sigma=strength)
        mask[mask < 0.8] = 0
        mask = mask[..., None]
        return x * (1 - mask) + MUD * mask
    return x + _water(liquid, strength)[..., None] * WATER


def _water(liquid, strength):
    """Spatter's water layer: the liquid, brightest along embossed drop
    edges, scaled to peak at `strength`."""
    import cv2

    liquid = np.uint8(np.clip(liquid, 0, 1) * 255)
    distance = cv2.distanceTransform(
        255 - cv2.Canny(liquid, 50, 150), cv2.DIST_L2, 5
    )
    distance = np.minimum(distance, 20)
    distance = cv2.equalizeHist(cv2.blur(distance, (3, 3)).astype(np.uint8))
    emboss = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32)
    distance = cv2.filter2D(distance, cv2.CV_8U, emboss)
    layer = liquid * cv2.blur(distance, (3, 3)).astype(np.float32)
    peak = layer.max()
    return layer / peak * strength if peak > 0 else layer


def _elastic(x, change, rng):
    import cv2
    from scipy import ndimage
    from skimage import filters

    height, width = x.shape[:2]
    size = min(height, width)
    alpha, sigma, jitter = (share * size for share in change)
    x = x.astype(np.float32)
    # A random affine map: three points around the centre moved by up to
    # `jitter` pixels each.
    centre, reach = np.float32([width, height]) // 2, size // 3
    points = np.float32(
        [
            centre + reach,
            [centre[0] + reach, centre[1] - reach],
            centre - reach,
        ]
    )
    moved = points + rng.uniform(-jitter, jitter, points.shape)
    matrix = cv2.getAffineTransform(points, moved.astype(np.float32))
    x = cv2.warpAffine(
        x, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101
    )
    # Then a smooth random displacement field of scale `alpha`.
    dx, dy = (
        filters.gaussian(
            rng.uniform(-1, 1, (height, width)),
            sigma,
            mode="reflect",
            truncate=3,
        )
        * alpha
        for _ in range(2)
    )
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    coordinates = [rows + dy, cols + dx]
    return np.stack(
        [
            ndimage.map_coordinates(
                x[..., k], coordinates, order=1, mode="reflect"
            )
            for k in range(x.shape[-1])
        ],
        axis=-1,
    )


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
    "defocus_blur": _defocus_blur,
    "frosted_glass_blur": _frosted_glass_blur,
    "motion_blur": _motion_blur,
    "zoom_blur": _zoom_blur,
    "snow": _snow,
    "frost": _frost,
    "fog": _fog,
    "spatter": _spatter,
    "elastic": _elastic,
}
