"""A filter sees its own validated params and nothing else of the config: the run-wide
settings it needs (language detector, cluster folder) come in its params, named in FROM_CONFIG."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import Field

from curation.config import FilterSpec, RunConfig, load_config
from curation.filter import FILTERS, Params, apply_filters, bind_filters
from curation.filter.base import Filter, Verdict
from curation.filter.language import LangParams
from curation.filter.near_duplicates import KeepFirst
from curation.resolve import resolve
from curation.stats import Stats

MakeSegments = Callable[[list[dict[str, Any]]], pa.Table]


class _Seen(Params):
    n: int = Field(3, ge=0)


def test_a_filter_is_called_with_the_table_and_its_own_params_only(
        make_segments: MakeSegments) -> None:
    calls: list[tuple[Any, ...]] = []

    def spy(*args: Any) -> Verdict:
        calls.append(args)
        table, p = args
        return pc.greater_equal(pc.utf8_length(table["text"]), p.n), "<n"

    flt: Filter[_Seen] = Filter("spy.v1", _Seen, spy)
    cfg = RunConfig.model_validate({"language": {"detector": "none"}, "output": "elsewhere"})
    table = make_segments([{"text": "ab"}, {"text": "abcd"}])
    kept, _ = apply_filters(table, [(flt, flt.parse({"n": 4}, cfg))], Stats())
    assert kept.column("text").to_pylist() == ["abcd"]
    assert len(calls) == 1
    seen_table, seen_params = calls[0]  # two arguments: no config among them
    assert seen_table.num_rows == 2
    assert seen_params == _Seen(n=4)
    assert seen_params.model_dump() == {"n": 4}


def test_every_registered_filter_takes_only_table_and_params() -> None:
    for name in FILTERS:
        params = list(inspect.signature(FILTERS.get(name).fn).parameters)
        assert params == ["table", "p"], f"{name} takes {params}"


def test_the_language_filter_takes_the_run_s_detector_unless_its_params_set_one() -> None:
    cfg = RunConfig.model_validate({"language": {"detector": "none", "min_segment_chars": 50,
                                                 "seed": 7}})
    p = FILTERS.get("lang.v1").parse({"keep": ["bg"]}, cfg)
    assert isinstance(p, LangParams)
    assert (p.detector, p.min_segment_chars, p.seed) == ("none", 50, 7)
    own = FILTERS.get("lang.v1").parse({"keep": ["bg"], "detector": "py3langid"}, cfg)
    assert (own.detector, own.min_segment_chars) == ("py3langid", 50)


def test_the_near_duplicates_filter_gets_the_run_s_cluster_folder(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("output: result\nfilter:\n  filters: [{name: near_duplicates.v1}]\n",
                    encoding="utf-8")
    [(flt, p)] = resolve(load_config(path)).filters
    assert flt.name == "near_duplicates.v1"
    assert isinstance(p, KeepFirst)
    assert p.clusters == tmp_path / "result" / "near_duplicates"
    # a folder set per filter is, like every path of a config, relative to the config's folder
    path.write_text("filter:\n  filters:\n"
                    "    - {name: near_duplicates.v1, params: {clusters: old/nd}}\n",
                    encoding="utf-8")
    [(_, p)] = resolve(load_config(path)).filters
    assert isinstance(p, KeepFirst) and p.clusters == tmp_path / "old" / "nd"


def test_params_help_says_which_defaults_come_from_the_config() -> None:
    help_text = FILTERS.get("lang.v1").params_help()
    assert "detector (one of langdetect|fasttext|py3langid|none, " in help_text
    assert "default: the config's language.detector" in help_text
    assert "per_segment (bool, default False)" in help_text


def test_a_bad_from_config_value_set_per_filter_is_a_config_error() -> None:
    from curation.errors import ConfigError

    with pytest.raises(ConfigError, match="filter lang.v1: bad params.*detector"):
        bind_filters([FilterSpec(name="lang.v1", params={"keep": ["en"], "detector": "x"})],
                     RunConfig())
