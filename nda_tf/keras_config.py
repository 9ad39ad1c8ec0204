"""Keras configs made from the constructor arguments a layer keeps."""

import inspect

import keras


class KeepArguments:
    """Mixin for Keras layers and models: kept arguments make the config.

    The Keras idiom keeps every constructor argument as an attribute and
    returns them from `get_config()`, chained to super. `keep_arguments`
    does both halves at once, so the two lists cannot drift apart; a
    subclass's call adds to its base class's arguments.

    The config holds each kept value as `keras.saving.serialize_keras_object`
    gives it: plain values, and lists and tuples of them, as they are; Keras
    objects (layers, models, initializers) as their serialized configs,
    which `from_config` deserializes before the constructor sees them. An
    argument whose name Keras already uses (a model's `loss`) is held as
    the attribute that `argument_attributes` maps it to, and keeps its name
    in the config.
    """

    # Config key -> attribute name, for the arguments where the two differ.
    argument_attributes = {}

    def keep_arguments(self, **arguments):
        """Stores each argument as an attribute and in the config."""
        kept = getattr(self, "_kept_arguments", ())
        self._kept_arguments = kept + tuple(arguments)
        for name, value in arguments.items():
            setattr(self, self.argument_attributes.get(name, name), value)

    def get_config(self):
        config = super().get_config()
        for name in self._kept_arguments:
            value = getattr(self, self.argument_attributes.get(name, name))
            config[name] = keras.saving.serialize_keras_object(value)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in _constructor_arguments(cls) & config.keys():
            config[name] = _deserialized(config[name])
        return super().from_config(config)


def _constructor_arguments(cls):
    """The arguments named by the constructors of `cls` and of its bases
    that keep arguments; Keras' own (the dtype policy) are left to Keras."""
    return {
        name
        for base in cls.__mro__
        if issubclass(base, KeepArguments)
        for name in inspect.signature(base.__init__).parameters
    }


def _deserialized(value):
    """A serialized Keras object, or a list of them, deserialized; other
    values as they are."""
    items = value if isinstance(value, (list, tuple)) and value else [value]
    if all(map(_is_serialized, items)):
        return keras.saving.deserialize_keras_object(value)
    return value


def _is_serialized(value):
    return isinstance(value, dict) and {"class_name", "config"} <= set(value)
