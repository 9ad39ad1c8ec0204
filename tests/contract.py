"""The contract every transform, model and trainable model keeps.

In the spirit of keras-hub's `run_layer_test`: the promises are stated once,
here, and each test module calls them with its own objects. Objects are
given as factories (`make()` builds a fresh one, seeded alike every time),
so that each mode starts from the same state: the helpers copy the first
object's weights into the others, and seeded random layers draw the same
numbers.

* `assert_config_round_trip`: `get_config` / `from_config` and, for
  registered classes, `keras.saving.serialize_keras_object` /
  `deserialize_keras_object` rebuild an equal object.
* `assert_same_in_every_mode`: the same output eagerly, in `tf.function`,
  with XLA and (for transforms) in a `tf.data` map.
* `assert_mirrored_like_one_device`: under a two-replica MirroredStrategy
  the replicas' outputs together are the one-device output.
* `assert_replicas_draw_their_own`: a random layer under the strategy
  draws its own transformation on each replica.
* `assert_train_steps_agree` and `assert_one_and_two_replicas_agree`: the
  same for a model's `train_step`.
* `assert_resumes_exactly`: a run of the shared loop stopped by a signal
  resumes to the uninterrupted run's state, bit for bit.
* `check_algorithm`: an algorithm's whole case (`Algorithm`): config
  round trip, one compiled step in every mode, two replicas, exact resume;
  each algorithm's tests run it for every promise of `PROMISES`.

The strategy is the session's one MirroredStrategy (the `mirrored` fixture
of conftest.py): a second one in the process could mix up collectives.
"""

import contextlib
import dataclasses
import json
import os
import signal
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from nda_tf import training

MODES = ("eager", "function", "xla")
COMPILE_MODES = {
    "eager": {"run_eagerly": True},
    "function": {"jit_compile": False},
    "xla": {"jit_compile": True},
}


def call_training(obj, inputs):
    """The default call: a forward pass in training mode."""
    return obj(inputs, training=True)


def assert_close(actual, expected, atol, what):
    """Exact for integers and booleans; to `atol` for floats."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype}"
    if np.issubdtype(expected.dtype, np.floating):
        np.testing.assert_allclose(
            actual, expected, rtol=0, atol=atol, err_msg=what
        )
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def _as_model_inputs(inputs):
    # tf.data and strategies hand structures over as tuples; Keras models
    # with several inputs take lists.
    return list(inputs) if isinstance(inputs, tuple) else inputs


def _batch_dataset(inputs):
    inputs = tuple(inputs) if isinstance(inputs, list) else inputs
    size = tf.nest.flatten(inputs)[0].shape[0]
    return tf.data.Dataset.from_tensor_slices(inputs).batch(size)


def _same_weights_as(reference, make):
    obj = make()
    obj.set_weights(reference.get_weights())
    return obj


def assert_config_round_trip(make, inputs=None, call=call_training, atol=0):
    """The config rebuilds an equal object, by class and by Keras name.

    A class of the project must be registered, so that a saved `.keras`
    file loads it (and not a same-named class of another module). With
    `inputs`, each rebuilt object, given the original's weights, gives the
    original's output.
    """
    original = make()
    cls = type(original)
    config = original.get_config()
    # A config of its own: Functional.from_config empties the one it gets.
    rebuilt = {"from_config": cls.from_config(original.get_config())}
    name = keras.saving.get_registered_name(cls)
    registered = keras.saving.get_registered_object(name) is cls
    assert registered or not cls.__module__.startswith("nda_tf"), name
    if registered or cls.__module__.startswith("keras"):
        serialized = keras.saving.serialize_keras_object(original)
        rebuilt["keras"] = keras.saving.deserialize_keras_object(serialized)
    for how, clone in rebuilt.items():
        assert type(clone) is cls, how
        assert clone.get_config() == config, how
        if not clone.built and inputs is not None:
            clone(_as_model_inputs(inputs), training=False)  # makes weights
        clone.set_weights(original.get_weights())
    if inputs is None:
        return
    # Called only now: a training call may update state (spectral norm).
    expected = call(original, inputs)
    for how, clone in rebuilt.items():
        assert_close(call(clone, inputs), expected, atol, how)


def _results_in_modes(make, inputs, call=call_training, modes=MODES):
    """`call(obj, inputs)` in each mode, each on a fresh object with the
    weights of the first; "tf.data" maps over one batch of `inputs`.

    Returns `{mode: (output, weights after the call)}`: a training call
    updates state (spectral-norm vectors, batch-norm statistics) too.
    """
    inputs = tf.nest.map_structure(tf.convert_to_tensor, inputs)
    reference = make()
    results = {}
    for mode in modes:
        obj = _same_weights_as(reference, make)

        def run(x, obj=obj):
            return call(obj, _as_model_inputs(x))

        if mode == "eager":
            output = run(inputs)
        elif mode == "function":
            output = tf.function(run)(inputs)
        elif mode == "xla":
            output = tf.function(run, jit_compile=True)(inputs)
        elif mode == "tf.data":
            mapped = _batch_dataset(inputs).map(
                lambda *x: run(x[0] if len(x) == 1 else x)
            )
            output = next(iter(mapped))
        else:
            raise ValueError(f"unknown mode {mode!r}")
        results[mode] = (np.asarray(output), _state(obj))
    return results


def assert_same_in_every_mode(
    make, inputs, call=call_training, atol=1e-5, modes=MODES
):
    """Eager, `tf.function`, XLA (and any further `modes`) agree on the
    output and on the state the call leaves: exactly for integers, to
    `atol` for floats (XLA reorders float sums). Returns the eager output.
    """
    results = _results_in_modes(make, inputs, call, modes)
    eager, eager_state = results[modes[0]]
    for mode, (output, state) in results.items():
        assert_close(output, eager, atol, mode)
        _assert_same_state(state, eager_state, atol, f"{mode}, after the call")
    return eager


def _local_results(strategy, function, inputs):
    """`function` on each replica's share of `inputs`, in replica order."""
    (batch,) = strategy.experimental_distribute_dataset(_batch_dataset(inputs))

    @tf.function
    def step(x):
        return strategy.run(lambda x: function(_as_model_inputs(x)), (x,))

    return [
        np.asarray(r) for r in strategy.experimental_local_results(step(batch))
    ]


def assert_mirrored_like_one_device(
    make, inputs, strategy, call=call_training, atol=1e-5
):
    """Built in the scope of a two-replica `strategy` with the weights of
    one built outside it, the object's outputs on the replicas' halves of
    `inputs`, put together, are its one-device output on all of them.

    In training mode this holds for batch norm only when it is
    synchronized: otherwise each replica normalizes its half alone.
    """
    assert strategy.num_replicas_in_sync == 2
    single = make()
    with strategy.scope():
        mirrored = _same_weights_as(single, make)
    replicas = _local_results(strategy, lambda x: call(mirrored, x), inputs)
    expected = np.asarray(call(single, _as_model_inputs(inputs)))
    assert_close(np.concatenate(replicas), expected, atol, "replicas")


def assert_replicas_draw_their_own(make, images, strategy):
    """A random layer built in the scope of `strategy` and called on the
    same images on every replica gives each replica an output of their
    shape and dtype, from a transformation of its own."""
    with strategy.scope():
        layer = make()

    @tf.function
    def step():
        return strategy.run(layer, (images,))

    results = [
        np.asarray(r) for r in strategy.experimental_local_results(step())
    ]
    assert len(results) == strategy.num_replicas_in_sync
    for result in results:
        assert result.shape == np.shape(images)
        assert result.dtype == np.asarray(images).dtype
    assert not np.array_equal(results[0], results[1]), "replicas agree"


def _state(obj):
    """`(path, value)` of every weight, trainable or not."""
    return [(w.path, np.asarray(w)) for w in obj.weights]


def _assert_same_state(state, expected, atol, what):
    assert len(state) == len(expected), what
    for (path, value), (_, reference) in zip(state, expected, strict=True):
        assert_close(value, reference, atol, f"{what}: {path}")


def assert_train_steps_agree(make, batches, atol=1e-5, modes=MODES):
    """`train_on_batch` eagerly, in `tf.function` and with XLA, from the
    same weights and seeds, leaves the same state and logs.

    Args:
        make: `make(**compile_arguments)` builds a model and compiles it
            with those arguments added (`run_eagerly`, `jit_compile`).
        batches: tuples of `train_on_batch` arguments, run in order.
    """
    results, reference = {}, None
    for mode in modes:
        model = make(**COMPILE_MODES[mode])
        if reference is None:
            reference = model.get_weights()
        model.set_weights(reference)
        for batch in batches:
            logs = model.train_on_batch(*batch, return_dict=True)
        results[mode] = (_state(model), logs)
    eager_state, eager_logs = results[modes[0]]
    for mode, (state, logs) in results.items():
        _assert_same_state(state, eager_state, atol, mode)
        assert logs.keys() == eager_logs.keys()
        for key in logs:
            assert_close(logs[key], eager_logs[key], atol, f"{mode}: {key}")


def assert_one_and_two_replicas_agree(make, dataset_for, strategy, atol):
    """`fit` on one device and on the two replicas of `strategy`, from the
    same weights, on the same global batches, leaves the same state.

    Args:
        make: builds and compiles a model (called in the strategy's scope).
            Use SGD: Adam's first steps move every weight by about its
            learning rate whatever the gradient (DESIGN.md pitfall 16).
        dataset_for: `dataset_for(replicas)` gives the dataset of global
            batches (a model that splits its batch further may need the
            images in another order for two replicas).
    """
    one = make()
    with strategy.scope():
        two = _same_weights_as(one, make)
    for model, replicas in ((one, 1), (two, 2)):
        model.fit(dataset_for(replicas), epochs=1, verbose=0)
    _assert_same_state(_state(two), _state(one), atol, "two replicas")


def run_options(**kwargs):
    """Quiet `RunOptions` of the tests' short runs."""
    base = {"save_every": 100, "log_every": 1, "progress": False}
    return training.RunOptions(**{**base, **kwargs})


def run_state(model):
    """Every variable a resumed run must restore, optimizers included."""
    variables = list(model.weights)
    for name in (
        "optimizer",
        "backbone_optimizer",
        "d_optimizer",
        "g_optimizer",
    ):
        optimizer = getattr(model, name, None)
        if optimizer is not None:
            variables += optimizer.variables
    if getattr(model, "rng_state", None) is not None:
        variables.append(model.rng_state)
    return [np.asarray(v) for v in variables]


def send_sigterm_at(stop_step):
    """An evaluator that sends this process SIGTERM at `stop_step`."""

    def fn(model, step):
        if step == stop_step:
            os.kill(os.getpid(), signal.SIGTERM)

    return training.Evaluator(fn, 1)


def assert_resumes_exactly(recipe, config, tmp_path, steps=4):
    """A run of `recipe` stopped by SIGTERM half way (a checkpoint is
    saved) and resumed ends in the state of the run never stopped, bit for
    bit; `load_run` restores it; `config.json` records the recipe and the
    layout, not how the run is watched."""
    whole, summary = training.train(
        recipe, config, str(tmp_path / "a"), run_options()
    )
    assert summary == {
        "step": steps,
        "interrupted": None,
        "logs": summary["logs"],
    }
    logdir = str(tmp_path / "b")
    stopped, summary = training.train(
        recipe, config, logdir, run_options(), [send_sigterm_at(steps // 2)]
    )
    assert summary["interrupted"] == "SIGTERM"
    assert summary["step"] == steps // 2
    assert sorted(os.listdir(os.path.join(logdir, "checkpoints"))) == [
        f"ckpt-{steps // 2}",
        "manifest.json",
    ]
    # The loop's handler is gone again: the test process keeps its own.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(run_state(whole), run_state(stopped), strict=True)
    )
    resumed, summary = training.train(recipe, config, logdir, run_options())
    assert summary["step"] == steps
    for a, b in zip(run_state(whole), run_state(resumed), strict=True):
        np.testing.assert_array_equal(a, b)
    loaded, saved = training.load_run(recipe, logdir)
    assert saved["step"] == steps and saved["layout"] == training.LAYOUT
    for a, b in zip(loaded.weights, resumed.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with open(os.path.join(logdir, "config.json")) as file:
        recorded = json.load(file)
    assert recorded["recipe"] == recipe.name
    assert recorded["layout"] == training.LAYOUT
    # Settings of how a run is watched are not part of the run.
    assert "eval_every" not in recorded and "seed" in recorded


PROMISES = ("config", "step", "replicas", "resume")


@dataclasses.dataclass
class Algorithm:
    """One algorithm's case of the contract.

    Attributes:
        recipe, config: its recipe and a tiny configuration of it (four
            steps), for exact resume through the loop.
        make: `make(**compile_arguments)` builds a small model and
            compiles it with plain SGD (Adam's first steps would hide
            differences, DESIGN.md pitfall 16) and those arguments.
        batches: `train_on_batch` argument tuples, run in order.
        inputs, call: `call(model, inputs)` of the config round trip.
        replicated: `make` for the two-replica check where it must differ
            (randomness that is the same for any replica count); default
            `make`.
        dataset_for: `dataset_for(replicas)`, the global batches of the
            two-replica check; default: the first batch for one device and
            a copy of it for each of two replicas, so each replica steps on
            what one device steps on (and two replicas must move the
            weights as one device does).
        atol: float tolerance of float results.
        modes: the compile modes the step agrees in.
        deterministic: resume with TensorFlow's op determinism on (the
            commands' `--deterministic`), for a model whose CPU kernels
            may round differently from run to run on a loaded machine.
    """

    recipe: Any
    config: dict
    make: Callable
    batches: list
    inputs: Any = None
    call: Callable = call_training
    replicated: Callable | None = None
    dataset_for: Callable | None = None
    atol: float = 5e-5
    modes: tuple = MODES
    deterministic: bool = False


@contextlib.contextmanager
def _op_determinism(on):
    """TensorFlow's op determinism while the block runs, if `on`."""
    from tensorflow.python.framework import config

    if not on or config.is_op_determinism_enabled():
        yield
        return
    config.enable_op_determinism()
    try:
        yield
    finally:
        config.disable_op_determinism()


def _copies(batch):
    def dataset_for(replicas):
        data = tuple(
            tf.concat([tf.convert_to_tensor(x)] * replicas, 0) for x in batch
        )
        return tf.data.Dataset.from_tensors(data if len(data) > 1 else data[0])

    return dataset_for


def check_algorithm(case, promise, tmp_path, strategy):
    """Checks one promise of `PROMISES` for the algorithm `case`."""
    if promise == "config":
        assert_config_round_trip(case.make, case.inputs, case.call)
    elif promise == "step":
        assert_train_steps_agree(case.make, case.batches, case.atol, case.modes)
    elif promise == "replicas":
        assert_one_and_two_replicas_agree(
            case.replicated or case.make,
            case.dataset_for or _copies(case.batches[0]),
            strategy,
            case.atol,
        )
    elif promise == "resume":
        with _op_determinism(case.deterministic):
            assert_resumes_exactly(case.recipe, case.config, tmp_path)
    else:
        raise ValueError(f"unknown promise {promise!r}")
