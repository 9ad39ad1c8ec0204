"""Argument checks shared by the models: errors that name the bad value."""

import numbers


def check_int(name, value, low):
    """Raises a ValueError unless `value` is an int (not a bool) >= low."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
    ):
        raise ValueError(f"{name} must be an int >= {low}, received {value!r}")


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
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lower = "-inf" if low is None else low
        upper = "inf" if high is None else high
        raise ValueError(
            f"{name} must be in {left}{lower}, {upper}{right}, received "
            f"{value!r}"
        )
