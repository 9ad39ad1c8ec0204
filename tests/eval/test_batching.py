"""Generator sources that draw whole units (batch-statistics sampling)."""

import numpy as np
import pytest

from nda_tf.eval import batching


def _counter_draw(calls):
    def draw(count, start):
        calls.append((count, start))
        # Image i of the stream holds the value i: order is checkable.
        values = np.arange(start, start + count, dtype="float32")
        return np.broadcast_to(values[:, None, None, None], (count, 2, 2, 1))

    return draw


def test_draws_whole_units_and_keeps_the_rest_for_the_next_batch():
    calls = []
    source = batching.drawn_in_units(_counter_draw(calls), unit=64)
    images = np.concatenate(list(batching.batches(source, 100, 1000)))
    # The stream in order, none skipped or repeated.
    np.testing.assert_array_equal(images[:, 0, 0, 0], np.arange(1000))
    assert all(count % 64 == 0 for count, _ in calls)
    # ceil(1000 / 64) units: 1,024 images, where a draw of 128 for each
    # batch of 100 (the last short one 64) would make 1,216.
    assert sum(count for count, _ in calls) == 1024
    assert [start for _, start in calls] == list(
        np.cumsum([0] + [count for count, _ in calls[:-1]])
    )


def test_a_unit_larger_than_the_batch_serves_later_batches_from_it():
    calls = []
    source = batching.drawn_in_units(_counter_draw(calls), unit=64)
    images = np.concatenate(list(batching.batches(source, 10, 130)))
    np.testing.assert_array_equal(images[:, 0, 0, 0], np.arange(130))
    assert calls == [(64, 0), (64, 64), (64, 128)]


def test_without_a_unit_each_batch_is_one_draw_from_its_start():
    calls = []
    source = batching.drawn_in_units(_counter_draw(calls))
    list(batching.batches(source, 100, 250))
    assert calls == [(100, 0), (100, 100), (50, 200)]


def test_a_draw_of_the_wrong_size_and_a_bad_unit_are_errors():
    source = batching.drawn_in_units(lambda count, start: np.zeros((3, 2)), 4)
    with pytest.raises(ValueError, match="returned 3 images; asked for 4"):
        source(2)
    with pytest.raises(ValueError, match="unit"):
        batching.drawn_in_units(lambda count, start: None, -1)
