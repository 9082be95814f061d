"""The fitted combiner: learns how far each rule and the model can be trusted, stored in the
model file with each rule's weight readable without rebuilding anything."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from curation.model.cleaner import load
from curation.model.stacker import fit_stacker
from curation.model.store import META


def test_a_reliable_rule_outweighs_a_noisy_one_and_an_unsure_model():
    rng = np.random.default_rng(0)
    n = 600
    labels = ["article", "ad", "other"]
    target = rng.choice(labels, size=n)
    proba = np.full((n, 3), 1 / 3) + rng.normal(0, 0.02, (n, 3))  # the model knows nothing
    proba = np.clip(proba, 0.01, None)
    proba /= proba.sum(axis=1, keepdims=True)
    reliable = (target == "ad") & (rng.random(n) < 0.9)
    noisy = rng.random(n) < 0.3
    votes = np.column_stack([reliable, noisy]).astype(float)
    names = ["ad.social_link.v2", "ad.attr_hint.v3"]
    st = fit_stacker(proba, None, votes, target.astype(object), np.ones(n), labels, names)
    assert st is not None
    w = st.rule_weights()
    assert w["ad.social_link.v2"] > 1.0 > abs(w["ad.attr_hint.v3"])
    p = st.predict_proba(proba, None, votes)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert (p[reliable].argmax(axis=1) == labels.index("ad")).mean() > 0.95


def test_too_few_labels_give_no_combiner():
    proba = np.full((4, 2), 0.5)
    target = np.array(["article"] * 4, dtype=object)
    assert fit_stacker(proba, None, np.zeros((4, 1)), target, np.ones(4), ["article", "ad"],
                       ["r"]) is None


def test_the_trained_model_carries_its_combiner_and_rule_weights(trained_model: Path):
    cleaner = load(trained_model)
    assert cleaner.stacker is not None
    with zipfile.ZipFile(trained_model) as zf:
        meta = json.loads(zf.read(META))
    weights = meta["combiner_rule_weights"]
    assert set(weights) == set(cleaner.rule_names)
    assert weights == cleaner.stacker.rule_weights()


def test_rules_report_reads_the_combiner_weights_of_the_configured_model(
    trained_model: Path, tmp_path: Path
):
    from curation.config import load_config
    from curation.label.analysis import combiner_weights, format_summary

    cfg = load_config(prelabel={"model": str(trained_model)})
    weights = combiner_weights(cfg)
    assert weights is not None and weights == load(trained_model).stacker.rule_weights()
    not_a_model = tmp_path / "x.model"
    not_a_model.write_text("x", encoding="utf-8")
    assert combiner_weights(load_config(prelabel={"model": str(not_a_model)})) is None
    row = {"rule": "ad.cue.v1", "label": "ad", "weight": 1.0, "coverage": 0.1, "overlaps": 0.0,
           "conflicts": 0.0, "correct": 1, "incorrect": 0, "emp_accuracy": 1.0,
           "exact_accuracy": None, "exact_n": 0, "by_group": {}, "wrong_wins": 0,
           "combiner_weight": 1.234}
    assert "1.234" in format_summary([row]) and "comb" in format_summary([row])


def test_the_combiner_learns_from_out_of_fold_body_scores():
    from curation.model.body import fit_stage
    from curation.model.cleaner import out_of_fold_stage

    rng = np.random.default_rng(1)
    n = 900
    feats = rng.normal(size=(n, 4))
    is_body = feats[:, 0] + rng.normal(scale=0.5, size=n) > 0
    fold = np.arange(n) % 3
    fold[:30] = -1  # rows of a site with no labelled row: scored by the full stage
    known, weight = np.ones(n, dtype=bool), np.ones(n)
    full = fit_stage(feats, is_body, weight)
    p = out_of_fold_stage(feats, is_body, known, weight, fold, full)
    for f in range(3):  # each fold scored by a stage that never saw it
        train = (fold != f) & (fold >= 0)
        stage = fit_stage(feats[train], is_body[train], weight[train])
        assert np.allclose(p[fold == f], stage.predict_proba(feats[fold == f])[:, 1])
    assert np.allclose(p[:30], full.predict_proba(feats[:30])[:, 1])
    # out-of-fold scores are less sure of the training rows than the stage that saw them
    assert np.mean(np.abs(p - is_body)) > np.mean(np.abs(full.predict_proba(feats)[:, 1]
                                                          - is_body))
