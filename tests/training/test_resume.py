"""Resuming: only the same run resumes, and its config.json stays."""

import os

import pytest

from nda_tf import training
from nda_tf.experiments.recipes import RECIPES
from nda_tf.training.recipe import DERIVED
from tests.training.test_loop import GAN, GAN_TINY, options


def test_changed_settings_are_refused_and_config_json_is_kept(tmp_path):
    logdir = str(tmp_path / "run")
    training.train(GAN, dict(GAN_TINY, steps=1), logdir, options())
    path = os.path.join(logdir, "config.json")
    with open(path, "rb") as file:
        written = file.read()
    changed = dict(GAN_TINY, steps=2, seed=1, batch_size=2, d_steps=1)
    with pytest.raises(ValueError) as error:
        training.train(GAN, changed, logdir, options())
    message = str(error.value)
    assert message == (
        f"{logdir!r} holds a different run (d_steps saved 2, now 1; "
        "batch_size saved 4, now 2; seed saved 0, now 1): resume with the "
        "saved settings (its config.json), or start a new run with a new "
        "--logdir"
    )
    for key, value in (("lr_d", 1e-3), ("ema_decay", 0.5), ("pda", "cutout")):
        with pytest.raises(ValueError, match=f"different run \\({key} saved"):
            training.train(GAN, dict(GAN_TINY, **{key: value}), logdir)
    # A longer run is the same run; how it is watched is no part of it.
    gan, summary = training.train(
        GAN, dict(GAN_TINY, steps=2, eval_every=1), logdir, options()
    )
    assert summary["step"] == 2 and int(gan.step) == 2
    with open(path, "rb") as file:
        assert file.read() == written


def test_init_is_recorded_compared_and_an_older_biggan_run_had_zero_bias(
    tmp_path,
):
    """--init changes what is learned: resume refuses a change; a BigGAN
    run recorded before the option existed started with zero biases, so
    the BigGAN default (the authors' start) does not resume it."""
    import json

    logdir = str(tmp_path / "run")
    tiny = dict(GAN_TINY, arch="biggan")
    training.train(GAN, dict(tiny, steps=1), logdir, options())
    path = os.path.join(logdir, "config.json")
    with open(path) as file:
        saved = json.load(file)
    assert saved["init"] == "authors"
    changed = "init saved 'authors', now 'zero_bias'"
    with pytest.raises(ValueError, match=changed):
        training.train(
            GAN, dict(tiny, steps=2, init="zero_bias"), logdir, options()
        )
    del saved["init"]  # as an older nda_tf wrote it
    with open(path, "w") as file:
        json.dump(saved, file)
    older = "init saved 'zero_bias', now 'authors'"
    with pytest.raises(ValueError, match=older):
        training.train(GAN, dict(tiny, steps=2), logdir, options())
    _, summary = training.train(
        GAN, dict(tiny, steps=2, init="zero_bias"), logdir, options()
    )
    assert summary["step"] == 2
    loaded, config = training.load_run(GAN, logdir)
    assert config["init"] == "zero_bias" and loaded.generator.init == (
        "zero_bias"
    )


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recorded_setting_is_compared_or_may_change(name):
    """A recorded setting is refused on resume when it changes (a new
    option too), unless listed as one a resumed run may change; the list
    names recorded settings only."""
    recipe = RECIPES[name]
    recorded = {o.name for o in recipe.all_options() if o.recorded}
    compared, free = set(recipe.resume_keys), set(recipe.resume_may_change)
    assert not compared & free
    assert compared | free == recorded | set(DERIVED)


def test_d_calls_is_recorded_compared_and_an_older_run_counts_as_one(
    tmp_path,
):
    """--d_calls changes what is learned: resume refuses a change; a run
    recorded before the option existed was trained with one call, so the
    BigGAN default (two) does not resume it silently."""
    import json

    logdir = str(tmp_path / "run")
    training.train(GAN, dict(GAN_TINY, steps=1, d_calls=2), logdir, options())
    path = os.path.join(logdir, "config.json")
    with open(path) as file:
        saved = json.load(file)
    assert saved["d_calls"] == 2
    with pytest.raises(ValueError, match="d_calls saved 2, now 1"):
        training.train(GAN, dict(GAN_TINY, steps=2), logdir, options())
    # As an older nda_tf wrote it: no d_calls key.
    del saved["d_calls"]
    with open(path, "w") as file:
        json.dump(saved, file)
    with pytest.raises(ValueError, match="d_calls saved 1, now 2"):
        training.train(
            GAN, dict(GAN_TINY, steps=2, d_calls=2), logdir, options()
        )
    gan, summary = training.train(
        GAN, dict(GAN_TINY, steps=2), logdir, options()
    )
    assert summary["step"] == 2 and gan.d_calls == 1
    loaded, config = training.load_run(GAN, logdir)
    assert loaded.d_calls == 1 and config["d_calls"] == 1


def test_a_run_saved_with_an_empty_nda_loads_and_resumes_as_none(tmp_path):
    """Older versions wrote "" for no transform; a command line's "" is
    refused now, but a saved run with it still loads and resumes."""
    import json

    logdir = str(tmp_path / "run")
    tiny = dict(GAN_TINY, steps=1, nda="none")
    training.train(GAN, tiny, logdir, options())
    path = os.path.join(logdir, "config.json")
    with open(path) as file:
        saved = json.load(file)
    # As an older nda_tf wrote it.
    saved["nda"] = saved["pda"] = ""
    with open(path, "w") as file:
        json.dump(saved, file)
    _, config = training.load_run(GAN, logdir)
    assert config["nda"] == "none" and config["pda"] == "none"
    _, summary = training.train(GAN, dict(tiny, steps=2), logdir, options())
    assert summary["step"] == 2
    with pytest.raises(ValueError, match="a transform name is empty"):
        training.train(GAN, dict(tiny, nda=""), str(tmp_path / "new"))
