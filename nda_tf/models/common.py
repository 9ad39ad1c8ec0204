"""Constructor helpers shared by the model layers and GAN networks."""

import keras

from nda_tf import checks


class KeepArguments:
    """Mixin for Keras layers and models: kept arguments make the config.

    The Keras idiom keeps every constructor argument as an attribute and
    returns them from `get_config()`, chained to super. `keep_arguments`
    does both halves at once, so the two lists cannot drift apart; a
    subclass's call adds to its base class's arguments.
    """

    def keep_arguments(self, **arguments):
        """Stores each argument as an attribute and in the config."""
        kept = getattr(self, "_kept_arguments", ())
        self._kept_arguments = kept + tuple(arguments)
        for name, value in arguments.items():
            setattr(self, name, value)

    def get_config(self):
        config = super().get_config()
        config.update({k: getattr(self, k) for k in self._kept_arguments})
        return config


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
