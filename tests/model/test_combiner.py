"""The contextual combiner: it reads a segment's label from its neighbours and template
siblings where the segment's own scores cannot tell, measures each rule's weight, and is
stored in (and read back from) the model file; files with the per-segment stacker still load."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import numpy as np

from curation.config import load_config
from curation.gold import iter_gold, page_record
from curation.label import rule_label_pages
from curation.label.calibrate import ece
from curation.model.apply import apply_model, rule_weights_of
from curation.model.body import Rows, rows_of
from curation.model.cleaner import ContextCombiner, dense_columns, load, save
from curation.model.combiner import (
    SHIFTS,
    TREE_SHARE,
    combiner_inputs,
    context_columns,
    fit_combiner,
    fit_temperature,
    fully_typed_pages,
    soften,
)
from curation.model.features import DENSE_NAMES
from curation.model.stacker import Stacker, fit_stacker, vote_indicators
from curation.model.store import META
from curation.stats import Stats
from curation.taxonomy import NOT_ARTICLE

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


def _main_only(y: np.ndarray) -> np.ndarray:
    """The targets a page annotated for its main text alone gives: article, or not article."""
    return np.where(y == "article", "article", NOT_ARTICLE).astype(object)


def test_pages_annotated_for_main_text_only_do_not_teach_the_combiner_their_article_rows():
    """On such a page every row that is not article is unknown to the combiner (which label?);
    its article rows alone would say "article" far more often than pages do. The combiner is
    fitted on the fully labelled pages: adding main-text pages changes nothing."""
    y, proba, rows, dense = _pages(60, 3)
    cy, cproba, crows, cdense = _pages(60, 4)
    coarse = _main_only(cy)
    assert fully_typed_pages(coarse, crows).sum() == 0
    assert fully_typed_pages(y, rows).all()
    both_y = np.concatenate([y, coarse])
    both_rows = Rows(np.concatenate([rows.page, crows.page + 60]),
                     np.concatenate([rows.template, crows.template]))
    both_p, both_d = np.vstack([proba, cproba]), np.vstack([dense, cdense])
    votes = np.zeros((len(both_y), 1))
    weight = np.ones(len(both_y))
    alone = fit_combiner(proba, proba[:, 0], votes[: len(y)], rows, dense, y, weight[: len(y)],
                         LABELS, ["r"])
    mixed = fit_combiner(both_p, both_p[:, 0], votes, both_rows, both_d, both_y, weight,
                         LABELS, ["r"])
    assert alone is not None and mixed is not None
    ty, tp, trows, tdense = _pages(20, 5)
    tv = np.zeros((len(ty), 1))
    assert np.allclose(alone.predict_proba(tp, tp[:, 0], tv, trows, tdense),
                       mixed.predict_proba(tp, tp[:, 0], tv, trows, tdense))
    # a page with both kinds of row is coarse: its labelled rows go with its unknown ones
    one = np.array(["article", "caption", NOT_ARTICLE, "other"], dtype=object)
    assert not fully_typed_pages(one, Rows(np.zeros(4, dtype=np.int64),
                                           np.zeros(4, dtype=np.int64))).any()


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
    assert meta["combiner_tree_share"] == TREE_SHARE and cleaner.stacker.linear is not None
    assert meta["combiner_temperature"] == cleaner.stacker.temperature
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
    assert back.stacker is not None and cleaner.stacker.linear_range is not None
    assert np.array_equal(back.stacker.linear_range, cleaner.stacker.linear_range)
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


def _noisy(n_pages: int, seed: int) -> tuple[np.ndarray, np.ndarray, Rows, np.ndarray]:
    """_pages with a fifth of the gold labels replaced by a random label: no combiner can be
    sure, and one that fits its training pages closely is over-confident on new ones."""
    y, proba, rows, dense = _pages(n_pages, seed)
    rng = np.random.default_rng(seed + 100)
    flip = rng.random(len(y)) < 0.2
    y = y.copy()
    y[flip] = rng.choice(LABELS, size=int(flip.sum()))
    return y, proba, rows, dense


def test_the_combiner_averages_trees_and_a_linear_model_then_applies_its_temperature():
    y, proba, rows, dense = _pages(60, 5)
    votes = np.zeros((len(y), 1))
    comb = fit_combiner(proba, proba[:, 0], votes, rows, dense, y, np.ones(len(y)), LABELS,
                        ["r"])
    assert comb is not None and comb.linear is not None and comb.tree_share == TREE_SHARE
    assert comb.temperature == 1.0  # no folds: nothing to fit it on
    comb.temperature = 1.7
    feats = combiner_inputs(proba, proba[:, 0], votes, rows, dense)
    trees = comb.model.predict_proba(feats)
    linear = comb.linear.predict_proba(feats)
    order = [LABELS.index(str(c)) for c in comb.model.classes_]
    assert [str(c) for c in comb.linear.classes_] == [str(c) for c in comb.model.classes_]
    mixed = np.zeros((len(y), len(LABELS)))
    mixed[:, order] = TREE_SHARE * trees + (1 - TREE_SHARE) * linear
    assert np.allclose(comb.raw(feats), mixed)
    assert np.allclose(comb.predict_proba(proba, proba[:, 0], votes, rows, dense),
                       soften(mixed, comb.temperature))


def test_the_linear_part_reads_its_inputs_clipped_to_the_training_range():
    """A page unlike every training page (an input far beyond what training saw) scores as
    one at the edge of the training range: a linear score would otherwise grow without bound
    and outvote the trees with certainty."""
    y, proba, rows, dense = _pages(60, 5)
    votes = np.zeros((len(y), 1))
    comb = fit_combiner(proba, proba[:, 0], votes, rows, dense, y, np.ones(len(y)), LABELS,
                        ["r"])
    assert comb is not None and comb.linear_range is not None
    feats = combiner_inputs(proba, proba[:, 0], votes, rows, dense)
    lo, hi = comb.linear_range
    assert np.array_equal(lo, feats.min(axis=0)) and np.array_equal(hi, feats.max(axis=0))
    col = int(np.argmax(np.abs(comb.linear.coef_).max(axis=0) * (hi - lo)))
    edge, beyond = feats[:5].copy(), feats[:5].copy()
    edge[:, col], beyond[:, col] = hi[col], hi[col] + 1000 * (hi[col] - lo[col] + 1)
    trees_edge, trees_beyond = (comb.model.predict_proba(z) for z in (edge, beyond))
    assert np.allclose(trees_edge, trees_beyond)  # the trees saw nothing beyond the edge
    assert np.allclose(comb.raw(beyond), comb.raw(edge))
    unclipped = comb.linear.predict_proba(beyond)
    assert not np.allclose(unclipped, comb.linear.predict_proba(edge))


def test_an_out_of_fold_temperature_keeps_labels_and_confidence_honest_on_unseen_pages():
    y, proba, rows, dense = _noisy(100, 6)
    votes = np.zeros((len(y), 1))
    calibrated = fit_combiner(proba, proba[:, 0], votes, rows, dense, y, np.ones(len(y)),
                              LABELS, ["r"], fold=rows.page % 3)
    assert calibrated is not None and calibrated.temperature > 1.0
    raw = copy.copy(calibrated)
    raw.temperature = 1.0
    ty, tp, trows, tdense = _noisy(60, 7)
    p_raw, p_cal = (c.predict_proba(tp, tp[:, 0], np.zeros((len(ty), 1)), trows, tdense)
                    for c in (raw, calibrated))
    assert (p_cal.argmax(axis=1) == p_raw.argmax(axis=1)).all()  # the labels stay
    assert p_cal.max(axis=1).mean() < p_raw.max(axis=1).mean()  # less sure
    right = np.array(LABELS)[p_cal.argmax(axis=1)] == ty
    assert ece(p_cal.max(axis=1), right) < 0.06


def test_soften_keeps_the_order_and_the_zeros_and_fits_the_temperature_that_fits():
    p = np.array([[0.7, 0.2, 0.1, 0.0], [0.25, 0.25, 0.5, 0.0]])
    s = soften(p, 2.0)
    assert np.allclose(s.sum(axis=1), 1) and (s[:, 3] == 0).all()
    assert (s.argmax(axis=1) == p.argmax(axis=1)).all() and s[0, 0] < p[0, 0]
    assert soften(p, 1.0) is p
    rng = np.random.default_rng(8)
    truth = rng.integers(0, 3, size=4000)
    sure = np.full((4000, 3), 0.05)
    sure[np.arange(4000), truth] = 0.9  # says 0.9, right only 60 % of the time
    wrong = rng.random(4000) < 0.4
    sure[wrong] = np.roll(sure[wrong], 1, axis=1)
    assert fit_temperature(sure, truth) > 1.5


def test_a_file_with_the_trees_alone_loads_as_the_trees_alone(trained_model: Path,
                                                              tmp_path: Path):
    cleaner = load(trained_model)
    assert isinstance(cleaner.stacker, ContextCombiner)
    cleaner.stacker.linear, cleaner.stacker.tree_share = None, 1.0
    cleaner.stacker.temperature = 1.0
    path = tmp_path / "trees.model"
    save(cleaner, path)
    with zipfile.ZipFile(path) as zf:  # as written before the average and the temperature
        meta = json.loads(zf.read(META))
        others = {name: zf.read(name) for name in zf.namelist() if name != META}
    assert "combiner_tree_share" not in meta
    del meta["combiner_temperature"]
    old = tmp_path / "old.model"
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr(META, json.dumps(meta))
        for name, data in others.items():
            zf.writestr(name, data)
    back = load(old)
    assert isinstance(back.stacker, ContextCombiner)
    assert back.stacker.linear is None and back.stacker.temperature == 1.0
    feats = np.random.default_rng(9).random((50, back.stacker.model.n_features_in_))
    trees = back.stacker.model.predict_proba(feats)
    got = back.stacker._full(feats)
    for k, lab in enumerate(back.stacker.model.classes_):
        assert np.allclose(got[:, back.labels.index(str(lab))], trees[:, k])
