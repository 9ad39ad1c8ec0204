"""MoCo's contract case (tests/contract.py): config round trip, the step
in every compile mode (shuffled batch norm, the queue and the momentum
update included), two replicas sharing their keys, exact resume."""

import pytest

from nda_tf.contrastive.recipe import MOCO
from tests import contract
from tests.contrastive import tiny
from tests.contrastive.test_strategies import _moco, _views, shared_batches
from tests.training.test_loop import MOCO_TINY

CASE = contract.Algorithm(
    MOCO,
    MOCO_TINY,
    make=lambda **kw: _moco("cutout", **kw),
    batches=[(_views(4),), (_views(4, 1),)],
    inputs=tiny.images(2),
    call=lambda moco, x: moco(x),
    # A deterministic NDA: the replicas' negatives are one device's.
    replicated=lambda: _moco(tiny.Negate()),
    dataset_for=shared_batches,
    atol=1e-5,
)


@pytest.mark.parametrize("promise", contract.PROMISES)
def test_contract(promise, tmp_path, mirrored):
    contract.check_algorithm(CASE, promise, tmp_path, mirrored)
