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
from curation.filter import REJECT_SCHEMA, apply_human_labels, load_human_labels
from curation.human.store import (
    StoredLabel,
    content_keys,
    forget,
    read_store,
    update_store,
    write_store,
)
from curation.io.parquet import ShardWriter
from curation.run.filter_parts import filter_stage_folders
from curation.schema import HUMAN_LABEL_SCHEMA, SEGMENT_SCHEMA
from curation.stats import Stats
from curation.taxonomy import MODEL_VOTER

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
        {"prelabel": "ad", "votes": votes(("ads.marker.v1", "ad"), (MODEL_VOTER, "teaser"))},
        # 2: no human label, only the model voted for the prelabel
        {"prelabel": "caption", "votes": votes((MODEL_VOTER, "caption"),
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


def write_run(folder: Path, pages: dict[str, list[str]], url: str = "https://a.com/") -> None:
    """A segments/ folder holding *pages* (page_id -> texts in order)."""
    rows = [{"segment_id": f"{pid}:{i}", "page_id": pid, "position": i, "start": 10 * i,
             "end": 10 * i + len(t), "text": t, "url": url + pid, "prelabel": "other"}
            for pid, texts in pages.items() for i, t in enumerate(texts)]
    w = ShardWriter(folder, SEGMENT_SCHEMA, shard_rows=3)
    w.write(pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA))
    w.close()


def labelled(page_id: str, texts: list[str], labels: list[str | None],
             url: str = "https://a.com/") -> list[StoredLabel]:
    """Store rows as a pull makes them: one per labelled text of the page."""
    return [StoredLabel(page_id, url + page_id, h, occ, None, None, f"{page_id}:{i}", t, lab,
                        1, 1.0, False)
            for i, (t, lab, (h, occ)) in enumerate(zip(texts, labels, content_keys(texts),
                                                       strict=True)) if lab is not None]


OLD = ["Menu", "Big  headline", "Body text here.", "Share", "Share", "Footer"]
OLD_LABELS = ["other", "article", "article", "comment_ui", "other", "other"]


def test_labels_follow_their_text_after_a_recrawl(tmp_path: Path) -> None:
    # The page again with a line inserted at the top, one text edited, one "Share" gone and
    # whitespace changed: labels stay on unchanged text, the rest are listed, none misplaced.
    write_store(tmp_path / "human", labelled("p0", OLD, OLD_LABELS))
    new = ["Breaking: a new line", "Menu", "Big headline", "Body text here, edited.", "Share",
           "Footer"]
    write_run(tmp_path / "segments", {"p0": new})
    stats = Stats()
    human = load_human_labels(tmp_path / "human", tmp_path / "segments", stats)
    assert human is not None and human.schema.equals(HUMAN_LABEL_SCHEMA)
    got = dict(zip(human["segment_id"].to_pylist(), human["label"].to_pylist(), strict=True))
    assert got == {"p0:1": "other", "p0:2": "article", "p0:4": "comment_ui", "p0:5": "other"}
    assert stats.get("filter", "human_labels_applied") == 4
    assert stats.get("filter", "human_labels_unmatched") == 2
    lost = sorted(s["detail"] for s in stats.skipped)
    assert lost == ["'article' was on 'Body text here.'", "'other' was on 'Share'"]


def test_page_found_by_url_when_its_id_changed(tmp_path: Path) -> None:
    write_store(tmp_path / "human", labelled("old-id", OLD, OLD_LABELS))
    write_run(tmp_path / "segments", {"new-id": OLD, "other": OLD}, url="https://a.com/")
    # same URL as the stored page: the store's page is found again under its new id
    labels = read_store(tmp_path / "human")
    for s in labels:
        s.url = "https://a.com/new-id"
    write_store(tmp_path / "human", labels)
    human = load_human_labels(tmp_path / "human", tmp_path / "segments", Stats())
    assert human is not None
    assert sorted(human["segment_id"].to_pylist()) == [f"new-id:{i}" for i in range(6)]


def test_store_only_grows_by_pulls_and_shrinks_by_forget(tmp_path: Path) -> None:
    old = labelled("p0", OLD, OLD_LABELS) + labelled("p1", ["x"], ["ad"])
    # a later pull without p1 (its task was deleted in Label Studio) and with one change on p0
    pulled = labelled("p0", OLD, ["ad", *OLD_LABELS[1:]]) + labelled("p2", ["y"], ["teaser"])
    merged, report = update_store(old, pulled)
    assert (report.added, report.updated, report.unchanged, report.kept_not_on_server) == (
        1, 1, 5, 1)
    assert write_store(tmp_path / "human", merged) == 8
    assert {s.page_id for s in read_store(tmp_path / "human")} == {"p0", "p1", "p2"}
    assert forget(tmp_path / "human", {"p1"}) == {"deleted": 1, "kept": 7}
    assert forget(tmp_path / "human", None) == {"deleted": 7, "kept": 0}
    assert read_store(tmp_path / "human") == []


def test_load_human_labels(tmp_path: Path) -> None:
    write_run(tmp_path / "segments", {"a": ["one", "two"]})
    assert load_human_labels(tmp_path / "missing", tmp_path / "segments") is None
    (tmp_path / "empty").mkdir()
    assert load_human_labels(tmp_path / "empty", tmp_path / "segments") is None
    # a folder of position-keyed labels (an older curation) is refused with what to do
    w = ShardWriter(tmp_path / "old", HUMAN_LABEL_SCHEMA)
    w.write(human_table([{"segment_id": "a:0", "label": "ad", "annotators": 1, "agreement": 1.0}]))
    w.close()
    with pytest.raises(SchemaError, match="pull them again"):
        load_human_labels(tmp_path / "old", tmp_path / "segments")


def test_filter_stage_on_disk(tmp_path: Path, segments: pa.Table) -> None:
    w = ShardWriter(tmp_path / "segments", SEGMENT_SCHEMA, shard_rows=2)
    for i in range(0, segments.num_rows, 2):
        w.write(segments.slice(i, 2))
    w.close()
    texts = segments["text"].to_pylist()
    stored = labelled("p0", texts, ["article", None, None, None, None],
                      url="https://a.com/")
    stored[0].annotators = 3
    tie = labelled("p0", texts, [None, None, None, "other", None])[0]
    tie.label, tie.annotators, tie.agreement = None, 2, 0.5
    write_store(tmp_path / "human", stored + [tie])
    cfg = RunConfig.model_validate({"filter": {"filters": [
        {"name": "min_agreement.v1", "params": {"p": 0.6}},
        {"name": "labels.v1", "params": {"drop": ["caption"]}}]}})
    stats = Stats()
    out = filter_stage_folders(tmp_path / "segments", tmp_path / "filtered",
                               tmp_path / "rejects", cfg, stats, human_dir=tmp_path / "human")
    assert out == {"kept": 3, "rejected": 2}
    kept = pq.read_table(tmp_path / "filtered")
    assert kept.schema.equals(SEGMENT_SCHEMA, check_metadata=False)
    assert kept["label"].to_pylist() == ["article", "ad", None]  # null label: in no list
    rejected = pq.read_table(tmp_path / "rejects")
    assert rejected.schema.equals(REJECT_SCHEMA, check_metadata=False)
    assert sorted(rejected["reason"].to_pylist()) == ["labels.v1:caption", "min_agreement.v1<0.6"]
    assert stats.get("filter", "kept") == 3 and stats.get("filter", "human_labels") == 2
    assert stats.get("filter", "human_labels_applied") == 1  # the tie carries no label
    with pytest.raises(OutputExistsError):
        filter_stage_folders(tmp_path / "segments", tmp_path / "filtered", None, cfg, Stats())


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
