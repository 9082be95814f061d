"""Config is pure data; resolve() looks its names up once and fails before any data is read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import curation.config
from curation.config import load_config
from curation.defaults import default_model_path
from curation.errors import ConfigError
from curation.label import active_rules, rule_set
from curation.resolve import resolve


def test_loading_a_config_looks_nothing_up(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("prelabel: {rules: [article.long_paragraph.v7]}\n", encoding="utf-8")
    cfg = load_config(path)  # pure data: the typo is only a string here
    with pytest.raises(ConfigError, match=r"unknown rule 'article.long_paragraph.v7' \(this "
                       r"version of curation has article.long_paragraph.v1\); valid rules: "):
        resolve(cfg)
    path.write_text("prelabel: {rules: [article.long_para]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown rule 'article.long_para'; valid rules: "):
        resolve(load_config(path))  # no rule of that name in any version: no hint


def test_config_imports_no_registry() -> None:
    tree = ast.parse(Path(curation.config.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {m for m in imported if m and m.startswith("curation")} <= {
        "curation.defaults", "curation.errors", "curation.taxonomy", "curation.user_cache"}


def test_resolve_gives_each_stage_its_part() -> None:
    cfg = load_config("configs/default.yaml")
    res = resolve(cfg)
    assert [r.name for r in res.rules.rules] == [r.name for r in active_rules(cfg)]
    assert len(res.rules.weights) == len(res.rules.rules)
    assert res.rules.calibration is not None  # the packaged calibration is the default
    assert [flt.name for flt, _ in res.filters] == [s.name for s in cfg.filter.filters]
    assert res.model is not None and res.model.path == default_model_path()  # the packaged one
    assert res.model_note is None
    assert rule_set(cfg) is res.rules  # looked up once per process, not once a batch


def test_a_narrower_label_set_keeps_its_own_rule_set() -> None:
    narrow = load_config(None, labels=["article", "other"])
    assert rule_set(narrow).labels == ("article", "other")
    assert rule_set(load_config()).labels != rule_set(narrow).labels
