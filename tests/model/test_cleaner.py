"""The trained cleaner: fit, predict, save/load, refusal of foreign model files, grouped CV."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pyarrow as pa
import pytest

from curation.config import RunConfig, load_config
from curation.errors import ConfigError, SchemaError
from curation.gold import GoldPage, iter_gold, majority_targets, page_record
from curation.model.apply import apply_model, rule_weights_of
from curation.model.cleaner import load, save
from curation.model.cv import group_folds, out_of_fold
from curation.model.data import NOT_ARTICLE
from curation.model.features import FeatureConfig, featurize
from curation.pipeline import label_pages
from curation.stats import Stats


def _gold_table(path: Path) -> tuple[RunConfig, list[GoldPage], pa.Table]:
    cfg = load_config()
    pages = list(iter_gold(path, cfg.labels, Stats()))
    return cfg, pages, label_pages([page_record(p) for p in pages], cfg)


def test_predictions_have_one_known_label_per_segment(synthetic_gold: Path, trained_model: Path):
    cfg, pages, table = _gold_table(synthetic_gold)
    cleaner = load(trained_model)
    proba = cleaner.predict_proba(cleaner.features(table))
    assert proba.shape == (table.num_rows, len(cfg.labels))
    assert np.allclose(proba.sum(axis=1), 1.0)
    # what `--mode model` labels with
    alone = apply_model(table, cleaner, rule_weights_of(cfg), "model")
    labels = alone.column("prelabel").to_pylist()
    conf = alone.column("confidence").to_numpy()
    assert set(labels) <= set(cfg.labels) and len(conf) == table.num_rows
    assert ((conf > 0) & (conf <= 1)).all()
    # the training pages themselves: story paragraphs are article, the menu is not
    by_text = dict(zip(table.column("text").to_pylist(), labels, strict=True))
    story = [s.text for s in pages[0].segments if s.label == "article"]
    assert all(by_text[t] == "article" for t in story)
    assert by_text["Home"] != "article"


def test_combined_mode_adds_the_model_vote(synthetic_gold: Path, trained_model: Path):
    cfg, _, table = _gold_table(synthetic_gold)
    out = apply_model(table, load(trained_model), rule_weights_of(cfg), "combined")
    assert out.num_rows == table.num_rows
    assert all(any(v["rule"] == "model" for v in vs) for vs in out.column("votes").to_pylist())
    assert set(out.column("label_source").to_pylist()) == {"model"}
    assert apply_model(table, load(trained_model), rule_weights_of(cfg), "rules") is table


def test_save_load_round_trip_gives_the_same_predictions(
    synthetic_gold: Path, trained_model: Path, tmp_path: Path
):
    _, _, table = _gold_table(synthetic_gold)
    cleaner = load(trained_model)
    save(cleaner, tmp_path / "again.model")
    again = load(tmp_path / "again.model")
    x = cleaner.features(table)
    assert np.array_equal(cleaner.predict_proba(x), again.predict_proba(again.features(table)))
    assert again.feature_digest == cleaner.feature_digest and again.labels == cleaner.labels


def test_model_from_another_format_version_is_refused(trained_model: Path, tmp_path: Path):
    cleaner = load(trained_model)
    cleaner.format_version = 999
    save(cleaner, tmp_path / "old.model")
    with pytest.raises(SchemaError, match="format version 999.*retrain"):
        load(tmp_path / "old.model")


def test_model_with_another_feature_config_is_refused(trained_model: Path, tmp_path: Path):
    cleaner = load(trained_model)
    cleaner.feature_code_version = 0
    save(cleaner, tmp_path / "f0.model")
    with pytest.raises(SchemaError, match="feature version 0"):
        load(tmp_path / "f0.model")
    cleaner = load(trained_model)
    # the config changed after training, the recorded identity did not: refuse, not mispredict
    object.__setattr__(cleaner, "feature_config", FeatureConfig(char_max_chars=50))
    save(cleaner, tmp_path / "f1.model")
    with pytest.raises(SchemaError, match="feature version"):
        load(tmp_path / "f1.model")


def test_model_needing_a_rule_the_config_does_not_run_is_refused(trained_model: Path):
    from curation.model.run import load_for

    cfg = load_config(prelabel={"rules": ["article.long_paragraph.v1"]})
    with pytest.raises(ConfigError, match="trained with rules"):
        load_for(cfg, trained_model)


def test_files_that_are_not_models_are_refused(tmp_path: Path):
    (tmp_path / "x.model").write_text("not a model", encoding="utf-8")
    with pytest.raises(SchemaError, match="not a curation model file"):
        load(tmp_path / "x.model")
    joblib.dump({"some": "dict"}, tmp_path / "d.joblib")
    with pytest.raises(SchemaError, match="not a curation model file.*pickles are refused"):
        load(tmp_path / "d.joblib")
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "missing.joblib")


def test_group_folds_keep_each_site_in_one_fold():
    groups = [f"s{i % 7}" for i in range(50)] + ["big"] * 30
    folds = group_folds(groups, 3)
    assert set(folds) == set(groups) and set(folds.values()) == {0, 1, 2}
    with pytest.raises(ConfigError, match="at least 5 sites"):
        group_folds(["a", "b"], 5)


def test_out_of_fold_never_trains_on_a_test_site(synthetic_gold: Path, tmp_path: Path):
    # an extra training file that holds the same sites under other page ids: if a fold trained
    # on it, its test pages' twins would be in training; out_of_fold must drop them
    cfg = load_config()
    stats = Stats()
    table, proba, *_ = out_of_fold(synthetic_gold, cfg, 3, [synthetic_gold], stats=stats)
    assert proba.shape == (table.num_rows, len(cfg.labels))
    assert np.allclose(proba.sum(axis=1), 1.0)
    n = table.num_rows
    for f in range(3):
        test = stats.get("cv", f"fold{f}_test_segments")
        train = stats.get("cv", f"fold{f}_train_segments")
        assert 0 < test < n and train > 0
    # twins of a page: one copy dropped (same page_id), so training sees each site's pages once
    assert stats.get("train", "duplicate_page_dropped") == 18


def test_targets_follow_the_gold_token_majority():
    from curation.gold import GoldPage, GoldSegment

    page = GoldPage(
        page_id="p", annotation="main_only", format="html", content="",
        segments=(GoldSegment("alpha beta gamma", "article"), GoldSegment("menu home", "other")),
    )
    got = majority_targets(page, ["alpha beta", "gamma menu home", "unrelated words", "."])
    assert got == ["article", NOT_ARTICLE, None, None]


def test_features_do_not_depend_on_other_sites(synthetic_gold: Path):
    cfg, pages, table = _gold_table(synthetic_gold)
    from curation.model.cleaner import rule_names

    names = rule_names(cfg)
    full = featurize(table, FeatureConfig(), names)
    first_site = table.filter(
        np.array([p.startswith("site0.com") for p in table.column("page_id").to_pylist()])
    )
    alone = featurize(first_site, FeatureConfig(), names)
    assert (full[: first_site.num_rows] != alone).nnz == 0
    # cross-page repetition: the menu repeats on every page of the site, the story does not
    assert json.dumps(sorted(names)) == json.dumps(names)
