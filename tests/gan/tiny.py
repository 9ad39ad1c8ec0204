"""Tiny generator / discriminator pairs for fast NDAGAN tests."""

import keras

SIZE = 8


def generator(z_dim=4, num_classes=1, hidden=32, seed=0):
    init = keras.initializers.GlorotUniform(seed)
    z = keras.Input((z_dim,), name="z")
    h = z
    inputs = z
    if num_classes > 1:
        labels = keras.Input((), dtype="int32", name="labels")
        h = keras.layers.Concatenate()(
            [
                z,
                keras.layers.Embedding(
                    num_classes, 4, embeddings_initializer=init
                )(labels),
            ]
        )
        inputs = [z, labels]
    h = keras.layers.Dense(hidden, "relu", kernel_initializer=init)(h)
    h = keras.layers.BatchNormalization(synchronized=True)(h)
    h = keras.layers.Dense(SIZE * SIZE, kernel_initializer=init)(h)
    h = keras.layers.Activation("tanh", dtype="float32")(h)
    images = keras.layers.Reshape((SIZE, SIZE, 1))(h)
    return keras.Model(inputs, images, name="tiny_generator")


def discriminator(num_classes=1, hidden=32, seed=1):
    init = keras.initializers.GlorotUniform(seed)
    images = keras.Input((SIZE, SIZE, 1), name="images")
    h = keras.layers.Flatten()(images)
    h = keras.layers.Dense(hidden, kernel_initializer=init)(h)
    h = keras.layers.LeakyReLU(0.2)(h)
    logits = keras.layers.Dense(1, kernel_initializer=init)(h)
    inputs = images
    if num_classes > 1:
        labels = keras.Input((), dtype="int32", name="labels")
        projection = keras.layers.Embedding(
            num_classes, hidden, embeddings_initializer=init
        )(labels)
        logits = logits + keras.ops.sum(projection * h, axis=1, keepdims=True)
        inputs = [images, labels]
    logits = keras.layers.Activation("linear", dtype="float32")(logits)
    return keras.Model(inputs, logits, name="tiny_discriminator")


def mean_pixel_discriminator():
    """D(x) = w * mean(x), w initialised to 1: losses are easy by hand."""
    images = keras.Input((SIZE, SIZE, 1))
    mean = keras.layers.GlobalAveragePooling2D()(images)
    logits = keras.layers.Dense(
        1, use_bias=False, kernel_initializer="ones", name="w"
    )(mean)
    return keras.Model(images, logits)


def constant_generator(value, z_dim=4):
    """G(z) = value everywhere, through a zero kernel and constant bias."""
    z = keras.Input((z_dim,))
    h = keras.layers.Dense(
        SIZE * SIZE,
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(value),
    )(z)
    return keras.Model(z, keras.layers.Reshape((SIZE, SIZE, 1))(h))
