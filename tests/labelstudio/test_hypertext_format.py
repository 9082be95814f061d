"""The hypertext task's data: the segment texts live only in its HTML (each line beside it keeps
its key), a hand edit of either is still caught, and tasks made before (lines carrying their
text) still pull."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import line_run, project_tasks, write_segments

from curation.config import RunConfig
from curation.human.store import content_keys
from curation.labelstudio import pull, push
from curation.labelstudio.lines import html_texts
from curation.labelstudio.results import task_segments
from curation.labelstudio.tasks import Page, build_tasks, checksum, where

TEXTS = ["Big <news> & more", "Home", "a\r\nb 😀", "", "Home", "&amp; literal"]


def _page() -> Page:
    segs: list[dict[str, Any]] = [
        {"segment_id": f"p:{i}", "text": t, "prelabel": "other" if i % 2 else "article",
         "confidence": {1: 0.99, 2: 0.4}.get(i, 0.9), "tag_path": "body>p",
         "link_density": 0.0, "after_image": False, "votes": []}
        for i, t in enumerate(TEXTS)]
    return Page("p", "https://example.com/p", segs)


def test_the_texts_are_only_in_the_html() -> None:
    (task,) = build_tasks([_page()], RunConfig())
    data = task["data"]
    # a segment id is the page's and a suffix: the line keeps the suffix
    assert data["segments"] == [{"seg": str(i), **({} if i == 2 else {"pre": pre})}
                                for i, pre in enumerate(["article", "other"] * 3)]
    beside = json.dumps({k: v for k, v in data.items() if k != "html"}, ensure_ascii=False)
    assert not any(t in beside for t in ("Big", "news", "Home", "literal"))
    assert html_texts(data["html"]) == TEXTS  # escaping undone, CR LF and emoji kept
    kind, segs = task_segments(task) or ("", [])
    assert kind == "lines"
    keys = content_keys(TEXTS)
    assert [(s.segment_id, s.text, s.text_hash, s.occurrence) for s in segs] == [
        (f"p:{i}", t, h, occ) for i, (t, (h, occ)) in enumerate(zip(TEXTS, keys, strict=True))]
    assert [s.shown_prelabel for s in segs][:3] == ["article", "other", None]
    # an id made otherwise is kept whole
    page = _page()
    page.segments[5]["segment_id"] = "elsewhere-5"
    (task,) = build_tasks([page], RunConfig())
    assert task["data"]["segments"][5] == {"seg_id": "elsewhere-5", "pre": "other"}
    _, segs = task_segments(task) or ("", [])
    assert [s.segment_id for s in segs][4:] == ["p:4", "elsewhere-5"]


def test_a_task_of_some_lines_says_where_a_repeated_text_stands_on_the_page() -> None:
    (task,) = build_tasks([_page()], RunConfig(), below=0.95)  # line 1, the first Home, left out
    lines = task["data"]["segments"]
    assert [ln["seg"] for ln in lines] == ["0", "2", "3", "4", "5"]
    assert [ln.get("occurrence") for ln in lines] == [None, None, None, 1, None]
    kind, segs = task_segments(task) or ("", [])
    assert kind == "lines"
    assert [(s.text, s.occurrence) for s in segs][3] == ("Home", 1)


def _kind(data: dict[str, Any]) -> str:
    kind, _ = task_segments({"data": data}) or ("foreign", [])
    return kind


def test_a_hand_edit_of_the_html_or_the_lines_is_caught() -> None:
    (task,) = build_tasks([_page()], RunConfig())
    data = task["data"]
    assert _kind(data) == "lines"
    html = data["html"]
    assert _kind({**data, "html": html.replace("Home", "Away", 1)}) == "lines-edited"
    assert _kind({**data, "html": html[:html.rindex("<p ")]}) == "lines-edited"  # a line less
    assert _kind({**data, "html": html.replace("</p>", "<br></p>", 1)}) == "lines-edited"
    for key, value in (("seg", "9"), ("occurrence", 1)):
        lines = [dict(ln) for ln in data["segments"]]
        lines[1][key] = value
        assert _kind({**data, "segments": lines}) == "lines-edited"
    assert _kind({**data, "page_id": "q"}) == "lines-edited"  # the ids are the page's
    broken = [{"pre": "other"}]  # no segment id: not one of our tasks
    assert _kind({**data, "segments": broken}) == "foreign"


def old_format(data: dict[str, Any], texts: list[str]) -> dict[str, Any]:
    """The task data as pushed before the texts lived only in the HTML: each line with its
    text, heading and occurrence, the checksum over (segment_id, text) pairs and the document."""
    lines = [{"seg_id": f"{data['page_id']}:{ln['seg']}", "text": t,
              "where": where(i, {"confidence": 0.9}), "occurrence": 0,
              **({"pre": ln["pre"]} if "pre" in ln else {})}
             for i, (ln, t) in enumerate(zip(data["segments"], texts, strict=True))]
    pairs = [(ln["seg_id"], ln["text"]) for ln in lines]
    return {**data, "segments": lines, "checksum": checksum([*pairs, ("html", data["html"])])}


PAGES: dict[str, list[Any]] = {
    "p1": [("Home", "other", 0.9, []), ("Story body", "article", 0.8, []),
           ("Buy now", "ad", 0.55, [])],
    "p2": [("Log in", "comment_ui", 0.4, []), ("Read more", "teaser", 0.6, [])],
}


@pytest.mark.labelstudio
def test_a_task_made_the_old_way_still_pulls(ls: LabelStudio, make_cfg: Any,
                                             annotators: dict[str, int]) -> None:
    cfg = make_cfg()  # hypertext
    out = Path(cfg.output)
    write_segments(out, PAGES)
    pid = push(cfg).project_id
    tasks = {t.data["page_id"]: t for t in project_tasks(ls, pid)}
    p1_texts = [t for t, *_ in PAGES["p1"]]
    ls.tasks.update(id=tasks["p1"].id, data=old_format(dict(tasks["p1"].data), p1_texts))
    assert "text" in ls.tasks.get(id=tasks["p1"].id).data["segments"][0]
    who = annotators["ann1@example.com"]
    ls.annotations.create(id=tasks["p1"].id, completed_by=who,
                          result=[line_run(1, 2, "teaser", p1_texts)])
    p2_texts = html_texts(tasks["p2"].data["html"])
    assert p2_texts == [t for t, *_ in PAGES["p2"]]
    ls.annotations.create(id=tasks["p2"].id, completed_by=who,
                          result=[line_run(0, 1, "other", p2_texts)])
    report = pull(cfg)
    assert report.skipped == {}
    rows = pq.read_table(out / "human_labels").to_pylist()
    assert {r["segment_id"]: (r["label"], r["text"]) for r in rows} == {
        "p1:0": ("other", "Home"), "p1:1": ("teaser", "Story body"),
        "p1:2": ("teaser", "Buy now"), "p2:0": ("other", "Log in"),
        "p2:1": ("other", "Read more")}
