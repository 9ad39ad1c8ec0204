"""The GAN recipe's CR / DiffAugment options, "other classes" NDA and the
Appendix J FID image counts."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from nda_tf import data, training
from nda_tf.gan import recipe
from nda_tf.gan.recipe import GAN
from tests.training.test_loop import GAN_TINY as TINY
from tests.training.test_loop import options


def test_cr_and_diffaugment_options_reach_the_model():
    config = GAN.resolve(
        dict(
            TINY,
            cr_weight=10.0,
            cr_fake_weight=5.0,
            diffaugment="color,cutout",
            resolution=32,
            num_classes=1,
        )
    )
    gan = GAN.build(config, compile=False)
    assert (gan.cr_weight, gan.cr_fake_weight) == (10.0, 5.0)
    assert gan.diff_augment.ops == ("color", "cutout")
    with pytest.raises(ValueError, match="unknown DiffAugment op 'hue'"):
        GAN.build(dict(config, diffaugment="hue"), compile=False)


@pytest.mark.parametrize(
    ("dataset", "given", "expected"),
    [
        ("celeb_a", None, 19_962),
        ("stl10", None, 8_000),
        ("cifar10", None, 10_000),
        ("cifar100", None, 10_000),
        ("stl10", 500, 500),
    ],
)
def test_fid_counts_follow_appendix_j(dataset, given, expected):
    config = GAN.resolve({"dataset": dataset, "eval_num_samples": given})
    assert recipe.fid_num_samples(config) == expected


def test_other_classes_trains_on_some_classes_with_the_rest_as_negatives():
    config = dict(
        TINY,
        dataset="cifar10",
        classes=["3", "7"],
        nda="other_classes",
        conditional=True,
        steps=1,
    )
    with tfds.testing.mock_data(num_examples=40):
        images, labels, _ = data.read_arrays("cifar10")
        stream = GAN.stream(GAN.resolve(config))
        kept = np.isin(labels, [3, 7])
        assert stream.info.num_classes == 2
        assert stream.info.num_examples == kept.sum()
        np.testing.assert_array_equal(stream.arrays[0], images[kept])
        np.testing.assert_array_equal(
            stream.arrays[1], (labels[kept] == 7).astype(np.int32)
        )
        # The loop resolves and builds the same way (tests/training).
        gan = GAN.build(GAN.resolve(config, stream.info), compile=False)
    assert gan.num_classes == 2
    bank = gan.nda._bank.numpy()
    others = images[~kept].astype(np.float32) / 127.5 - 1.0
    np.testing.assert_allclose(bank, others, atol=1e-6)
    # A fresh negative batch holds only other-class images.
    negatives = gan.nda(np.zeros([6, 32, 32, 3], np.float32)).numpy()
    for negative in negatives:
        assert np.abs(others - negative).max(axis=(1, 2, 3)).min() < 1e-6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nda": "other_classes"}, "--nda=other_classes needs --classes"),
        ({"classes": ["12"]}, r"classes \[12\] are not in 'cifar10'"),
        ({"classes": ["cat"]}, "classes must be integer class ids"),
        ({"classes": ["1", "1"]}, "classes must be distinct class ids"),
    ],
)
def test_bad_class_settings_name_the_value(tmp_path, change, message):
    config = dict(TINY, dataset="cifar10", steps=1, **change)
    with tfds.testing.mock_data(num_examples=8):
        with pytest.raises(ValueError, match=message):
            training.train(GAN, config, str(tmp_path), options())


def test_classes_of_a_generated_source_are_refused(tmp_path):
    with pytest.raises(ValueError, match="--classes needs a finite"):
        training.train(GAN, dict(TINY, classes=["0"]), str(tmp_path), options())


def test_an_other_classes_placeholder_says_what_it_needs():
    from nda_tf import transforms

    with pytest.raises(ValueError, match="other_classes needs its dataset"):
        transforms.get("other_classes")(np.zeros([2, 8, 8, 3], np.float32))


@pytest.mark.parametrize(
    "arch, given, expected",
    [
        ("biggan", None, 2),
        ("sngan", None, 1),
        ("biggan", 1, 1),
        ("sngan", 2, 2),
    ],
)
def test_d_calls_defaults_to_the_authors_step_for_biggan(arch, given, expected):
    """The paper's BigGANs were trained with two D calls per D step; the
    default follows the architecture, an explicit value wins, and the
    model gets it."""
    c = GAN.resolve({"arch": arch, "d_calls": given, "ch": 4})
    assert c["d_calls"] == expected


@pytest.mark.parametrize(
    "arch, given, expected",
    [
        ("biggan", None, 64),
        ("sngan", None, 0),
        ("biggan", 0, 0),
        ("sngan", 8, 8),
    ],
)
def test_sampling_statistics_follow_the_authors_evaluation_for_biggan(
    arch, given, expected
):
    """Their sample.py runs G_ema in training mode at batch 64; the
    default follows the architecture, an explicit value wins, the model
    gets it, and it is not part of the run (a resume may change it)."""
    c = GAN.resolve(
        {
            "arch": arch,
            "sample_stats_batch": given,
            "ch": 4,
            "num_classes": 1,
            "resolution": 32,
        }
    )
    assert c["sample_stats_batch"] == expected
    assert GAN.build(c, compile=False).sample_stats_batch == expected
    assert "sample_stats_batch" not in GAN.resume_keys


@pytest.mark.parametrize("bad", [0, 3])
def test_d_calls_other_than_one_or_two_is_refused(bad):
    with pytest.raises(ValueError, match=f"d_calls.*{bad}"):
        GAN.resolve({"d_calls": bad})


@pytest.mark.parametrize(
    "arch, given, expected",
    [
        ("biggan", None, "authors"),
        ("sngan", None, "zero_bias"),
        ("biggan", "zero_bias", "zero_bias"),
    ],
)
def test_init_defaults_to_the_authors_start_for_biggan(arch, given, expected):
    c = GAN.resolve({"arch": arch, "init": given, "ch": 4})
    assert c["init"] == expected


def test_the_authors_init_is_refused_for_sngan():
    with pytest.raises(ValueError, match="--init=authors.*--arch=sngan"):
        GAN.resolve({"arch": "sngan", "init": "authors"})


def test_the_recipe_builds_the_biggan_with_its_init():
    import keras

    keras.utils.set_random_seed(0)
    for init, nonzero in (("authors", True), ("zero_bias", False)):
        c = GAN.resolve({"arch": "biggan", "ch": 4, "init": init})
        c.update(num_classes=1, resolution=32)
        gan = GAN.build(c, compile=False)
        assert gan.discriminator.init == init == gan.generator.init
        bias = gan.discriminator.get_layer("block1_conv1").bias.numpy()
        assert bool(np.any(bias != 0.0)) is nonzero
