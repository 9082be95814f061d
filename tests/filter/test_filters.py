"""Each filter on a small table: which rows it keeps, and the reasons for the rest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from curation.config import FilterSpec, RunConfig, load_config
from curation.errors import ConfigError, SchemaError
from curation.filter import FILTERS, REJECT_SCHEMA, apply_filters, bind_filters
from curation.resolve import resolve
from curation.stats import Stats

CFG = RunConfig()
MakeSegments = Callable[[list[dict[str, Any]]], pa.Table]


def run(table: pa.Table, *specs: tuple[str, dict[str, Any]],
        cfg: RunConfig = CFG) -> tuple[pa.Table, pa.Table, Stats]:
    stats = Stats()
    bound = bind_filters([FilterSpec(name=n, params=p) for n, p in specs], cfg)
    kept, rejected = apply_filters(table, bound, stats)
    return kept, rejected, stats


@pytest.mark.parametrize(
    ("name", "params", "rows", "kept_ids", "reasons"),
    [
        ("min_chars.v1", {"n": 5}, [{"text": "abcd"}, {"text": "abcde"}, {"text": "жжжжж"}],
         [1, 2], ["min_chars.v1<5"]),
        ("max_chars.v1", {"n": 3}, [{"text": "abcd"}, {"text": "abc"}],
         [1], ["max_chars.v1>3"]),
        ("labels.v1", {"keep": ["article", "caption"]},
         [{"label": "article"}, {"label": "ad"}, {"label": None}, {"label": "caption"}],
         [0, 3], ["labels.v1:ad", "labels.v1:none"]),
        ("labels.v1", {"drop": ["other"]}, [{"label": "other"}, {"label": "teaser"}],
         [1], ["labels.v1:other"]),
        ("lang.v1", {"keep": ["bg", "en"]},
         [{"lang": "bg"}, {"lang": "ru"}, {"lang": None}, {"lang": "en"}],
         [0, 3], ["lang.v1:ru", "lang.v1:none"]),
        ("min_confidence.v1", {"p": 0.5},
         [{"confidence": 0.4}, {"confidence": 0.5}, {"confidence": None},
          {"confidence": 0.1, "label_source": "human", "annotators": 2, "agreement": 1.0}],
         [1, 3], ["min_confidence.v1<0.5", "min_confidence.v1<0.5"]),
        ("min_agreement.v1", {"p": 0.6},
         [{"label_source": "human", "annotators": 3, "agreement": 0.67},
          {"label_source": "human", "annotators": 2, "agreement": 0.5},
          {"label_source": "rule", "annotators": 0},
          {"label_source": "rule", "annotators": 2, "agreement": 0.5}],  # a tie
         [0, 2], ["min_agreement.v1<0.6", "min_agreement.v1<0.6"]),
        ("min_agreement.v1", {"p": 0.6, "require_human": True},
         [{"label_source": "human", "annotators": 3, "agreement": 0.67},
          {"label_source": "rule", "annotators": 0},
          {"label_source": "human", "annotators": 1, "agreement": None}],
         [0], ["min_agreement.v1:no_human", "min_agreement.v1<0.6"]),
    ],
)
def test_filter_keeps_and_rejects(make_segments: MakeSegments, name: str, params: dict[str, Any],
                                  rows: list[dict[str, Any]], kept_ids: list[int],
                                  reasons: list[str]) -> None:
    kept, rejected, stats = run(make_segments(rows), (name, params))
    assert kept.column("position").to_pylist() == kept_ids
    assert rejected.schema.equals(REJECT_SCHEMA)
    assert rejected.column("reason").to_pylist() == reasons
    assert stats.get("filter", "kept") == len(kept_ids)
    for reason in set(reasons):
        assert stats.get("filter", f"dropped:{reason}") == reasons.count(reason)


def test_first_failing_filter_is_the_reason(make_segments: MakeSegments) -> None:
    table = make_segments([{"text": "ab", "label": "other"}, {"text": "abcdef", "label": "other"},
                           {"text": "abcdef", "label": "article"}])
    kept, rejected, stats = run(table, ("min_chars.v1", {"n": 3}),
                                ("labels.v1", {"drop": ["other"]}))
    assert kept.column("segment_id").to_pylist() == ["p0:2"]
    assert dict(zip(rejected["segment_id"].to_pylist(), rejected["reason"].to_pylist(),
                    strict=True)) == {"p0:0": "min_chars.v1<3", "p0:1": "labels.v1:other"}
    # rejected rows are whole segments: every SEGMENT_SCHEMA column comes through unchanged
    assert rejected.drop_columns(["reason"]).to_pylist() == table.take([0, 1]).to_pylist()
    assert stats.counts["filter"] == {"dropped:min_chars.v1<3": 1, "dropped:labels.v1:other": 1,
                                      "kept": 1}


def test_no_filters_and_empty_tables(make_segments: MakeSegments) -> None:
    table = make_segments([{}, {}])
    kept, rejected, stats = run(table)
    assert kept.num_rows == 2 and rejected.num_rows == 0 and stats.get("filter", "kept") == 2
    kept, rejected, _ = run(table.slice(0, 0), ("min_chars.v1", {"n": 1}))
    assert kept.num_rows == 0 and rejected.num_rows == 0


def test_wrong_table_is_a_schema_error(make_segments: MakeSegments) -> None:
    with pytest.raises(SchemaError, match="label"):
        run(make_segments([{}]).drop_columns(["label"]), ("min_chars.v1", {"n": 1}))


def test_per_segment_language(make_segments: MakeSegments) -> None:
    cfg = RunConfig.model_validate({"language": {"detector": "langdetect",
                                                  "min_segment_chars": 40}})
    english = "The quick brown fox jumps over the lazy dog while the farmer watches quietly."
    bulgarian = "Руският президент заяви, че страната ще продължи сътрудничеството с партньорите."
    table = make_segments([
        {"text": english, "lang": "bg"},      # long: detected as en, dropped
        {"text": bulgarian, "lang": "bg"},    # long: detected as bg, kept
        {"text": "OK", "lang": "bg"},         # short: page language bg, kept
        {"text": "Hi", "lang": "en"},         # short: page language en, dropped
    ])
    kept, rejected, _ = run(table, ("lang.v1", {"keep": ["bg"], "per_segment": True}), cfg=cfg)
    assert kept.column("position").to_pylist() == [1, 2]
    assert rejected.column("reason").to_pylist() == ["lang.v1:en", "lang.v1:en"]
    # without per_segment the page column decides
    kept, _, _ = run(table, ("lang.v1", {"keep": ["bg"]}), cfg=cfg)
    assert kept.column("position").to_pylist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("labels.v1", {"keep": ["article", "adz"]},
         r"unknown labels \['adz'\]; valid labels: article, caption"),
        ("labels.v1", {}, "exactly one of keep"),
        ("labels.v1", {"keep": ["ad"], "drop": ["other"]}, "exactly one of keep"),
        ("min_chars.v1", {"n": -1}, "greater than or equal to 0"),
        ("min_chars.v1", {"min": 3}, r"min: unknown param; valid params: n \(int, default 40\)"),
        ("min_confidence.v1", {"p": 2}, "less than or equal to 1"),
        ("min_confidence.v1", {}, r"p: Field required; valid params: p \(float\)"),
        ("min_agreement.v1", {"p": 0.5, "require_human": "maybe"}, "require_human"),
        ("lang.v1", {"keep": []}, "at least 1 item"),
    ],
)
def test_bad_params_fail_with_the_fix(name: str, params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FILTERS.get(name).parse(params, CFG)


def test_unknown_filter_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="unknown filter 'min_char.v1'; valid filters: labels.v1, "
                       "lang.v1, max_chars.v1, min_agreement.v1, min_chars.v1, min_confidence.v1"):
        FILTERS.get("min_char.v1")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ("[{name: min_char.v1}]", "unknown filter 'min_char.v1'; valid filters: labels.v1"),
        ("[{name: labels.v1, params: {keep: [adz]}}]", r"unknown labels \['adz'\]"),
        # checked against the config's own labels, not the defaults
        ("[{name: labels.v1, params: {keep: [ad]}}]", r"unknown labels \['ad'\]; valid labels: "
                                                      r"article, other$"),
        ("[{name: min_chars.v1, params: {n: x}}]", "filter min_chars.v1: bad params"),
    ],
)
def test_resolve_checks_filters(tmp_path: Path, filters: str, message: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(f"labels: [article, other]\nfilter:\n  filters: {filters}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        resolve(load_config(path))


def test_load_config_accepts_good_filters(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("filter:\n  filters:\n    - {name: min_chars.v1, params: {n: 20}}\n"
                    "    - {name: labels.v1, params: {drop: [other]}}\n"
                    "    - {name: lang.v1, params: {keep: [bg], per_segment: true}}\n",
                    encoding="utf-8")
    cfg = load_config(path)
    assert [f.name for f in cfg.filter.filters] == ["min_chars.v1", "labels.v1", "lang.v1"]
    assert [flt.name for flt, _ in resolve(cfg).filters] == ["min_chars.v1", "labels.v1", "lang.v1"]
