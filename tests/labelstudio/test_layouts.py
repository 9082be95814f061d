"""The segment layout, the offline export file, and pulling from a JSON export file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import PAGES, choice, project_tasks, write_segments

from curation.labelstudio import LabelStudioError, export_tasks, label_config, pull, push
from curation.labelstudio.labelconfig import config_labels, validate_config

pytestmark = pytest.mark.labelstudio


def test_label_configs_are_validated() -> None:
    labels = ["article", "ad"]
    for layout in ("paragraphs", "page", "segment"):
        xml = label_config(labels, layout)
        assert config_labels(xml) == (layout, labels)
        with pytest.raises(LabelStudioError, match="expected layout"):
            validate_config(xml, ["article", "teaser"], layout)
    with pytest.raises(LabelStudioError, match="cannot be Label Studio choices"):
        label_config(["ok", 'bad"label'], "page")
    with pytest.raises(LabelStudioError, match="not valid XML"):
        config_labels("<View>")


def test_segment_layout_roundtrip(ls: LabelStudio, make_cfg: Any,
                                  annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="segment", context=1)
    out = Path(cfg.output)
    write_segments(out)
    r = push(cfg)
    assert (r.tasks_imported, r.predictions_imported) == (9, 9)
    assert push(cfg).tasks_imported == 0
    tasks = {t.data["segment_id"]: t for t in project_tasks(ls, r.project_id)}
    assert tasks["p1:1"].data["prev_text"] == PAGES["p1"][0][0]
    assert tasks["p1:1"].data["next_text"] == PAGES["p1"][2][0]
    assert tasks["p1:1"].predictions[0].result[0]["value"]["choices"] == ["article"]
    ann1 = annotators["ann1@example.com"]
    for sid, t in tasks.items():
        pid, pos = sid.split(":")
        ls.annotations.create(id=t.id, completed_by=ann1,
                              result=[choice(None, PAGES[pid][int(pos)][1])])
    report = pull(cfg)
    assert report.segments_labelled == 9 and report.skipped == {}
    human = pq.read_table(out / "human_labels").to_pylist()
    assert {h["segment_id"]: h["label"] for h in human} == {
        f"{p}:{i}": s[1] for p, segs in PAGES.items() for i, s in enumerate(segs)}
    assert {(h["annotators"], h["agreement"]) for h in human} == {(1, 1.0)}
    # one annotator: nothing to agree on, so the coefficients are undefined (null), not 1
    assert report.agreement["kappa"] is None and report.agreement["krippendorff_alpha"] is None


def test_export_file_imported_by_hand_then_pull_from_file(
        ls: LabelStudio, make_cfg: Any, annotators: dict[str, int], tmp_path: Path) -> None:
    cfg = make_cfg(layout="page")
    write_segments(Path(cfg.output))
    info = export_tasks(cfg, tmp_path / "tasks.json", select="uncertain", limit=2)
    assert (info["tasks"], info["segments"]) == (2, 6)
    tasks = json.loads((tmp_path / "tasks.json").read_text())
    assert [t["data"]["page_id"] for t in tasks] == ["p1", "p3"]
    xml = Path(info["label_config"]).read_text()
    # What a user does in the UI: new project with that config, import the file.
    p = ls.projects.create(title=cfg.labelstudio.project_title, label_config=xml,
                           model_version=cfg.labelstudio.model_version)
    assert ls.projects.import_tasks(id=p.id, request=tasks).task_count == 2
    for t in project_tasks(ls, p.id):
        segs = PAGES[t.data["page_id"]]
        ls.annotations.create(id=t.id, completed_by=annotators["ann2@example.com"],
                              result=[choice(i, "other") for i in range(len(segs))])
    export = tmp_path / "export.json"
    export.write_text(json.dumps(ls.projects.exports.as_json(p.id)))
    report = pull(cfg, from_file=export)
    assert report.tasks == 2 and report.segments_labelled == 6 and report.skipped == {}
    rows = pq.read_table(Path(cfg.output) / "labelstudio" / "annotations.parquet").to_pylist()
    # the sync export lists predictions by id only: the pre-label comes from the run's segments
    assert sorted((r["segment_id"], r["prelabel"], r["changed"]) for r in rows)[:2] == [
        ("p1:0", "article", True), ("p1:1", "article", True)]
    assert {r["annotator"] for r in rows} == {str(annotators["ann2@example.com"])}
