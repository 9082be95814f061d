"""The cleaner's binary logistic heads, scored in one pass over a feature matrix.

A head's `predict_proba` is one pass over the matrix's entries (~1.2 million for a chunk of
8,000 segments) for one column of weights, and the cleaner has eight heads (article, body, six
types), the article head scored twice. With the heads' weights side by side the pass is made
once for all of them (scipy's sparse-times-dense product multiplies each entry into a row of
weights): ~23 -> 7 ms a chunk. Each column is summed in the same order as the head's own
product, so the probabilities are the same, bit for bit (tests/model/test_heads.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from curation.model.arrays import Floats


def positive(head: LogisticRegression, x: sp.csr_matrix) -> Floats:
    """P(True) of a binary head per row (0 where the head never saw True)."""
    classes = list(head.classes_)
    p = head.predict_proba(x)
    return p[:, classes.index(True)] if True in classes else np.zeros(x.shape[0])


def positive_probas(heads: Sequence[LogisticRegression], x: sp.csr_matrix) -> Floats:
    """`positive(head, x)` of each of *heads*, a column each: one product of *x* with the heads'
    weights when all are plain binary heads of x's width (else head by head, which raises
    scikit-learn's own error for a matrix of another width)."""
    if not heads or not all(_plain_binary(h, x.shape[1]) for h in heads):
        return np.column_stack([positive(h, x) for h in heads]) if heads \
            else np.zeros((x.shape[0], 0))
    weights = np.column_stack([h.coef_.ravel() for h in heads])
    # what LogisticRegression.predict_proba computes for two classes: expit(x @ coef.T + b)
    scores = np.asarray(x @ weights, dtype=np.float64)
    scores += np.array([h.intercept_[0] for h in heads], dtype=np.float64)
    out: Floats = expit(scores)
    return out


def _plain_binary(head: object, width: int) -> bool:
    """A fitted two-class (False, True) LogisticRegression over *width* columns."""
    return (isinstance(head, LogisticRegression) and hasattr(head, "coef_")
            and list(head.classes_) == [False, True] and head.coef_.shape == (1, width)
            and len(head.intercept_) == 1)
