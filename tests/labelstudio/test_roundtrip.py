"""Push -> annotate through the API as two annotators -> pull -> merge, on a real server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset
from label_studio_sdk import LabelStudio
from ls_helpers import PAGES, choice, project_tasks, write_segments

from curation.config import FilterConfig, FilterSpec
from curation.labelstudio import ensure_project, pull, push
from curation.publish import publish_dataset
from curation.run.filter_parts import filter_stage_folders
from curation.stats import Stats

pytestmark = pytest.mark.labelstudio

# ann2 changes two pre-labels; ann1 accepts every prediction.
CHANGES = {("p1", 2): "teaser", ("p3", 0): "other"}


def annotate_pages(ls: LabelStudio, project_id: int, users: dict[str, int]) -> None:
    """One annotation request per task per annotator, as the UI would send on Submit."""
    ann1, ann2 = users["ann1@example.com"], users["ann2@example.com"]
    for t in project_tasks(ls, project_id):
        pid = t.data["page_id"]
        pre = [s[1] for s in PAGES[pid]]
        ls.annotations.create(id=t.id, result=[choice(i, lab) for i, lab in enumerate(pre)],
                              completed_by=ann1, lead_time=3.0)
        mine = [CHANGES.get((pid, i), lab) for i, lab in enumerate(pre)]
        ls.annotations.create(id=t.id, result=[choice(i, lab) for i, lab in enumerate(mine)],
                              completed_by=ann2, lead_time=4.0)


def publish_with_agreement_filter(cfg: Any, p: float) -> list[dict[str, Any]]:
    """Run the real filter and publish stages over the run's segments + human_labels."""
    out = Path(cfg.output)
    pcfg = cfg.model_copy(update={"filter": FilterConfig(filters=[
        FilterSpec(name="min_agreement.v1", params={"p": p})])})
    stats = Stats()
    filter_stage_folders(out / "segments", out / "filtered", out / "rejects", pcfg, stats,
                         human_dir=out / "human_labels", overwrite=True)
    publish_dataset(out / "filtered", out / "dataset", pcfg, stats, overwrite=True)
    files = sorted(str(f) for f in (out / "dataset" / "data").rglob("*.parquet"))
    ds = load_dataset("parquet", data_files=files, split="train")
    return list(ds)


def read_review(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "labelstudio" / "review.jsonl").read_text().splitlines()]


def read_dir(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["segment_id"]: r for r in pq.read_table(folder).to_pylist()}


HUMAN_FIELDS = ("segment_id", "label", "annotators", "agreement", "ground_truth")


def test_page_roundtrip_push_idempotent_pull_merge_agreement(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="page")
    out = Path(cfg.output)
    write_segments(out)

    first = push(cfg)
    assert (first.tasks_imported, first.predictions_imported) == (3, 3)
    assert first.tasks_already_there == 0
    again = push(cfg)  # same pages again: nothing added
    assert (again.tasks_imported, again.tasks_already_there, again.pages_selected) == (0, 3, 0)

    tasks = project_tasks(ls, first.project_id)
    assert sorted(t.data["page_id"] for t in tasks) == ["p1", "p2", "p3"]
    p1 = next(t for t in tasks if t.data["page_id"] == "p1")
    assert [s["seg_id"] for s in p1.data["segments"]] == ["p1:0", "p1:1", "p1:2", "p1:3"]
    (pred,) = p1.predictions
    assert pred.model_version == cfg.labelstudio.model_version
    assert pred.score == pytest.approx(0.55)  # the least sure segment
    assert [r["value"]["choices"][0] for r in pred.result] == ["article", "article", "ad", "teaser"]
    assert [r["score"] for r in pred.result] == pytest.approx([0.9, 0.8, 0.55, 0.7])

    annotate_pages(ls, first.project_id, annotators)
    report = pull(cfg)
    assert report.tasks == 3 and report.annotation_rows == 18 and report.skipped == {}

    human = read_dir(out / "human_labels")
    assert len(human) == 9
    assert {k: human["p1:0"][k] for k in HUMAN_FIELDS} == {
        "segment_id": "p1:0", "label": "article", "annotators": 2, "agreement": 1.0,
        "ground_truth": False}
    assert human["p1:0"]["page_id"] == "p1" and human["p1:0"]["text"] == PAGES["p1"][0][0]
    for sid in ("p1:2", "p3:0"):  # one accepted, one changed: a tie, left for review
        assert human[sid]["label"] is None and human[sid]["agreement"] == 0.5
    assert sum(h["label"] is not None for h in human.values()) == 7

    ann = pq.read_table(out / "labelstudio" / "annotations.parquet").to_pylist()
    assert len(ann) == 18
    changed = sorted((a["segment_id"], a["annotator"], a["prelabel"], a["label"])
                     for a in ann if a["changed"])
    assert changed == [("p1:2", "ann2@example.com", "ad", "teaser"),
                       ("p3:0", "ann2@example.com", "comment_ui", "other")]
    assert all(a["changed"] is False for a in ann if a["annotator"] == "ann1@example.com")
    assert {a["task_id"] for a in ann} == {t.id for t in tasks}

    review = read_review(out)
    assert [(r["segment_id"], r["reason"]) for r in review] == [("p1:2", "tie"), ("p3:0", "tie")]
    assert review[0]["labels"] == {"ann1@example.com": "ad", "ann2@example.com": "teaser"}

    # Expected figures worked out by hand for these 9 segments (see docs/labelstudio.md):
    # Cohen: po = 7/9, pe = (3*3 article + 1*1 caption + 3*4 teaser)/81 = 22/81 -> 41/59.
    # Krippendorff (nominal, 18 values): 1 - 17 * 4 / (18^2 - (36+4+1+49+1+1)) = 164/232.
    # Fleiss: P = 7/9, Pe = 92/324 -> 20/29.
    agree = json.loads((out / "labelstudio" / "agreement.json").read_text())
    assert agree["kappa_method"] == "cohen"
    assert agree["kappa"] == pytest.approx(41 / 59, abs=1e-6)
    assert agree["krippendorff_alpha"] == pytest.approx(164 / 232, abs=1e-6)
    assert agree["fleiss_kappa"] == pytest.approx(20 / 29, abs=1e-6)
    per = agree["per_label"]
    assert per["article"]["kappa"] == 1.0
    assert per["teaser"]["kappa"] == pytest.approx(10 / 13, abs=1e-6)  # 8/9 vs pe 42/81
    assert per["ad"]["kappa"] == 0.0
    assert per["ad"] | {"kappa": 0, "krippendorff_alpha": 0} == {
        "final": 0, "annotations": 1, "prelabel": 2, "prelabel_changed": 1,
        "prelabel_changed_rate": 0.5, "kappa": 0, "krippendorff_alpha": 0}
    assert per["teaser"]["final"] == 3 and per["teaser"]["annotations"] == 7
    assert agree["prelabel"] == {"annotations": 18, "changed": 2, "accepted": 16}
    # Rule "links" voted teaser on p1:2 (ann1 said ad: changed; ann2 teaser: kept) and other
    # on p3:0 (ann1 comment_ui: changed; ann2 other: kept).
    assert agree["rules"] == {
        "base": {"annotations": 18, "changed": 2, "changed_rate": round(2 / 18, 6)},
        "links": {"annotations": 4, "changed": 2, "changed_rate": 0.5}}

    # Human labels flow into filter and publish: a min_agreement filter drops the two ties.
    published = publish_with_agreement_filter(cfg, 1.0)
    assert len(published) == 7
    assert {r["segment_id"] for r in published} == set(human) - {"p1:2", "p3:0"}
    assert all((r["label_source"], r["annotators"], r["agreement"]) == ("human", 2, 1.0)
               for r in published)
    assert {r["segment_id"]: r["label"] for r in published} == {
        sid: h["label"] for sid, h in human.items() if h["label"] is not None}

    # A ground-truth annotation settles a tie; with three annotators Fleiss' kappa is used.
    admin = ls.users.whoami().id
    p3 = next(t for t in tasks if t.data["page_id"] == "p3")
    ls.annotations.create(id=p3.id, result=[choice(0, "other"), choice(1, "teaser")],
                          completed_by=admin, ground_truth=True)
    report = pull(cfg)
    human = read_dir(out / "human_labels")
    assert human["p3:0"]["label"] == "other" and human["p3:0"]["ground_truth"] is True
    assert human["p3:0"]["annotators"] == 3
    assert human["p3:0"]["agreement"] == pytest.approx(2 / 3)
    assert human["p1:2"]["label"] is None  # still a tie
    assert report.agreement["kappa_method"] == "fleiss"
    review = read_review(out)
    assert [(r["segment_id"], r["reason"]) for r in review] == [("p1:2", "tie"),
                                                                ("p3:0", "disagreement")]
    assert ensure_project(ls, cfg, create=False).id == first.project_id
