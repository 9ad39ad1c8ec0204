"""Builds transforms from names such as "jigsaw(grid=2)" or "jigsaw|stitch".

Transform classes add themselves with the `register` decorator, and
`nda_tf.transforms` imports every transform module, so importing the package
fills the registry. This module imports no transform module back.
"""

import ast

import keras

from nda_tf import checks
from nda_tf.transforms.base import NDATransform

_REGISTRY = {}
# The class `get` builds for "a|b" and for lists (RandomChoice).
_mixture = None
_NONE = "none"


def register(name):
    """Class decorator: `get(name)` (in any case) builds the class, as in
    `@register("jigsaw")` above `class Jigsaw(NDATransform)`."""
    key = name.lower()

    def add(cls):
        # By name, so that re-importing a module re-registers its classes.
        known = _REGISTRY.setdefault(key, cls)
        if known.__qualname__ != cls.__qualname__:
            raise ValueError(f"transform name {name!r} is taken by {known}")
        _REGISTRY[key] = cls
        return cls

    return add


def register_mixture(cls):
    """Class decorator: the transform `get` builds, from the list of parts,
    for names joined by "|" and for lists."""
    global _mixture
    _mixture = cls
    return cls


def available():
    """Names accepted by `get`, sorted."""
    return sorted(_REGISTRY)


def get(identifier):
    """Returns the transform layer described by `identifier`.

    Args:
        identifier: one of
            - a name with optional keyword (or positional) arguments in Python
              literal syntax: "jigsaw", "jigsaw(grid=2)", "mixup(alpha=25)";
            - names joined by "|": a `RandomChoice` over them, e.g.
              "jigsaw|stitch|cutout";
            - a list of any of these: a `RandomChoice`;
            - a transform layer, returned as is;
            - a config dict: a Keras serialized layer (`{"class_name": ...,
              "config": ...}`) or `{"name": "jigsaw", "grid": 2, ...}`;
            - None or "none": no transform, returns None.

    Example:

    >>> get("jigsaw(grid=2)").grid
    2
    >>> type(get("jigsaw|stitch")).__name__
    'RandomChoice'
    >>> get("none") is None
    True

    Raises:
        ValueError: an unknown name (the message lists the known ones), a
            malformed string, or arguments the transform rejects.
    """
    if identifier is None:
        return None
    if isinstance(identifier, NDATransform):
        return identifier
    if isinstance(identifier, (list, tuple)):
        return _mixture(list(identifier))
    if isinstance(identifier, dict):
        return _from_dict(identifier)
    if not isinstance(identifier, str):
        raise ValueError(
            "a transform must be a name, an nda_tf.transforms layer, a list "
            f"or a config dict; received {type(identifier).__name__}: "
            f"{identifier!r}"
        )
    text = identifier.strip()
    if not text:
        # An empty flag (`--nda=`) is a slip, not a choice of no transform.
        raise ValueError(
            f"a transform name is empty ({identifier!r}); write 'none' for "
            "no transform"
        )
    if text.lower() == _NONE:
        return None
    parts = _split_top_level(text, "|")
    if len(parts) > 1:
        return _mixture(parts)
    return _from_call_syntax(text)


def _from_dict(config):
    if "class_name" in config:
        layer = keras.saving.deserialize_keras_object(config)
        if not isinstance(layer, NDATransform):
            raise ValueError(f"config does not describe a transform: {config}")
        return layer
    if "name" not in config:
        raise ValueError(
            "a transform config dict needs 'class_name' (Keras serialized) or "
            f"'name' (one of {available()}); received {config}"
        )
    kwargs = dict(config)
    return _build(kwargs.pop("name"), [], kwargs, spec=str(config))


def _from_call_syntax(text):
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError as error:
        raise ValueError(f"cannot parse transform {text!r}") from error
    if isinstance(node, ast.Name):
        return _build(node.id, [], {}, spec=text)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(
            f"cannot parse transform {text!r}: expected name or name(args), "
            'e.g. "jigsaw(grid=2)"'
        )
    try:
        args = [ast.literal_eval(arg) for arg in node.args]
        kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
    except ValueError as error:
        raise ValueError(
            f"transform arguments must be literals, in {text!r}"
        ) from error
    _check_finite([*args, *kwargs.values()], text)
    return _build(node.func.id, args, kwargs, spec=text)


def _check_finite(values, spec):
    """No argument of any transform means inf or NaN: 1e400 is read as inf
    and would only show later, as a diverged run; an int no float holds
    (10**400) would end in an OverflowError naming nothing."""
    for value in values:
        if isinstance(value, (tuple, list)):
            _check_finite(value, spec)
        elif isinstance(value, (float, int)) and not checks.is_finite(value):
            why = (
                ""
                if isinstance(value, float)
                else " (beyond what a float holds)"
            )
            raise ValueError(
                f"bad arguments in transform {spec!r}: {value!r} is not a "
                f"finite number{why}"
            )


def _build(name, args, kwargs, spec):
    key = name.lower()
    if key not in _REGISTRY:
        raise ValueError(
            f"unknown transform {name!r} in {spec!r}; known transforms: "
            f"{', '.join(available())}"
        )
    try:
        return _REGISTRY[key](*args, **kwargs)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"bad arguments in transform {spec!r}: {error}"
        ) from None


def _split_top_level(text, separator):
    """Splits on `separator` outside parentheses and brackets."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return parts
