"""Argument checks shared by the library: errors that name the bad value.

`True` is never taken for the int 1 (nor for a number): a flag passed in
an int's place is a mistake worth an error. Nor is an infinite or NaN
number taken where a real one is meant (`1e400` on a command line reads as
inf), nor an int no int64 holds (the tensors it ends in are int64).
"""

import math
import numbers

# Every int ends in an int64 tensor or counter; beyond it is no real value.
INT64_MAX = 2**63 - 1


def check_int(name, value, low, high=None, allow_none=False):
    """`int(value)`; a ValueError unless `value` is an int in [low, high].

    A bool is not an int here; NumPy integers are. Without `high`, the
    ceiling is `INT64_MAX`. With `allow_none`, None is accepted and
    returned.
    """
    if allow_none and value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or value > (INT64_MAX if high is None else high)
    ):
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        if high is None and _beyond_int64(value):
            bounds = f"in [{low}, 2**63 - 1] (an int64)"
        alternative = " or None" if allow_none else ""
        raise ValueError(
            f"{name} must be an int {bounds}{alternative}, received {value!r}"
        )
    return int(value)


def _beyond_int64(value):
    return isinstance(value, numbers.Integral) and value > INT64_MAX


def check_number(
    name,
    value,
    low=None,
    high=None,
    low_open=False,
    high_open=False,
    finite=True,
):
    """Raises a ValueError unless `value` is a real number in the interval.

    The interval is `[low, high]`, open at either end on request; a bound of
    None is unbounded. Infinities and NaN are refused unless `finite` is
    False (a NaN is then still outside any bound).
    """
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real)
    if ok and finite and not is_finite(value):
        # 1e400 typed on a command line is read as inf, 10**400 as an int
        # no float holds: say why it is refused (NaN is not equal to
        # itself, and needs no reason).
        why = " (beyond what a float holds)" if value == value else ""
        raise ValueError(
            f"{name} must be a finite number, received {value!r}{why}"
        )
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(
            f"{name} must be {_interval(low, high, low_open, high_open)}, "
            f"received {value!r}"
        )


def is_finite(value):
    """`math.isfinite`, False (not an OverflowError) for an int too large
    for a float: such an int is no value a float computation can use."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


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
