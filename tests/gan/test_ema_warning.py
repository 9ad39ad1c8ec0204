"""The GAN recipe warns when a run is too short for its EMA generator."""

import pytest

from nda_tf.gan.recipe import GAN, warn_if_ema_cannot_warm_up


def _resolved(**config):
    config = {"dataset": "dots", "eval_metrics": ["none"], **config}
    info = GAN.stream(GAN.resolve(config)).info
    return GAN.resolve(config, info)


@pytest.mark.parametrize(
    "config, expected",
    [
        (
            {"steps": 1500},
            "the EMA generator cannot warm up in 1500 steps: it is still 95% "
            "G of step 1000 at the end (ema_decay=0.9999 averages over "
            "~10000 steps, the run only 500 after ema_start); for a run this "
            "short use e.g. ema_start=750 and ema_decay=0.996",
        ),
        (
            {"steps": 300},
            "the EMA generator cannot warm up in 300 steps: it never "
            "averages (ema_start=1000 >= steps=300): samples and FID use a "
            "plain copy of G; for a run this short use e.g. ema_start=150 "
            "and ema_decay=0.98",
        ),
        ({"steps": 20000}, None),
        # The numerosity study's short-run setting warms up.
        ({"steps": 4000, "ema_start": 2000, "ema_decay": 0.999}, None),
    ],
)
def test_short_runs_warn_once_when_the_run_starts(config, expected, caplog):
    caplog.set_level("WARNING", "nda_tf")
    c = _resolved(**config)
    assert warn_if_ema_cannot_warm_up(c) == expected
    logged = [r.getMessage() for r in caplog.records]
    # Once by resolve (when the data is known), once by the call above.
    assert logged == ([expected] * 2 if expected else [])
    caplog.clear()
    GAN.resolve(config)  # no data yet (load_run, checks): no warning
    assert caplog.records == []
