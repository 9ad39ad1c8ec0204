"""nda_tf.checks and `Option.check`: no inf, NaN or int beyond int64 is
taken for a value (issue 28: `--lr_g=1e400`, `--steps=1e20`)."""

import math

import numpy as np
import pytest

from nda_tf import checks
from nda_tf.training import Option


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e400])
def test_a_number_must_be_finite(value):
    with pytest.raises(ValueError, match=r"^lr must be a finite number"):
        checks.check_number("lr", value, 0.0, low_open=True)
    # Unbounded too: no bound is what let inf through.
    with pytest.raises(ValueError, match=r"^x must be a finite number"):
        checks.check_number("x", value)


def test_inf_says_why_and_opting_out_keeps_the_bounds():
    with pytest.raises(ValueError) as caught:
        checks.check_number("timeout", float("1e400"), 0.0)
    assert str(caught.value) == (
        "timeout must be a finite number, received inf (beyond what a "
        "float holds)"
    )
    checks.check_number("x", math.inf, 0.0, finite=False)
    with pytest.raises(ValueError, match="must be >= 0, received -inf"):
        checks.check_number("x", -math.inf, 0.0, finite=False)
    checks.check_number("x", np.float32(1e30), 0.0)  # large but finite


def test_an_int_too_large_for_a_float_is_not_finite():
    # math.isfinite(10**400) raises OverflowError, which the commands
    # reported as unexpected, naming no flag.
    with pytest.raises(ValueError) as caught:
        checks.check_number("lr", 10**400, 0.0, low_open=True)
    assert str(caught.value) == (
        f"lr must be a finite number, received {10**400!r} (beyond what a "
        "float holds)"
    )
    checks.check_number("x", 10**300, 0.0)  # large, but a float holds it


def test_an_int_must_fit_an_int64():
    assert checks.check_int("steps", checks.INT64_MAX, 1) == 2**63 - 1
    with pytest.raises(ValueError) as caught:
        checks.check_int("steps", 99999999999999999999, 1)
    assert str(caught.value) == (
        "steps must be an int in [1, 2**63 - 1] (an int64), received "
        "99999999999999999999"
    )
    # A bound of its own replaces the int64 ceiling in the message.
    with pytest.raises(ValueError, match=r"in \[0, 9\], received 10"):
        checks.check_int("label", 10, 0, 9)


def test_options_refuse_inf_and_huge_ints_and_use_an_int_high():
    lr = Option("lr", 1e-3, "learning rate", low=0.0, low_open=True)
    with pytest.raises(ValueError, match="finite"):
        lr.check(float("inf"))
    steps = Option("steps", 10, "steps")
    with pytest.raises(ValueError, match="int64"):
        steps.check(2**63)
    grid = Option("grid", 2, "tiles per side", high=8)
    grid.check(8)
    with pytest.raises(ValueError, match=r"in \[1, 8\], received 9"):
        grid.check(9)
