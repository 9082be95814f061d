"""The contextual combiner: it reads a segment's label from its neighbours and template
siblings where the segment's own scores cannot tell, measures each rule's weight, and is
stored in (and read back from) the model file; files with the per-segment stacker still load."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from curation.config import load_config
from curation.gold import iter_gold, page_record
from curation.label import rule_label_pages
from curation.model.apply import apply_model, rule_weights_of
from curation.model.body import Rows, rows_of
from curation.model.cleaner import ContextCombiner, dense_columns, load, save
from curation.model.combiner import SHIFTS, context_columns, fit_combiner
from curation.model.features import DENSE_NAMES
from curation.model.stacker import Stacker, fit_stacker, vote_indicators
from curation.model.store import META
from curation.stats import Stats

LABELS = ["article", "caption", "teaser", "other"]


def _pages(n_pages: int, seed: int) -> tuple[np.ndarray, np.ndarray, Rows, np.ndarray]:
    """Pages of: furniture, a story with a caption after its first paragraph, a run of
    teaser cards (one template). The caption and teasers' own scores look like article; their
    neighbours and siblings tell them apart."""
    rng = np.random.default_rng(seed)
    target: list[str] = []
    page: list[int] = []
    template: list[int] = []
    for k in range(n_pages):
        story = int(rng.integers(4, 8))
        cards = int(rng.integers(3, 6))
        labels = (["other"] * 2 + ["article"] + ["caption"] + ["article"] * story
                  + ["teaser"] * cards + ["other"] * 2)
        tmpl = [0, 1, 2, 3] + [2] * story + [4] * cards + [5, 6]
        target += labels
        template += tmpl
        page += [k] * len(labels)
    y = np.array(target, dtype=object)
    n = len(y)
    proba = np.full((n, len(LABELS)), 0.05)
    looks_article = (y == "article") | (y == "caption") | (y == "teaser")
    proba[looks_article, 0] = 0.85  # the heads see article-like text
    proba[y == "other", 3] = 0.85
    proba += rng.uniform(0, 0.05, proba.shape)
    proba /= proba.sum(axis=1, keepdims=True)
    return y, proba, Rows(np.array(page), np.array(template)), np.zeros((n, len(DENSE_NAMES)))


def test_context_tells_captions_and_teasers_from_the_story_where_own_scores_cannot():
    y, proba, rows, dense = _pages(120, 0)
    p_body = proba[:, 0].copy()
    votes = np.zeros((len(y), 1))
    weight = np.ones(len(y))
    comb = fit_combiner(proba, p_body, votes, rows, dense, y, weight, LABELS, ["r"])
    flat = fit_stacker(proba, p_body, votes, y, weight, LABELS, ["r"])
    assert comb is not None and flat is not None
    ty, tp, trows, tdense = _pages(40, 1)  # unseen pages
    got = np.array(LABELS)[comb.predict_proba(tp, tp[:, 0], np.zeros((len(ty), 1)), trows,
                                              tdense).argmax(axis=1)]
    flat_got = np.array(LABELS)[flat.predict_proba(tp, tp[:, 0], np.zeros((len(ty), 1)))
                                .argmax(axis=1)]
    for lab in ("caption", "teaser"):
        assert (got[ty == lab] == lab).mean() > 0.9
        assert (flat_got[ty == lab] == lab).mean() < 0.5  # per segment it cannot be told
    assert (got[ty == "article"] == "article").mean() > 0.9


def test_context_columns_see_neighbours_and_siblings_within_the_page_only():
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.2, 0.8]])
    rows = Rows(np.array([0, 0, 0, 1]), np.array([0, 1, 1, 0]))
    dense = np.zeros((4, len(DENSE_NAMES)))
    cols = context_columns(proba, np.array([0.9, 0.1, 0.1, 0.1]), rows, dense)
    k = 2
    minus1 = SHIFTS.index(-1) * k
    assert cols[1, minus1 : minus1 + k].tolist() == [1.0, 0.0]  # row 0 precedes row 1
    assert cols[3, minus1 : minus1 + k].tolist() == [0.0, 0.0]  # another page's row does not
    has = len(SHIFTS) * k
    assert cols[3, has : has + len(SHIFTS)].sum() == 0  # a one-row page has no neighbours
    sib = has + len(SHIFTS)
    assert cols[1, sib : sib + k].tolist() == [0.5, 0.5]  # its sibling, not itself
    assert cols[0, sib : sib + k].tolist() == [0.0, 0.0]  # no sibling


def test_rule_weights_are_measured_pulls_towards_the_rules_label():
    rng = np.random.default_rng(2)
    n = 800
    y = rng.choice(LABELS, size=n).astype(object)
    proba = np.full((n, len(LABELS)), 0.25)  # the model knows nothing, nor does the page:
    rows = Rows(np.arange(n), np.zeros(n, dtype=np.int64))  # one row a page
    dense = np.zeros((n, len(DENSE_NAMES)))
    reliable = (y == "caption") & (rng.random(len(y)) < 0.95)
    noisy = rng.random(len(y)) < 0.3
    votes = np.column_stack([reliable, noisy]).astype(float)
    names = ["caption.figure.v2", "ad.attr_hint.v3"]
    comb = fit_combiner(proba, proba[:, 0], votes, rows, dense, y, np.ones(len(y)), LABELS,
                        names)
    assert comb is not None
    w = comb.rule_weights()
    assert w["caption.figure.v2"] > 0.3
    assert w["ad.attr_hint.v3"] == 0.0  # it votes a label the combiner never saw


def test_the_trained_model_stores_the_contextual_combiner(trained_model: Path, tmp_path: Path,
                                                          synthetic_gold: Path):
    cleaner = load(trained_model)
    assert isinstance(cleaner.stacker, ContextCombiner)
    with zipfile.ZipFile(trained_model) as zf:
        meta = json.loads(zf.read(META))
    assert meta["stacker_kind"] == "context"
    assert meta["combiner_rule_weights"] == cleaner.stacker.rule_weights()
    cfg = load_config()
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))[:3]
    table = rule_label_pages([page_record(p) for p in pages], cfg)
    x = cleaner.features(table)
    proba = cleaner.predict_proba(x)
    p_body = cleaner.predict_body(x, rows_of(table))
    combined = cleaner.combine(proba, p_body, vote_indicators(table, cleaner.rule_names),
                               rows_of(table), dense_columns(x))
    again = tmp_path / "again.model"
    save(cleaner, again)
    back = load(again)
    assert np.allclose(back.combine_table(table, proba, p_body), combined)
    labelled = apply_model(table, cleaner, rule_weights_of(cfg), "combined")
    assert labelled.column("prelabel").to_pylist() == [
        cleaner.labels[k] for k in combined.argmax(axis=1)]


def test_a_file_with_the_per_segment_stacker_loads_as_before(trained_model: Path,
                                                              tmp_path: Path):
    cleaner = load(trained_model)
    rng = np.random.default_rng(4)
    n, k = 300, len(cleaner.labels)
    proba = rng.dirichlet(np.ones(k), size=n)
    target = np.array(cleaner.labels, dtype=object)[proba.argmax(axis=1)]
    votes = np.zeros((n, len(cleaner.rule_names)))
    cleaner.stacker = fit_stacker(proba, proba[:, 0], votes, target, np.ones(n), cleaner.labels,
                                  cleaner.rule_names)
    path = tmp_path / "linear.model"
    save(cleaner, path)
    with zipfile.ZipFile(path) as zf:  # as written before combiners had kinds
        meta = json.loads(zf.read(META))
        others = {name: zf.read(name) for name in zf.namelist() if name != META}
    del meta["stacker_kind"]
    old = tmp_path / "old.model"
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr(META, json.dumps(meta))
        for name, data in others.items():
            zf.writestr(name, data)
    back = load(old)
    assert isinstance(back.stacker, Stacker)
    assert np.allclose(back.stacker.predict_proba(proba, proba[:, 0], votes),
                       cleaner.stacker.predict_proba(proba, proba[:, 0], votes))
