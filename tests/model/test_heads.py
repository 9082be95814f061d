"""The cleaner's heads scored in one product give what each head's own predict_proba gives,
bit for bit (model/heads.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from curation.config import load_config
from curation.gold import iter_gold, page_record
from curation.label import rule_label_pages
from curation.model.heads import positive, positive_probas
from curation.model.inference import configured_voter
from curation.stats import Stats


def _packaged_features(synthetic_gold: Path) -> tuple[object, sp.csr_matrix]:
    cfg = load_config()  # the packaged cleaner
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))
    table = rule_label_pages([page_record(p) for p in pages], cfg)
    voter, _ = configured_voter(cfg)
    assert voter is not None
    cleaner = voter.cleaner
    return cleaner, cleaner.features(table)


def test_the_packaged_cleaners_heads_in_one_product(synthetic_gold: Path) -> None:
    cleaner, x = _packaged_features(synthetic_gold)
    heads = [cleaner.article_head, cleaner.body_head, *cleaner.type_head.heads]
    one_by_one = np.column_stack([positive(h, x) for h in heads])
    together = positive_probas(heads, x)
    assert together.shape == (x.shape[0], len(heads)) and x.shape[0] > 50
    assert np.array_equal(together, one_by_one)  # the same numbers, not merely close
    # the cleaner's outputs from its head scores, against the heads asked one by one
    scores = cleaner.head_scores(x)
    assert np.array_equal(scores.article, one_by_one[:, 0])
    assert np.array_equal(scores.body, one_by_one[:, 1])
    assert np.array_equal(scores.types, cleaner.type_head.normalised(one_by_one[:, 2:]))
    assert np.array_equal(cleaner.predict_proba(x),
                          cleaner.label_proba(one_by_one[:, 0], scores.types))


def _head(x: sp.csr_matrix, y: np.ndarray, dtype: type = np.float64) -> LogisticRegression:
    head = LogisticRegression(solver="liblinear").fit(x, y)
    head.coef_ = head.coef_.astype(dtype)
    return head


def test_heads_of_mixed_precision_and_odd_heads() -> None:
    rng = np.random.default_rng(0)
    x = sp.random(300, 40, density=0.2, format="csr", random_state=1)
    y = rng.random(300) < 0.4
    plain = [_head(x, y), _head(x, ~y, np.float32)]  # stored heads keep float32 weights
    assert np.array_equal(positive_probas(plain, x),
                          np.column_stack([positive(h, x) for h in plain]))
    # a head that never saw True scores 0, whatever the others: scored head by head
    only_false = LogisticRegression(solver="liblinear").fit(x, np.where(y, "a", "b"))
    mixed = positive_probas([plain[0], only_false], x)
    assert np.array_equal(mixed[:, 0], positive(plain[0], x)) and not mixed[:, 1].any()
    assert positive_probas([], x).shape == (300, 0)


def test_a_matrix_of_another_width_gets_scikit_learns_error() -> None:
    x = sp.random(50, 40, density=0.2, format="csr", random_state=1)
    head = _head(x, np.arange(50) % 3 == 0)
    with pytest.raises(ValueError, match="features"):
        positive_probas([head], sp.random(50, 41, density=0.2, format="csr"))
