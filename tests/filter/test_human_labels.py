"""Human labels joined onto segments, and the filter stage on real Parquet shards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import RunConfig
from curation.errors import OutputExistsError, SchemaError
from curation.filter import REJECT_SCHEMA, apply_human_labels, filter_segments, load_human_labels
from curation.io.parquet import ShardWriter
from curation.schema import HUMAN_LABEL_SCHEMA, SEGMENT_SCHEMA
from curation.stats import Stats

MakeSegments = Callable[[list[dict[str, Any]]], pa.Table]


def human_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{"ground_truth": False, **r} for r in rows],
                                schema=HUMAN_LABEL_SCHEMA)


def votes(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"rule": r, "label": lab} for r, lab in pairs]


@pytest.fixture
def segments(make_segments: MakeSegments) -> pa.Table:
    return make_segments([
        # 0: human relabels a rule prelabel
        {"prelabel": "teaser", "votes": votes(("teaser.list.v1", "teaser")), "label": None},
        # 1: no human label, rule decided
        {"prelabel": "ad", "votes": votes(("ads.marker.v1", "ad"), ("model.cleaner", "teaser"))},
        # 2: no human label, only the model voted for the prelabel
        {"prelabel": "caption", "votes": votes(("model.cleaner", "caption"),
                                               ("captions.fig.v1", "article"))},
        # 3: annotators tied: keeps the prelabel, records annotators and agreement
        {"prelabel": "other", "votes": votes(("nav.menu.v1", "other"))},
        # 4: no prelabel at all
        {"prelabel": None, "votes": [], "label": "stale"},
    ])


def test_apply_human_labels(segments: pa.Table) -> None:
    human = human_table([
        {"segment_id": "p0:0", "label": "article", "annotators": 3, "agreement": 1.0},
        {"segment_id": "p0:3", "label": None, "annotators": 2, "agreement": 0.5},
        {"segment_id": "elsewhere:9", "label": "ad", "annotators": 1, "agreement": 1.0},
    ])
    out = apply_human_labels(segments, human)
    assert out.schema.equals(SEGMENT_SCHEMA)
    assert out["segment_id"].to_pylist() == segments["segment_id"].to_pylist()  # order kept
    assert out["label"].to_pylist() == ["article", "ad", "caption", "other", None]
    assert out["label_source"].to_pylist() == ["human", "rule", "model", "rule", None]
    assert out["annotators"].to_pylist() == [3, 0, 0, 2, 0]
    assert out["agreement"].to_pylist() == [1.0, None, None, 0.5, None]
    # untouched columns stay as they were
    assert out.drop_columns(["label", "label_source", "annotators", "agreement"]).equals(
        segments.drop_columns(["label", "label_source", "annotators", "agreement"]))


def test_without_human_labels_the_prelabel_is_final(segments: pa.Table) -> None:
    out = apply_human_labels(segments, None)
    assert out["label"].to_pylist() == ["teaser", "ad", "caption", "other", None]
    assert out["label_source"].to_pylist() == ["rule", "rule", "model", "rule", None]


def test_duplicate_human_rows_are_refused(segments: pa.Table) -> None:
    human = human_table([{"segment_id": "p0:0", "label": "ad"},
                         {"segment_id": "p0:0", "label": "article"}])
    with pytest.raises(SchemaError, match="segment_id twice"):
        apply_human_labels(segments, human)


def test_load_human_labels(tmp_path: Path) -> None:
    assert load_human_labels(tmp_path / "missing") is None
    (tmp_path / "empty").mkdir()
    assert load_human_labels(tmp_path / "empty") is None
    w = ShardWriter(tmp_path / "human", HUMAN_LABEL_SCHEMA, shard_rows=1)
    w.write(human_table([{"segment_id": "a:0", "label": "ad", "annotators": 1, "agreement": 1.0}]))
    w.write(human_table([{"segment_id": "a:1", "label": None, "annotators": 2,
                          "agreement": 0.5}]))
    w.close()
    loaded = load_human_labels(tmp_path / "human")
    assert loaded is not None and loaded.schema.equals(HUMAN_LABEL_SCHEMA)
    assert loaded["segment_id"].to_pylist() == ["a:0", "a:1"]


def test_filter_stage_on_disk(tmp_path: Path, segments: pa.Table) -> None:
    w = ShardWriter(tmp_path / "segments", SEGMENT_SCHEMA, shard_rows=2)
    for i in range(0, segments.num_rows, 2):
        w.write(segments.slice(i, 2))
    w.close()
    hw = ShardWriter(tmp_path / "human", HUMAN_LABEL_SCHEMA)
    hw.write(human_table([{"segment_id": "p0:0", "label": "article", "annotators": 3,
                           "agreement": 1.0},
                          {"segment_id": "p0:3", "label": None, "annotators": 2,
                           "agreement": 0.5}]))
    hw.close()
    cfg = RunConfig.model_validate({"filter": {"filters": [
        {"name": "min_agreement.v1", "params": {"p": 0.6}},
        {"name": "labels.v1", "params": {"drop": ["caption"]}}]}})
    stats = Stats()
    out = filter_segments(tmp_path / "segments", tmp_path / "filtered", tmp_path / "rejects",
                          cfg, stats, human_dir=tmp_path / "human")
    assert out == {"kept": 3, "rejected": 2}
    kept = pq.read_table(tmp_path / "filtered")
    assert kept.schema.equals(SEGMENT_SCHEMA, check_metadata=False)
    assert kept["label"].to_pylist() == ["article", "ad", None]  # null label: in no list
    rejected = pq.read_table(tmp_path / "rejects")
    assert rejected.schema.equals(REJECT_SCHEMA, check_metadata=False)
    assert sorted(rejected["reason"].to_pylist()) == ["labels.v1:caption", "min_agreement.v1<0.6"]
    assert stats.get("filter", "kept") == 3 and stats.get("filter", "human_labels") == 2
    with pytest.raises(OutputExistsError):
        filter_segments(tmp_path / "segments", tmp_path / "filtered", None, cfg, Stats())


def test_article_part_survives_only_where_the_human_kept_article(
    make_segments: MakeSegments,
) -> None:
    table = make_segments([
        {"prelabel": "article", "article_part": "meta"},  # human: article (kept)
        {"prelabel": "article", "article_part": "body"},  # human: teaser
        {"prelabel": "teaser"},                           # human: article (part unknown)
        {"prelabel": "article", "article_part": "body"},  # no human label
    ])
    human = human_table([
        {"segment_id": "p0:0", "label": "article", "annotators": 1, "agreement": 1.0},
        {"segment_id": "p0:1", "label": "teaser", "annotators": 1, "agreement": 1.0},
        {"segment_id": "p0:2", "label": "article", "annotators": 1, "agreement": 1.0},
    ])
    out = apply_human_labels(table, human)
    assert out["label"].to_pylist() == ["article", "teaser", "article", "article"]
    assert out["article_part"].to_pylist() == ["meta", None, None, "body"]
