"""The NDA-CPC logits and loss against hand computations."""

import numpy as np

from nda_tf.contrastive import (
    contrastive_logits,
    contrastive_loss,
    positive_accuracy,
)


def _unit(rows):
    rows = np.asarray(rows, "float32")
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


Q = _unit([[1, 0], [0, 1]])
K = _unit([[1, 1], [1, 0]])
QUEUE = _unit([[0, 1], [-1, 0], [1, -1]])
NQ = _unit([[1, 0], [0, -1]])
NK = _unit([[-1, 2], [3, 1]])


def test_logits_are_the_cosines_positive_first():
    logits = contrastive_logits(Q, K, QUEUE).numpy()
    s = 1 / np.sqrt(2)
    expected = [[s, 0, -1, s], [0, 1, 0, -s]]
    np.testing.assert_allclose(logits, expected, atol=1e-6)


def test_nda_negatives_only_add_columns():
    plain = contrastive_logits(Q, K, QUEUE).numpy()
    with_nda = contrastive_logits(Q, K, QUEUE, [NQ, NK]).numpy()
    assert with_nda.shape == (2, 1 + 3 + 2)
    np.testing.assert_array_equal(with_nda[:, :4], plain)
    # Row i's extra columns are q_i with its own negatives.
    np.testing.assert_allclose(with_nda[:, 4], [1, -1], atol=1e-6)
    np.testing.assert_allclose(
        with_nda[:, 5], [-1 / np.sqrt(5), 1 / np.sqrt(10)], atol=1e-6
    )


def test_loss_is_the_cross_entropy_of_the_positive():
    logits = contrastive_logits(Q, K, QUEUE, [NQ, NK]).numpy()
    t = 0.07
    scaled = logits / t
    expected = np.mean(
        [np.log(np.sum(np.exp(row))) - row[0] for row in scaled.astype(float)]
    )
    loss = float(contrastive_loss(logits, t))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    # Extra negatives can only raise the loss of the same embeddings.
    plain = float(contrastive_loss(logits[:, :4], t))
    assert loss > plain


def test_accuracy_counts_rows_won_by_the_positive():
    logits = np.array([[0.9, 0.1, 0.2], [0.1, 0.5, 0.2], [0.3, 0.2, 0.1]])
    np.testing.assert_allclose(float(positive_accuracy(logits)), 2 / 3)
    # In the hand example both positives lose: to an NDA column, to the queue.
    logits = contrastive_logits(Q, K, QUEUE, [NQ, NK]).numpy()
    np.testing.assert_allclose(float(positive_accuracy(logits)), 0.0)
