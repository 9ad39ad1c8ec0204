"""Constructor helpers shared by the model layers and GAN networks."""

import keras

from nda_tf import checks


def attention_set(attention_resolution, allowed):
    """Normalizes None / int / list of ints to a tuple of resolutions."""
    if attention_resolution is None:
        return ()
    values = attention_resolution
    if isinstance(values, int):
        values = (values,)
    values = tuple(values)
    for value in values:
        checks.check_choice("attention_resolution", value, allowed)
    return values


def inputs_and_labels(first, num_classes):
    """A network's inputs and its int labels input (None if unconditional).

    The inputs are `first` alone with one class, else `[first, labels]`.
    """
    if num_classes == 1:
        return first, None
    # Shape (): Keras' functional models squeeze a trailing [B, 1] axis.
    labels = keras.Input(shape=(), dtype="int32", name="labels")
    return [first, labels], labels
