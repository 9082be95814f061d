"""Bad input and faults against a real server: each a clear error or a counted skip."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fault_proxy import FaultProxy
from label_studio_sdk import LabelStudio
from ls_helpers import PAGES, choice, project_tasks, write_segments

from curation.config import LabelStudioConfig
from curation.labelstudio import LabelStudioError, connect, pull, push

pytestmark = pytest.mark.labelstudio


def test_bad_results_are_skipped_and_counted(ls: LabelStudio, make_cfg: Any,
                                             annotators: dict[str, int]) -> None:
    cfg = make_cfg(layout="page")
    out = Path(cfg.output)
    write_segments(out)
    pid = push(cfg).project_id
    ann1 = annotators["ann1@example.com"]
    tasks = {t.data["page_id"]: t for t in project_tasks(ls, pid)}
    # p1: one good result, an unknown label, a control for a segment the task does not have.
    ls.annotations.create(id=tasks["p1"].id, completed_by=ann1, result=[
        choice(0, "article"), choice(1, "spam"), choice(99, "ad"),
        {"from_name": "label_2", "to_name": "seg_2", "type": "choices",
         "value": {"choices": ["ad", "teaser"]}}])
    # p2: the task data is edited after import: its results no longer map safely.
    data = dict(tasks["p2"].data)
    data["segments"] = [dict(s) for s in data["segments"]]
    data["segments"][0]["text"] = "edited by someone"
    ls.tasks.update(id=str(tasks["p2"].id), data=data)
    ls.annotations.create(id=tasks["p2"].id, completed_by=ann1,
                          result=[choice(i, s[1]) for i, s in enumerate(PAGES["p2"])])
    # p3: a skipped (cancelled) annotation, and one for a segment no longer in the run.
    ls.annotations.create(id=tasks["p3"].id, completed_by=annotators["ann2@example.com"],
                          result=[], was_cancelled=True)
    ls.annotations.create(id=tasks["p3"].id, completed_by=ann1,
                          result=[choice(0, "other"), choice(1, "teaser")])
    pages = {k: v for k, v in PAGES.items()}
    pages["p3"] = PAGES["p3"][:1]
    shutil.rmtree(out / "segments")
    write_segments(out, pages)

    report = pull(cfg)
    # the label of p3:1 is kept in the store, but its text is no longer in the run: listed
    assert report.skipped == {"unknown_label": 1, "unknown_segment": 1, "not_one_label": 1,
                              "task_edited": 1, "cancelled": 1,
                              "label_text_changed_or_gone": 1}
    human = {r["segment_id"]: r["label"] for r in pq.read_table(out / "human_labels").to_pylist()}
    assert human == {"p1:0": "article", "p3:0": "other", "p3:1": "teaser"}
    assert (report.applied, report.unmatched) == (2, 1)
    stats = (out / "labelstudio" / "pull_stats.json").read_text()
    assert "'spam' not in" in stats and "checksum differs" in stats
    review = [json.loads(x) for x in
              (out / "labelstudio" / "review.jsonl").read_text().splitlines()]
    assert sorted(r["reason"] for r in review) == [
        "cancelled", "not_one_label", "task_edited", "text_changed_or_gone", "unknown_label",
        "unknown_segment"]


def test_project_with_another_config_is_refused(ls: LabelStudio, make_cfg: Any) -> None:
    cfg = make_cfg()
    write_segments(Path(cfg.output))
    ls.projects.create(title=cfg.labelstudio.project_title,
                       label_config='<View><Text name="t" value="$text"/>'
                                    '<Choices name="c" toName="t"><Choice value="a"/></Choices>'
                                    '</View>')
    with pytest.raises(LabelStudioError, match="another labelling config"):
        push(cfg)


def test_wrong_token_and_server_down_are_clear_errors(
        ls_server: tuple[str, str], make_cfg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_cfg()
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "not-the-token")
    with pytest.raises(LabelStudioError, match="rejected the API token"):
        connect(cfg)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", ls_server[1])
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = cfg.model_copy(update={"labelstudio": LabelStudioConfig(url=f"http://127.0.0.1:{port}")})
    with pytest.raises(LabelStudioError, match="cannot reach the server"):
        connect(down)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(LabelStudioError, match="LABEL_STUDIO_API_KEY is not set"):
        connect(cfg)


@pytest.mark.parametrize("mode", ["drop_request", "drop_response"])
def test_server_down_mid_push_resumes_without_duplicates(
        ls: LabelStudio, ls_server: tuple[str, str], make_cfg: Any, mode: str) -> None:
    cfg = make_cfg(batch_size=1)
    write_segments(Path(cfg.output))
    upstream = int(ls_server[0].rsplit(":", 1)[1])
    with FaultProxy(upstream, fail_on_import=2, mode=mode) as proxy:
        via = cfg.model_copy(update={"labelstudio": cfg.labelstudio.model_copy(
            update={"url": proxy.url})})
        with pytest.raises(LabelStudioError, match="run the same push again to resume"):
            push(via)
    pid = ls.projects.list(title=cfg.labelstudio.project_title).items[0].id
    # drop_request: batch 2 never reached the server; drop_response: it did, the reply was lost
    assert len(project_tasks(ls, pid)) == (1 if mode == "drop_request" else 2)
    # the server again, directly: only what is missing
    assert push(cfg).tasks_imported == (2 if mode == "drop_request" else 1)
    pages = sorted(t.data["page_id"] for t in project_tasks(ls, pid))
    assert pages == ["p1", "p2", "p3"]
    assert push(cfg).tasks_imported == 0


def test_select_uncertain_pushes_least_sure_pages_first(ls: LabelStudio, make_cfg: Any) -> None:
    cfg = make_cfg()
    write_segments(Path(cfg.output))
    # expected corrections, sum of (1 - confidence): p1 1.05 > p3 1.0 > p2 0.3
    r1 = push(cfg, select="uncertain", limit=1)
    assert [t.data["page_id"] for t in project_tasks(ls, r1.project_id)] == ["p1"]
    r2 = push(cfg, select="uncertain", limit=1)
    assert r2.tasks_imported == 1 and r2.tasks_already_there == 1
    assert sorted(t.data["page_id"] for t in project_tasks(ls, r1.project_id)) == ["p1", "p3"]
    assert push(cfg, select="uncertain").tasks_imported == 1
