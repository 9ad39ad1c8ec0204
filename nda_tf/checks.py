"""Argument checks shared by the library: errors that name the bad value.

`True` is never taken for the int 1 (nor for a number): a flag passed in
an int's place is a mistake worth an error.
"""

import numbers


def check_int(name, value, low, high=None, allow_none=False):
    """`int(value)`; a ValueError unless `value` is an int in [low, high].

    A bool is not an int here; NumPy integers are. With `allow_none`, None
    is accepted and returned.
    """
    if allow_none and value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value > high)
    ):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        alternative = " or None" if allow_none else ""
        raise ValueError(
            f"{name} must be an int {bounds}{alternative}, received {value!r}"
        )
    return int(value)


def check_number(
    name, value, low=None, high=None, low_open=False, high_open=False
):
    """Raises a ValueError unless `value` is a real number in the interval.

    The interval is `[low, high]`, open at either end on request; a bound of
    None is unbounded.
    """
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(
            f"{name} must be {_interval(low, high, low_open, high_open)}, "
            f"received {value!r}"
        )


def _interval(low, high, low_open, high_open):
    """'> 0', '<= 1' or 'in (0, 1]': the bounds as a reader writes them."""
    low, high = _plain(low), _plain(high)
    if high is None:
        return (
            "a number" if low is None else f"{'>' if low_open else '>='} {low}"
        )
    if low is None:
        return f"{'<' if high_open else '<='} {high}"
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    return f"in {left}{low}, {high}{right}"


def _plain(bound):
    # 0.0 reads as 0, 1e-08 stays as it is.
    return bound if bound is None else f"{bound:g}"


def check_choice(name, value, choices):
    """Returns `value`; a ValueError listing `choices` unless it is one.

    A bool is no choice (True would otherwise match a choice of 1).
    """
    try:
        ok = not isinstance(value, bool) and value in choices
    except TypeError:  # unhashable, looked up in a set or dict
        ok = False
    if not ok:
        raise ValueError(
            f"{name} must be one of {sorted(choices)}, received {value!r}"
        )
    return value
