"""Human labels stay on their text: re-crawls, old tasks, deleted tasks, edited configs, bad
regions in the paragraphs layout; all against a real server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import PAGES, line_run, project_tasks, span, write_segments

from curation.config import FilterConfig
from curation.labelstudio import label_config, pull, push
from curation.run.filter_parts import filter_stage_folders
from curation.stats import Stats

pytestmark = pytest.mark.labelstudio



def pre_regions(page: str) -> list[dict[str, Any]]:
    """Every pre-label accepted untouched, as regions that started from the prediction."""
    return [span(i, i, s[1], "prediction") for i, s in enumerate(PAGES[page])]


def human(out: Path) -> dict[str, str | None]:
    return {r["segment_id"]: r["label"] for r in pq.read_table(out / "human_labels").to_pylist()}


def review(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "labelstudio" / "review.jsonl").read_text().splitlines()]


def applied_labels(cfg: Any) -> dict[str, tuple[str | None, str | None]]:
    """segment_id -> (label, label_source) after the real filter stage."""
    out = Path(cfg.output)
    stats = Stats()
    filter_stage_folders(out / "segments", out / "filtered", None,
                         cfg.model_copy(update={"filter": FilterConfig(filters=[])}), stats,
                         human_dir=out / "human_labels", overwrite=True)
    rows = pq.read_table(out / "filtered").to_pylist()
    return {r["segment_id"]: (r["label"], r["label_source"]) for r in rows}


def test_one_region_relabels_a_run_and_labels_follow_their_text(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="paragraphs", prelabel_regions="all")  # a region per pre-label
    out = Path(cfg.output)
    write_segments(out)
    pid = push(cfg).project_id
    tasks = {t.data["page_id"]: t for t in project_tasks(ls, pid)}
    p1 = tasks["p1"]
    assert [s["where"] for s in p1.data["segments"]][2] == "2 · text · unsure 0.55"
    (pred,) = p1.predictions
    assert [(r["value"]["paragraphlabels"], r["score"]) for r in pred.result] == [
        (["article"], 0.9), (["article"], 0.8), (["ad"], 0.55), (["teaser"], 0.7)]
    # one region drawn over segments 1..3 relabels the run; the untouched pre-label regions
    # under it give way, the one outside it (segment 0) is accepted as it is.
    ls.annotations.create(id=p1.id, completed_by=annotators["ann1@example.com"],
                          result=[*pre_regions("p1"), span(1, 3, "teaser")])
    report = pull(cfg)
    assert report.skipped == {} and report.segments_labelled == 4
    assert human(out) == {"p1:0": "article", "p1:1": "teaser", "p1:2": "teaser",
                          "p1:3": "teaser"}

    # The page is crawled again: a line at the top, segment 1's text edited. The store still
    # holds the task's labels; by content they land on the shifted segments; the edited text
    # loses its label (listed), nothing lands on other text.
    new = dict(PAGES)
    new["p1"] = [("Breaking: an inserted line", "other", 0.9, []), PAGES["p1"][0],
                 ("Body of the story, edited.", "article", 0.8, []), *PAGES["p1"][2:]]
    shutil.rmtree(out / "segments")
    write_segments(out, new)
    assert applied_labels(cfg) == {
        "p1:0": ("other", "rule"), "p1:1": ("article", "human"), "p1:2": ("article", "rule"),
        "p1:3": ("teaser", "human"), "p1:4": ("teaser", "human"),
        **{f"{p}:{i}": (s[1], "rule") for p in ("p2", "p3") for i, s in enumerate(PAGES[p])}}

    # A pull against the project whose task was made from the old page maps by content too.
    report = pull(cfg)
    assert (report.applied, report.unmatched) == (3, 1)
    assert report.skipped == {"label_text_changed_or_gone": 1}
    lost = [r for r in review(out) if r["reason"] == "text_changed_or_gone"]
    assert [(r["segment_id"], r["label"]) for r in lost] == [("p1:1", "teaser")]
    assert report.store == {"added": 0, "updated": 0, "unchanged": 4, "kept_not_on_server": 0,
                            "total": 4}


def test_deleted_tasks_and_a_new_colour_never_shrink_or_block(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="paragraphs", prelabel_regions="all")
    out = Path(cfg.output)
    write_segments(out)
    pid = push(cfg).project_id
    for t in project_tasks(ls, pid):
        ls.annotations.create(id=t.id, completed_by=annotators["ann1@example.com"],
                              result=pre_regions(t.data["page_id"]))
    assert pull(cfg).store["total"] == 9
    ls.tasks.delete(id=str(project_tasks(ls, pid)[0].id))
    # a label's colour and hotkey changed in the UI: still our config, pulls go on
    xml = label_config(cfg.labels, "paragraphs").replace("#c62828", "#ff00ff").replace(
        'hotkey="3"', 'hotkey="a"')
    ls.projects.update(id=pid, label_config=xml)
    report = pull(cfg)
    assert report.tasks == 2
    assert report.store["total"] == 9 and report.store["kept_not_on_server"] > 0
    assert len(human(out)) == 9


def test_disagreeing_run_and_bad_regions_go_to_review(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="paragraphs", prelabel_regions="all")
    out = Path(cfg.output)
    write_segments(out)
    pid = push(cfg).project_id
    p1 = next(t for t in project_tasks(ls, pid) if t.data["page_id"] == "p1")
    ann1, ann2 = annotators["ann1@example.com"], annotators["ann2@example.com"]
    ls.annotations.create(id=p1.id, completed_by=ann1, result=[span(0, 3, "article")])
    # ann2: the same run as ad, a label outside the set, a region past the page's end, and
    # two of their own regions with different labels over segment 0
    ls.annotations.create(id=p1.id, completed_by=ann2, result=[
        span(1, 3, "ad"), span(0, 0, "spam"), span(2, 9, "ad"), span(0, 0, "teaser"),
        span(0, 0, "other")])
    report = pull(cfg)
    assert report.skipped == {"unknown_label": 1, "unknown_segment": 1,
                              "conflicting_labels": 1}
    assert human(out) == {"p1:0": "article", "p1:1": None, "p1:2": None, "p1:3": None}
    reasons = sorted((r["reason"], r.get("segment_id")) for r in review(out))
    assert reasons == [("conflicting_labels", "p1:0"), ("tie", "p1:1"), ("tie", "p1:2"),
                       ("tie", "p1:3"), ("unknown_label", "p1:0"), ("unknown_segment", None)]
    # ties are never applied: the pre-label stays, the segments carry their two annotators
    applied = applied_labels(cfg)
    assert applied["p1:2"] == ("ad", "rule") and applied["p1:0"] == ("article", "human")


def test_push_only_unsure_segments(ls: LabelStudio, make_cfg: Any,
                                   annotators: dict[str, int]) -> None:
    cfg = make_cfg()
    out = Path(cfg.output)
    pages = {"p1": [("Share", "other", 0.9, []), ("Story", "article", 0.95, []),
                    ("Share", "comment_ui", 0.4, [])], "p2": PAGES["p2"]}
    write_segments(out, pages)
    r = push(cfg, below=0.7)
    assert r.tasks_imported == 1  # p2 has no segment below 0.7: nothing to review there
    (task,) = project_tasks(ls, r.project_id)
    # the line keeps its id after the page's, and where it stands among the page's "Share"s
    assert task.data["segments"] == [{"seg": "2", "occurrence": 1}]
    assert task.data["pre_accepted"] == 2
    ls.annotations.create(id=task.id, completed_by=annotators["ann1@example.com"],
                          result=[line_run(0, 0, "ad", ["Share"])])
    pull(cfg)
    # the second "Share" (occurrence 1) got the label, not the first
    assert applied_labels(cfg)["p1:2"] == ("ad", "human")
    assert applied_labels(cfg)["p1:0"] == ("other", "rule")
