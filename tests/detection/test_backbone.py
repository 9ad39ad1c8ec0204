"""The trunk and head cut from an encoder share its layers and compose
to it; the ImageNet encoder takes our images and has the same cut."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from nda_tf.detection import backbone
from nda_tf.models import resnet


@pytest.mark.parametrize("stem, stride", [("cifar", 4), ("imagenet", 16)])
def test_the_cut_composes_to_the_encoder_and_shares_its_weights(stem, stride):
    encoder = resnet.small_resnet(width=4, stem=stem)
    trunk, head, found = backbone.cut(encoder, "stage3")
    assert found == stride
    images = tf.random.uniform([2, 32, 32, 3], -1, 1, seed=1)
    np.testing.assert_allclose(head(trunk(images)), encoder(images), atol=1e-5)
    ours = {id(v) for v in encoder.trainable_variables}
    parts = trunk.trainable_variables + head.trainable_variables
    assert {id(v) for v in parts} == ours
    # The head runs on RoI crops of any size.
    assert head(tf.zeros([5, 3, 3, 16])).shape == (5, 32)


@pytest.mark.parametrize("size", [24, 56, 120])
def test_an_input_size_off_the_stride_is_refused_at_the_cut(size):
    # Each stride-2 layer rounds up: at 120 pixels C4 has 8 cells, which
    # 120 / 8 = 15 took for the stride (14 at 56, 12 at 24).
    encoder = resnet.small_resnet(
        width=4, stem="imagenet", input_shape=(size, size, 3)
    )
    below, above = size // 16 * 16, size // 16 * 16 + 16
    nearest = f"{below} or {above}" if below else f"{above}"
    with pytest.raises(
        ValueError,
        match=f"^resolution {size} is not a multiple of the encoder's C4 "
        f"stride 16 .*: use {nearest}$",
    ):
        backbone.cut(encoder, "stage3")


@pytest.mark.parametrize("stem", ["cifar", "imagenet"])
def test_the_probed_stride_is_the_stems(stem):
    # The recipe checks the resolution against C4_STRIDES before it builds.
    encoder = resnet.small_resnet(width=4, stem=stem, input_shape=(128, 128, 3))
    assert backbone.cut(encoder, "stage3")[2] == backbone.C4_STRIDES[stem]


def test_the_stages_of_our_resnets_are_named():
    encoder = resnet.resnet18(input_shape=(32, 32, 3))
    shapes = [encoder.get_layer(f"stage{k}").output.shape for k in (1, 2, 3, 4)]
    assert [s[1:] for s in shapes] == [
        (32, 32, 64), (16, 16, 128), (8, 8, 256), (4, 4, 512),
    ]  # fmt: skip


def test_a_bad_cut_is_one_line_naming_it():
    with pytest.raises(ValueError, match="c4_layer 'res4' is not a layer"):
        backbone.cut(resnet.small_resnet(width=4), "res4")
    with pytest.raises(ValueError, match="must be a functional keras.Model"):
        backbone.cut(keras.layers.Dense(3), "stage3")


def test_the_imagenet_resnet50_takes_our_images_as_caffe_pixels():
    encoder = backbone.imagenet_resnet50(64, weights=None)
    assert encoder.input_shape == (None, 64, 64, 3)
    assert encoder.output_shape == (None, 2048)
    _, head, stride = backbone.cut(encoder, backbone.IMAGENET_C4)
    assert stride == 16 and head.input_shape == (None, None, None, 1024)
    # White in [-1, 1] is 255 in each channel less the BGR means.
    caffe = backbone.CaffeInput()(tf.constant([[[[1.0, 1.0, -1.0]]]]))
    np.testing.assert_allclose(
        caffe[0, 0, 0], [0 - 103.939, 255 - 116.779, 255 - 123.68], atol=1e-3
    )
