"""The paragraphs screen: pre-label regions only for the unsure segments, the others
named in their line; a line submitted without a region is its named pre-label accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import project_tasks, span, write_segments

from curation.labelstudio import pull, push

pytestmark = pytest.mark.labelstudio



PAGES = {
    "p1": [("Headline", "article", 0.9, []), ("Body text", "article", 0.8, []),
           ("Buy now", "ad", 0.55, []), ("Related", "teaser", 0.75, [])],
    "p2": [("Another", "article", 0.95, []), ("Photo: x", "caption", 0.9, [])],
    "p3": [("Log in", "comment_ui", 0.4, []), ("Read more", "teaser", 0.6, [])],
}


def test_only_unsure_pre_labels_are_regions_and_the_rest_is_accepted_on_submit(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="paragraphs")  # prelabel_regions "unsure", the default
    out = Path(cfg.output)
    write_segments(out, PAGES)
    pid = push(cfg).project_id
    tasks = {t.data["page_id"]: t for t in project_tasks(ls, pid)}
    lines = tasks["p1"].data["segments"]
    assert [s["where"] for s in lines] == ["0 · text · article 0.90", "1 · text · article 0.80",
                                           "2 · text · unsure 0.55", "3 · text · teaser 0.75"]
    assert [s.get("pre") for s in lines] == ["article", "article", None, "teaser"]
    (pred,) = tasks["p1"].predictions  # one region: the unsure line
    assert [(r["value"]["start"], r["value"]["paragraphlabels"], r["score"])
            for r in pred.result] == [("2", ["ad"], 0.55)]
    assert not tasks["p2"].predictions  # nothing unsure: no region at all

    who = annotators["ann1@example.com"]
    # p1: a run drawn over lines 0..1, the unsure region kept, line 3 left as named
    ls.annotations.create(id=tasks["p1"].id, completed_by=who,
                          result=[span(0, 1, "teaser"), span(2, 2, "ad", "prediction")])
    ls.annotations.create(id=tasks["p2"].id, completed_by=who, result=[])  # all accepted
    # p3: the annotator deleted both unsure regions: those lines are not labelled
    ls.annotations.create(id=tasks["p3"].id, completed_by=who, result=[])
    report = pull(cfg)
    assert report.skipped == {}
    rows = pq.read_table(out / "human_labels").to_pylist()
    assert {r["segment_id"]: r["label"] for r in rows} == {
        "p1:0": "teaser", "p1:1": "teaser", "p1:2": "ad", "p1:3": "teaser",
        "p2:0": "article", "p2:1": "caption"}
    ann = pq.read_table(out / "labelstudio" / "annotations.parquet").to_pylist()
    changed = {r["segment_id"]: (r["prelabel"], r["changed"]) for r in ann}
    assert changed["p1:0"] == ("article", True) and changed["p1:3"] == ("teaser", False)
    stats = json.loads((out / "labelstudio" / "pull_stats.json").read_text())
    assert "segments_left_unlabelled" in json.dumps(stats)


def test_a_named_pre_label_outside_the_label_set_is_listed_not_applied(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="paragraphs")
    out = Path(cfg.output)
    write_segments(out, {"p2": PAGES["p2"]})
    pid = push(cfg).project_id
    (task,) = project_tasks(ls, pid)
    data = dict(task.data)
    data["segments"] = [dict(s) for s in data["segments"]]
    data["segments"][1]["pre"] = "spam"  # edited by hand; the checksum covers only the texts
    ls.tasks.update(id=task.id, data=data)
    ls.annotations.create(id=task.id, completed_by=annotators["ann1@example.com"], result=[])
    report = pull(cfg)
    assert report.skipped == {"unknown_label": 1}
    rows = pq.read_table(out / "human_labels").to_pylist()
    assert {r["segment_id"]: r["label"] for r in rows} == {"p2:0": "article"}
