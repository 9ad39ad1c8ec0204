"""The encoder SavedModel: uint8 in, the Keras encoder's features out,
with warm-up, metadata and the overwrite guard."""

import os

import numpy as np
import pytest
import tensorflow as tf

from nda_tf.data import images as image_ops
from nda_tf.export import encoder as export
from nda_tf.export import servable
from nda_tf.models import resnet


def test_saved_model_matches_the_keras_encoder(tmp_path):
    encoder = resnet.small_resnet(width=4, input_shape=(16, 16, 3))
    path = export.export_encoder(encoder, str(tmp_path), 16, version=3)
    assert path == str(tmp_path / "3")
    served = tf.saved_model.load(path)
    signature = served.signatures["serving_default"]
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, [5, 16, 16, 3], dtype=np.uint8)
    expected = encoder(image_ops.to_float(pixels), training=False).numpy()
    embedding = signature(images=tf.constant(pixels))["embedding"].numpy()
    assert embedding.shape == (5, 32)
    assert np.max(np.abs(embedding - expected)) < 1e-5
    # Other sizes are centre-cropped and resized as the training sources
    # prepare each image.
    large = rng.integers(0, 256, [2, 40, 30, 3], dtype=np.uint8)
    prepared = np.stack(
        [image_ops.to_uint8_square(tf.constant(x), 16) for x in large]
    )
    expected = encoder(image_ops.to_float(prepared), training=False).numpy()
    embedding = served.serve(tf.constant(large))["embedding"].numpy()
    assert np.max(np.abs(embedding - expected)) < 1e-5


def test_bad_arguments_name_the_value(tmp_path):
    encoder = resnet.small_resnet(width=4, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="resolution must be an int"):
        export.export_encoder(encoder, str(tmp_path), "16")
    with pytest.raises(ValueError, match="version .* or None, received 'a'"):
        export.export_encoder(encoder, str(tmp_path), 16, version="a")
    with pytest.raises(ValueError, match="version .* received True"):
        export.export_encoder(encoder, str(tmp_path), 16, version=True)


def test_the_export_has_warmup_metadata_and_an_overwrite_guard(tmp_path):
    encoder = resnet.small_resnet(width=4, input_shape=(8, 8, 3))
    path = export.export_encoder(
        encoder, str(tmp_path), 8, version=1, metadata={"step": 3}
    )
    (warmup,) = servable.read_warmup_requests(path)
    request = warmup.predict_log.request
    assert tf.make_ndarray(request.inputs["images"]).shape == (1, 8, 8, 3)
    metadata = servable.read_metadata(path)
    assert metadata["kind"] == "nda_encoder" and metadata["run"] == {"step": 3}
    assert metadata["signatures"]["serving_default"] == (
        "images: uint8 [N, H, W, 3] -> embedding: float32 [N, D]"
    )
    with pytest.raises(ValueError, match="already exists"):
        export.export_encoder(encoder, str(tmp_path), 8, version=1)
    export.export_encoder(encoder, str(tmp_path), 8, version=1, overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["1"]
