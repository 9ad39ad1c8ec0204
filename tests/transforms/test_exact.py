"""Exact pixels for hand-built transformations of every transform."""

import numpy as np
import tensorflow as tf

import nda_tf.transforms as T


def _ramp(batch=2, height=4, width=4, channels=1):
    """Images whose every pixel value is distinct."""
    size = batch * height * width * channels
    return np.arange(size, dtype="float32").reshape(
        batch, height, width, channels
    )


def test_jigsaw_moves_tiles_row_major():
    image = _ramp(batch=1)
    # Tiles of a 2x2 grid, numbered row-major: 0 1 / 2 3. Show tile 3 at
    # position 0, tile 0 at 1, tile 1 at 2 and tile 2 at 3.
    transformation = {"permutation": tf.constant([[3, 0, 1, 2]])}
    output = T.Jigsaw(grid=2).transform_images(image, transformation)
    tiles = [image[0, :2, :2], image[0, :2, 2:], image[0, 2:, :2]]
    tiles.append(image[0, 2:, 2:])
    expected = np.block(
        [
            [tiles[3][..., 0], tiles[0][..., 0]],
            [tiles[1][..., 0], tiles[2][..., 0]],
        ]
    )[None, ..., None]
    np.testing.assert_array_equal(output, expected)


def test_jigsaw_grid_3_reversed_tiles():
    images = _ramp(batch=2, height=6, width=9, channels=2)
    reverse = {"permutation": tf.tile(tf.range(8, -1, -1)[None], [2, 1])}
    output = T.Jigsaw(grid=3).transform_images(images, reverse).numpy()
    # Tile (row r, col c) is 2 x 3 pixels; position p shows tile 8 - p.
    for position in range(9):
        source = 8 - position
        rows, cols = divmod(position, 3)
        src_rows, src_cols = divmod(source, 3)
        np.testing.assert_array_equal(
            output[:, 2 * rows : 2 * rows + 2, 3 * cols : 3 * cols + 3],
            images[
                :,
                2 * src_rows : 2 * src_rows + 2,
                3 * src_cols : 3 * src_cols + 3,
            ],
        )


def test_stitch_both_directions():
    images = _ramp(batch=2)
    transformation = {
        "partner": tf.constant([1, 0]),
        "direction": tf.constant([0, 1]),  # top/bottom, then left/right
    }
    output = T.Stitch().transform_images(images, transformation).numpy()
    first = np.concatenate([images[0, :2], images[1, 2:]], axis=0)
    second = np.concatenate([images[1, :, :2], images[0, :, 2:]], axis=1)
    np.testing.assert_array_equal(output[0], first)
    np.testing.assert_array_equal(output[1], second)


def test_cutout_fills_the_box_with_its_mean_per_channel():
    images = _ramp(batch=1, height=5, width=6, channels=2)
    box = tf.constant([[1, 2, 2, 3]])  # top, left, height, width
    output = T.Cutout().transform_images(images, {"box": box}).numpy()
    expected = images.copy()
    region = expected[0, 1:3, 2:5]
    expected[0, 1:3, 2:5] = region.mean(axis=(0, 1))
    np.testing.assert_allclose(output, expected, rtol=1e-6)


def test_cutout_rounds_the_mean_for_uint8():
    images = np.zeros([1, 4, 4, 1], "uint8")
    images[0, 0, 0, 0] = 3  # box mean = 3/4 = 0.75 -> 1
    output = T.Cutout().transform_images(
        images, {"box": tf.constant([[0, 0, 2, 2]])}
    )
    assert output.dtype == tf.uint8
    assert output.numpy()[0, :2, :2, 0].tolist() == [[1, 1], [1, 1]]


def test_cutmix_pastes_partner_pixels_at_the_same_place():
    images = _ramp(batch=3)
    transformation = {
        "box": tf.constant([[0, 0, 2, 2], [1, 1, 2, 3], [2, 2, 2, 2]]),
        "partner": tf.constant([2, 0, 1]),
    }
    output = T.CutMix().transform_images(images, transformation).numpy()
    expected = images.copy()
    expected[0, 0:2, 0:2] = images[2, 0:2, 0:2]
    expected[1, 1:3, 1:4] = images[0, 1:3, 1:4]
    expected[2, 2:4, 2:4] = images[1, 2:4, 2:4]
    np.testing.assert_array_equal(output, expected)


def test_mixup_blends_with_gamma():
    images = _ramp(batch=2)
    transformation = {
        "partner": tf.constant([1, 0]),
        "gamma": tf.constant([0.25, 0.5]),
    }
    output = T.Mixup().transform_images(images, transformation).numpy()
    np.testing.assert_allclose(output[0], 0.25 * images[0] + 0.75 * images[1])
    np.testing.assert_allclose(output[1], 0.5 * images[1] + 0.5 * images[0])


def test_random_crop_offsets_into_reflect_padding():
    image = _ramp(batch=1, height=3, width=3)
    layer = T.RandomCrop(padding=1)
    padded = np.pad(image, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    for top, left in [(0, 0), (1, 1), (2, 0), (0, 2)]:
        output = layer.transform_images(
            image, {"offset": tf.constant([[top, left]])}
        )
        np.testing.assert_array_equal(
            output, padded[:, top : top + 3, left : left + 3]
        )


def test_random_crop_constant_fill_is_zero():
    image = _ramp(batch=1, height=3, width=3) + 1
    output = T.RandomCrop(padding=2, fill_mode="constant").transform_images(
        image, {"offset": tf.constant([[0, 4]])}
    )
    expected = np.zeros_like(image)
    expected[0, 2:, :1] = image[0, :1, 2:]
    np.testing.assert_array_equal(output, expected)


def test_flips_follow_the_per_image_flag():
    images = _ramp(batch=2)
    flags = {"flip": tf.constant([True, False])}
    horizontal = T.HorizontalFlip().transform_images(images, flags).numpy()
    vertical = T.VerticalFlip().transform_images(images, flags).numpy()
    np.testing.assert_array_equal(horizontal[0], images[0, :, ::-1])
    np.testing.assert_array_equal(vertical[0], images[0, ::-1])
    np.testing.assert_array_equal(horizontal[1], images[1])
    np.testing.assert_array_equal(vertical[1], images[1])


def test_gaussian_noise_zero_stddev_is_identity_and_noise_is_standard():
    images = np.zeros([4, 64, 64, 3], "float32")
    seed = {"noise_seed": tf.constant([5, 6], tf.int64)}
    quiet = T.GaussianNoise(stddev=0.0).transform_images(images, seed)
    np.testing.assert_array_equal(quiet, images)
    noisy = T.GaussianNoise(stddev=0.5, value_range=(-100, 100))
    noise = noisy.transform_images(images, seed).numpy()
    assert abs(noise.mean()) < 0.01
    assert abs(noise.std() - 0.5) < 0.01


def test_gaussian_noise_is_clipped_to_the_value_range():
    images = np.full([2, 8, 8, 1], 0.9, "float32")
    layer = T.GaussianNoise(stddev=1.0, value_range=(-1.0, 1.0), seed=0)
    output = layer(images).numpy()
    assert output.max() == 1.0 and output.min() >= -1.0
    assert (output == 1.0).mean() > 0.3


def test_random_choice_keeps_each_images_chosen_output():
    images = _ramp(batch=3)
    layer = T.RandomChoice(["vertical_flip", "horizontal_flip"])
    flip_all = {"flip": tf.constant([True, True, True])}
    transformation = {
        "choice": tf.constant([0, 1, 0]),
        "children": (flip_all, flip_all),
    }
    output = layer.transform_images(images, transformation).numpy()
    np.testing.assert_array_equal(output[0], images[0, ::-1])
    np.testing.assert_array_equal(output[1], images[1, :, ::-1])
    np.testing.assert_array_equal(output[2], images[2, ::-1])


def test_random_choice_with_other_samples_and_noise_children():
    bank = np.full([3, 4, 4, 1], 5.0, "float32")
    layer = T.RandomChoice(
        [T.OtherSamples(bank), "gaussian_noise(stddev=0.0)"], seed=0
    )
    images = _ramp(batch=64)
    output = layer(images).numpy()
    from_bank = np.all(output == 5.0, axis=(1, 2, 3))
    unchanged = np.all(output == images, axis=(1, 2, 3))
    assert (from_bank | unchanged).all()
    assert from_bank.any() and unchanged.any()


def test_other_samples_returns_bank_rows_in_the_images_dtype():
    bank = _ramp(batch=5)
    layer = T.OtherSamples(bank)
    output = layer.transform_images(
        np.zeros([3, 4, 4, 1], "float64"), {"indices": tf.constant([4, 0, 4])}
    )
    assert output.dtype == tf.float64
    np.testing.assert_array_equal(output, bank[[4, 0, 4]])


def test_other_samples_from_a_dataset_and_a_callable():
    bank = _ramp(batch=6)
    dataset = tf.data.Dataset.from_tensor_slices(bank).batch(4)
    layer = T.OtherSamples(dataset, bank_size=5, seed=0)
    output = layer(np.zeros([32, 4, 4, 1], "float32")).numpy()
    assert {int(v) for v in output[:, 0, 0, 0]} <= {0, 16, 32, 48, 64}

    def constant_source(batch_size, seed):
        return tf.fill([batch_size, 4, 4, 1], 7.0)

    output = T.OtherSamples(constant_source)(np.zeros([3, 4, 4, 1]))
    np.testing.assert_array_equal(output, np.full([3, 4, 4, 1], 7.0))


def _authors_reassembly(image, permutation, grid):
    """The authors' jigsaw as their code does it, in NumPy: tiles cut
    row-major, listed in the drawn order, stacked into columns."""
    height, width = image.shape[0] // grid, image.shape[1] // grid
    tiles = [
        image[r * height : (r + 1) * height, c * width : (c + 1) * width]
        for r in range(grid)
        for c in range(grid)
    ]
    drawn = [tiles[p] for p in permutation]
    columns = [
        np.concatenate(drawn[i * grid : (i + 1) * grid], axis=0)
        for i in range(grid)
    ]
    return np.concatenate(columns, axis=1)


def test_jigsaw_column_major_reassembly_is_the_authors_layout():
    images = _ramp(batch=3, height=6, width=6, channels=2)
    permutations = [[1, 0, 2, 3], [0, 2, 1, 3], [8, 3, 0, 5, 1, 7, 2, 6, 4]]
    for grid, permutation in zip((2, 2, 3), permutations, strict=True):
        layer = T.Jigsaw(grid=grid, reassembly="column_major")
        transformation = {"permutation": tf.constant([permutation] * 3)}
        output = layer.transform_images(images, transformation).numpy()
        for image, result in zip(images, output, strict=True):
            expected = _authors_reassembly(image, permutation, grid)
            np.testing.assert_array_equal(result, expected)
    # Their identity layout is the transpose; their transpose the image.
    layer = T.Jigsaw(grid=2, reassembly="column_major")
    transposed = {"permutation": tf.constant([[0, 2, 1, 3]] * 3)}
    np.testing.assert_array_equal(
        layer.transform_images(images, transposed), images
    )
