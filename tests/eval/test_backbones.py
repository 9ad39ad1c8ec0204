"""Backbones: the Inception graph loader, Keras models, EfficientNet-Lite0."""

import tarfile

import keras
import numpy as np
import pytest
import skimage.data

from nda_tf.eval import backbones
from nda_tf.eval.backbones import efficientnet_lite, inception_graph
from tests.eval import graphs


def _images(batch=3, height=20, width=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (batch, height, width, 3)).astype("float32")


@pytest.fixture
def graph_file(tmp_path):
    path = tmp_path / inception_graph.GRAPH_FILE
    path.write_bytes(graphs.inception_like_graph_def().SerializeToString())
    return path


def test_inception_graph_feeds_0_255_batches_and_reads_pool_3(graph_file):
    extractor = backbones.InceptionGraph(graph_file)
    images = _images()
    features, logits = extractor.features_and_logits(images)
    expected_features, expected_logits = graphs.expected_outputs(
        (images + 1.0) * 127.5
    )
    # Batch 3 through a graph whose own reshape fixes the batch at 1.
    np.testing.assert_allclose(features, expected_features, atol=1e-5)
    np.testing.assert_allclose(logits, expected_logits, atol=1e-5)
    assert (extractor.feature_dim, extractor.num_classes) == (
        graphs.FEATURES,
        graphs.CLASSES,
    )
    assert "comparable with published FIDs" in extractor.describe()


def test_inception_graph_from_tgz_and_cache(graph_file, tmp_path):
    archive = tmp_path / "inception-2015-12-05.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(graph_file, arcname="inception/" + graph_file.name)
    images = _images(batch=2)
    from_pb = backbones.InceptionGraph(graph_file)(images)
    from_tgz = backbones.InceptionGraph(archive)(images)
    cached = inception_graph.cached_graph_path(tmp_path / "cache")
    cached.parent.mkdir(parents=True)
    cached.write_bytes(graph_file.read_bytes())
    from_cache = backbones.get("inception", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(from_pb, from_tgz)
    np.testing.assert_array_equal(from_pb, from_cache(images))


def test_inception_graph_errors_name_what_to_provide(tmp_path):
    expected = str(inception_graph.cached_graph_path(tmp_path))
    with pytest.raises(ValueError, match="not available") as error:
        backbones.InceptionGraph(cache_dir=tmp_path)
    assert expected in str(error.value)
    assert inception_graph.URL in str(error.value)
    with pytest.raises(ValueError, match="no Inception graph file"):
        backbones.InceptionGraph(tmp_path / "missing.pb")
    other = graphs.inception_like_graph_def()
    for node in other.node:
        if node.name == "pool_3":
            node.name = "pool_4"
    with pytest.raises(ValueError, match="pool_3:0"):
        backbones.InceptionGraph(graph_def=other)


def test_keras_model_wrapper_handles_grey_uint8_and_maps():
    model = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.Conv2D(4, 3, kernel_initializer="ones"),
        ]
    )
    extractor = backbones.get(model, name="conv", input_size=(8, 8))
    grey = np.full((2, 10, 10, 1), 255, np.uint8)
    features = extractor(grey)
    # Pixels 255 -> 1.0 in all 3 channels; a 3x3x3 ones kernel sums 27.
    np.testing.assert_allclose(features, np.full((2, 4), 27.0), rtol=1e-6)
    assert extractor.name == "conv" and not extractor.has_logits
    with pytest.raises(ValueError, match="rank|batch, height"):
        extractor(np.zeros((4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="unknown backbone 'vgg'"):
        backbones.get("vgg")
    with pytest.raises(ValueError, match="input_size"):
        backbones.KerasFeatureExtractor(model, input_size=(8,))


def test_keras_inception_v3_without_weights():
    extractor = backbones.get("inception_v3_keras", weights=None)
    features, logits = extractor.features_and_logits(_images(batch=2))
    assert features.shape == (2, 2048) and logits.shape == (2, 1000)
    assert "random init" in extractor.describe()


def test_keras_inception_v3_imagenet_offline_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="not in the Keras cache") as error:
        backbones.KerasInceptionV3()
    assert str(tmp_path) in str(error.value)


def test_efficientnet_lite0_classifies_the_cat_photo():
    extractor = backbones.get("efficientnet_lite0")
    cat = skimage.data.chelsea()[None]  # uint8, 300x451
    features, logits = extractor.features_and_logits(cat)
    top = int(np.argmax(logits[0]))
    # ImageNet 281-285: tabby, tiger cat, Persian, Siamese, Egyptian cat.
    assert 281 <= top <= 285, top
    probs = np.exp(logits[0] - logits[0].max())
    probs /= probs.sum()
    assert probs[281:286].sum() > 0.9
    assert features.shape == (1, 1280) and (features >= 0).all()
    # A coffee mug photo is not a cat: the features carry the content.
    coffee = extractor.features_and_logits(skimage.data.coffee()[None])[1]
    assert not 281 <= int(np.argmax(coffee[0])) <= 285


def test_efficientnet_lite0_weight_errors(tmp_path):
    with pytest.raises(ValueError, match="no EfficientNet-Lite0 weights"):
        efficientnet_lite.EfficientNetLite0(weights=str(tmp_path / "x.pth"))
    model = efficientnet_lite.build_model()
    with pytest.raises(ValueError, match="no entry '_conv_stem.weight'"):
        efficientnet_lite.load_weights(model, {})
