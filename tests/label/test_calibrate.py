"""Fitted weights and confidence calibration: ECE, isotonic maps, files loaded by prelabel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from curation.config import load_config, rules_only
from curation.errors import ConfigError
from curation.label.analysis import NOT_ARTICLE, GoldVotes, correct_for
from curation.label.calibrate import calibration_report, ece, fit_calibration, fit_weights
from curation.label.combine import calibration_from_dict, load_calibration, load_weights_file
from curation.label.rules import CODE, RULES
from curation.pipeline import label_pages


def _synthetic(n: int = 4000, seed: int = 0) -> GoldVotes:
    """Three rules over n segments on 40 sites: a reliable article rule, a reliable 'other'
    rule, and a noisy article rule that is right a third of the time."""
    rng = np.random.default_rng(seed)
    gold = np.where(rng.random(n) < 0.4, CODE["article"], NOT_ARTICLE).astype(np.int8)
    art = gold == CODE["article"]
    votes = np.full((n, 3), -1, dtype=np.int8)
    votes[art & (rng.random(n) < 0.9), 0] = CODE["article"]
    votes[~art & (rng.random(n) < 0.9), 1] = CODE["other"]
    noisy = rng.random(n) < 0.5
    votes[noisy & (art | (rng.random(n) < 0.6)), 2] = CODE["article"]
    return GoldVotes(
        rules=["a.good", "o.good", "a.noisy"],
        rule_label=np.array([CODE["article"], CODE["other"], CODE["article"]], dtype=np.int8),
        weights=np.array([1.0, 1.0, 1.0]), votes=votes, gold=gold,
        exact_page=np.zeros(n, dtype=bool), confidence=np.zeros(n), n_tokens=np.ones(n),
        dataset=np.full(n, "synthetic"), group=np.array([f"s{i % 40}" for i in range(n)]),
        page=np.array([f"p{i % 200}" for i in range(n)]),
    )


def test_ece_perfect_and_overconfident() -> None:
    rng = np.random.default_rng(1)
    conf = rng.random(20000)
    right = rng.random(20000) < conf
    assert ece(conf, right) < 0.02
    assert ece(np.full(1000, 0.95), np.arange(1000) < 500) == pytest.approx(0.45)


def test_calibration_makes_threshold_mean_what_it_says() -> None:
    gv = _synthetic()
    cal, scopes = fit_calibration(gv)
    assert set(cal.maps) == {"article", "not_article"} and scopes["not_article"] == "coarse"
    for x, y in cal.maps.values():
        assert np.all(np.diff(x) >= 0) and np.all(np.diff(y) >= 0)
    pre, raw = gv.combine()
    known, correct = correct_for(pre, gv.gold)
    c = cal.apply(raw, pre)
    assert ece(c[known], correct[known]) < ece(raw[known], correct[known])
    hi = known & (c >= 0.9)
    assert hi.any() and correct[hi].mean() >= 0.9
    rows = {(r["scope"], r["confidence"]): r for r in calibration_report(gv, cal).rows}
    cv = rows[("all gold-known", "calibrated (cv)")]
    assert cv["acc_at_threshold"] is not None and cv["acc_at_threshold"] >= 0.88


def test_fit_weights_ranks_rules_by_reliability() -> None:
    fitted = fit_weights(_synthetic())
    assert fitted["a.good"]["weight"] > fitted["a.noisy"]["weight"]
    assert fitted["o.good"]["weight"] > fitted["a.noisy"]["weight"]
    assert fitted["a.noisy"]["accuracy"] < fitted["a.good"]["accuracy"]


def test_bad_calibration_and_weight_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown map"):
        calibration_from_dict({"teaser": {"raw": [0, 1], "p_correct": [0, 1]}})
    with pytest.raises(ConfigError, match="must rise"):
        calibration_from_dict({"article": {"raw": [0, 1], "p_correct": [0.9, 0.1]}})
    with pytest.raises(ConfigError, match="curation rules calibrate"):
        load_calibration(str(tmp_path / "none.yaml"))
    bad = tmp_path / "w.yaml"
    bad.write_text("weights: {no.such.rule.v1: 1.0}\n")
    with pytest.raises(ConfigError, match="unknown rule"):
        load_weights_file(str(bad))


def test_prelabel_applies_calibration_and_weights_files(tmp_path: Path) -> None:
    (tmp_path / "cal.yaml").write_text(yaml.safe_dump({"maps": {
        "article": {"raw": [0.0, 1.0], "p_correct": [0.5, 0.5]},
        "not_article": {"raw": [0.0, 1.0], "p_correct": [0.25, 0.25]}}}))
    zero_other = {n: 0.0 for n in RULES.names() if n.startswith("other.")}
    (tmp_path / "w.yaml").write_text(yaml.safe_dump({"weights": zero_other}))
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({"prelabel": {
        "cues_dir": "builtin:cues", "calibration": "cal.yaml", "weights_file": "w.yaml",
        "model": None}}))  # the rules' calibrated confidence, no model voting
    cfg = load_config(tmp_path / "run.yaml")
    para = ("The council voted on Tuesday to approve the new budget, which includes funding "
            "for schools, roads and the public library, after a long debate.")
    html = (f"<html><body><nav><a href=/>Home</a></nav><article><p>{para}</p></article>"
            "</body></html>")
    t = label_pages([{"page_id": "c", "format": "html", "content": html, "lang": "en"}], cfg)
    conf = dict(zip(t.column("text").to_pylist(), t.column("confidence").to_pylist(),
                    strict=True))
    assert conf[para] == pytest.approx(0.5) and conf["Home"] == pytest.approx(0.25)
    default = label_pages([{"page_id": "c", "format": "html", "content": html, "lang": "en"}],
                          rules_only(load_config("configs/default.yaml")))
    assert default.column("votes").to_pylist() == t.column("votes").to_pylist()
    # the weights file alone: "Home" has only (zero-weight) `other` votes, so no weight was cast
    (tmp_path / "w_only.yaml").write_text(yaml.safe_dump({"prelabel": {
        "cues_dir": "builtin:cues", "weights_file": "w.yaml", "calibration": None,
        "model": None}}))
    raw = label_pages([{"page_id": "c", "format": "html", "content": html, "lang": "en"}],
                      load_config(tmp_path / "w_only.yaml"))
    got = dict(zip(raw.column("text").to_pylist(), raw.column("confidence").to_pylist(),
                   strict=True))
    assert got["Home"] == pytest.approx(1 / 7, abs=1e-6)
