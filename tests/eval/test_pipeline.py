"""Streaming statistics of datasets, arrays and generators; caching."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.eval import backbones, pipeline, reference, stats


def _extractor():
    # Features = per-channel means and mean squares: easy to check by hand.
    inputs = keras.Input((None, None, 3))
    squares = keras.layers.Lambda(lambda x: x * x)(inputs)
    both = keras.layers.Concatenate()([inputs, squares])
    pooled = keras.layers.GlobalAveragePooling2D()(both)
    logits = keras.layers.Dense(4, kernel_initializer="ones")(pooled)
    return backbones.KerasFeatureExtractor(
        keras.Model(inputs, [pooled, logits]), name="moments", num_classes=4
    )


def _expected(images):
    return np.concatenate(
        [images.mean((1, 2)), (images**2).mean((1, 2))], axis=1
    )


def _images(n=37, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (n, 6, 6, 3)).astype("float32")


def _check(result, images):
    features = _expected(images)
    np.testing.assert_allclose(result.mean, features.mean(0), atol=1e-6)
    np.testing.assert_allclose(
        result.covariance, np.cov(features, rowvar=False), atol=1e-6
    )
    np.testing.assert_allclose(result.features, features, atol=1e-6)
    assert result.count == len(images)


def test_sources_give_the_same_statistics():
    images, extractor = _images(), _extractor()
    labels = np.arange(len(images), dtype="int32")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    batched = tf.data.Dataset.from_tensor_slices(images).batch(5)
    position = iter(range(0, 1000, 1))

    def generator(size):
        start = next(position) * 8
        return images[start : start + size]

    for source in (dataset, batched, images, generator):
        result = pipeline.compute_statistics(
            source, extractor, num_images=37, batch_size=8, progress=False
        )
        _check(result, images)
        assert result.metadata["backbone"] == "moments"


def test_takes_only_num_images_and_fails_when_short():
    images, extractor = _images(), _extractor()
    result = pipeline.compute_statistics(
        images, extractor, num_images=10, batch_size=4, progress=False
    )
    _check(result, images[:10])
    # Known sizes (arrays, finite datasets) fail before any feature is
    # computed; a source of unknown size when it runs out.
    unknown = tf.data.Dataset.from_tensor_slices(images).filter(lambda x: True)
    for source in (images, tf.data.Dataset.from_tensor_slices(images), unknown):
        with pytest.raises(
            ValueError, match="asked for 50 images but the source has only 37"
        ):
            pipeline.compute_statistics(
                source, extractor, num_images=50, batch_size=4, progress=False
            )


def test_a_reference_larger_than_its_split_is_an_error_naming_both(tmp_path):
    images = (_images(12) * 127.5 + 127.5).astype("uint8")
    with pytest.raises(ValueError) as error:
        reference.reference_statistics(
            "tiny",
            _extractor(),
            split="test",
            num_images=20,
            source=tf.data.Dataset.from_tensor_slices(images),
            cache_dir=tmp_path,
            progress=False,
        )
    assert str(error.value).startswith(
        "asked for 20 images but tiny (test split) has only 12"
    )
    assert not list(tmp_path.rglob("*.npz"))  # nothing cached


def test_mirrored_strategy_gives_the_same_statistics(mirrored):
    strategy = mirrored
    assert strategy.num_replicas_in_sync == 2
    images = _images()
    with strategy.scope():
        extractor = _extractor()
        result = pipeline.compute_statistics(
            images,
            extractor,
            num_images=37,
            batch_size=9,  # odd: replicas get unequal shards
            keep_logits=True,
            strategy=strategy,
            progress=False,
        )
    _check(result, images)
    assert result.logits.shape == (37, 4)


def test_score_against_itself_and_a_shifted_set():
    extractor = _extractor()
    images = _images(200)
    real = pipeline.compute_statistics(images, extractor, 200, progress=False)
    same = pipeline.score(real, real, ("fid", "kid"))
    assert abs(same["fid"]) < 1e-6
    shifted = pipeline.compute_statistics(
        np.clip(images + 0.5, -1, 1),
        extractor,
        200,
        keep_logits=True,
        progress=False,
    )
    far = pipeline.score(shifted, real, "fid,kid,is", kid_subset_size=100)
    assert far["fid"] > 0.1 and far["kid"] > 0.01
    assert set(far) == {"fid", "kid", "kid_std", "is", "is_std"}
    with pytest.raises(ValueError, match="metrics must be among"):
        pipeline.score(real, real, ("fid", "precison"))
    other = stats.Statistics(
        real.mean, real.covariance, 1, metadata={"backbone": "inception"}
    )
    with pytest.raises(ValueError, match="different backbones"):
        pipeline.score(real, other, ("fid",))


def test_reference_statistics_are_cached(tmp_path):
    extractor, images = _extractor(), _images()
    calls = []

    def source(size):
        calls.append(size)
        return images[sum(calls) - size : sum(calls)]

    first = reference.reference_statistics(
        "my_set",
        extractor,
        num_images=20,
        source=source,
        cache_dir=tmp_path,
        batch_size=10,
        progress=False,
    )
    again = reference.reference_statistics(
        "my_set",
        extractor,
        num_images=20,
        source=source,
        cache_dir=tmp_path,
        batch_size=10,
        progress=False,
    )
    assert calls == [10, 10]  # the second call read the cache
    _check(again, images[:20])
    np.testing.assert_array_equal(first.covariance, again.covariance)
    assert again.metadata["dataset"] == "my_set"
    path = stats.reference_path("my_set", "test", "moments", 20, tmp_path)
    assert path.is_file()
    renamed = backbones.KerasFeatureExtractor(extractor.model, name="moments")
    renamed.name = "other"
    stats.Statistics.load(path).save(
        stats.reference_path("my_set", "test", "other", 20, tmp_path)
    )
    with pytest.raises(ValueError, match="computed with backbone 'moments'"):
        reference.reference_statistics(
            "my_set", renamed, num_images=20, cache_dir=tmp_path
        )
