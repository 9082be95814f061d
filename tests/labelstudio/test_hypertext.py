"""The default hypertext screen: one HTML document per page, a <p> per segment; regions are
xpath ranges over lines, mapped back to segments by the pull (a line counts when a region
covers at least one character of it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from label_studio_sdk import LabelStudio
from ls_helpers import line_run, project_tasks, write_segments

from curation.config import RunConfig
from curation.labelstudio import label_config, pull, push
from curation.labelstudio.labelconfig import config_labels
from curation.labelstudio.lines import dom_length, line_span
from curation.labelstudio.tasks import Page, build_tasks

TEXTS = ["Home", "Story body", "Buy now", "Related"]


def region(start: str, end: str, so: int, eo: int) -> dict[str, Any]:
    return {"start": start, "end": end, "startOffset": so, "endOffset": eo}


@pytest.mark.parametrize(("value", "lines"), [
    (region("/p[1]/text()[1]", "/p[4]/text()[1]", 0, 7), range(0, 4)),  # a drag over all
    (region("/p[2]/text()[1]", "/p[3]/text()[1]", 3, 2), range(1, 3)),  # part of each end
    (region("/p[1]/text()[1]", "/p[3]/text()[1]", 4, 7), range(1, 3)),  # starts at 1's end
    (region("/p[2]/text()[1]", "/p[4]/text()[1]", 0, 0), range(1, 3)),  # ends at 4's start
    (region("/p[3]", "/p[3]", 0, 7), range(2, 3)),  # the line element, not its text node
    (region("/p[3]/text()[1]", "/p[3]/text()[1]", 2, 2), None),  # covers no character
    (region("/p[5]/text()[1]", "/p[5]/text()[1]", 0, 1), None),  # no such line
    (region("/p[3]/text()[1]", "/p[2]/text()[1]", 0, 1), None),  # backwards
    (region("/div[1]/p[2]/text()[1]", "/p[2]/text()[1]", 0, 1), None),  # not our document
    (region("/p[1]/text()[2]", "/p[1]/text()[2]", 0, 1), None),  # a text node lines lack
])
def test_a_region_labels_the_lines_it_covers_a_character_of(
        value: dict[str, Any], lines: range | None) -> None:
    assert line_span(value, TEXTS) == lines


def test_offsets_count_as_the_browser_does() -> None:
    assert dom_length("ab") == 2
    assert dom_length("a😀b") == 4  # an astral character is two UTF-16 code units
    assert dom_length("a\r\nb") == 3  # HTML parsing folds CR LF into LF


def _seg(i: int, text: str, pre: str, conf: float, **extra: Any) -> dict[str, Any]:
    return {"segment_id": f"p:{i}", "text": text, "prelabel": pre, "confidence": conf,
            "tag_path": extra.get("tag", "body>p"), "link_density": extra.get("links", 0.0),
            "after_image": extra.get("image", False), "votes": []}


def test_the_document_shows_structure_pre_labels_and_doubt() -> None:
    segs = [_seg(0, "Big <news> & more", "article", 0.95, tag="body>h1"),
            _seg(1, "Home", "other", 0.9, links=1.0),
            _seg(2, "Photo: the minister", "caption", 0.4, image=True)]
    (task,) = build_tasks([Page("p", "https://example.com/p", segs)], RunConfig())
    html = task["data"]["html"]
    assert html.count("<p ") == 3 and "Big &lt;news&gt; &amp; more</p>" in html
    assert 'data-line="0 · h1 · article 0.95"' in html and 'data-heading="1"' in html
    assert 'data-line="1 · p · links 100% · other 0.90"' in html and 'data-links="1"' in html
    assert 'data-line="2 · p · after image · unsure 0.40 · caption"' in html
    assert 'data-unsure="1"' in html and 'data-image="1"' in html
    assert "border-left-color:#2e7d32" in html  # the pre-label's colour
    # one region, for the unsure pre-label, over its whole line, with its own score
    (item,) = task["predictions"][0]["result"]
    assert (item["type"], item["score"]) == ("hypertextlabels", 0.4)
    assert item["value"] == {"start": "/p[3]/text()[1]", "end": "/p[3]/text()[1]",
                             "startOffset": 0, "endOffset": 19, "hypertextlabels": ["caption"]}
    assert config_labels(label_config(["article", "ad"], "hypertext")) == (
        "hypertext", ["article", "ad"])
    # prelabel_regions "none": no region at all, every pre-label named in its line
    cfg = RunConfig.model_validate({"labelstudio": {"prelabel_regions": "none"}})
    (bare,) = build_tasks([Page("p", "https://example.com/p", segs)], cfg)
    assert "predictions" not in bare
    assert [s.get("pre") for s in bare["data"]["segments"]] == ["article", "other", "caption"]
    assert 'data-line="2 · p · after image · unsure 0.40 · caption 0.40"' in bare["data"]["html"]


PAGES = {
    "p1": [("Home", "other", 0.9, []), ("Story body", "article", 0.8, []),
           ("Buy now", "ad", 0.55, []), ("Related", "teaser", 0.75, [])],
    "p2": [("Log in", "comment_ui", 0.4, []), ("Read more", "teaser", 0.6, [])],
}


@pytest.mark.labelstudio
def test_hypertext_round_trip(ls: LabelStudio, make_cfg: Any,
                              annotators: dict[str, int]) -> None:
    cfg = make_cfg()  # the default layout
    assert cfg.labelstudio.layout == "hypertext"
    out = Path(cfg.output)
    write_segments(out, PAGES)
    pid = push(cfg).project_id
    tasks = {t.data["page_id"]: t for t in project_tasks(ls, pid)}
    (pred,) = tasks["p1"].predictions
    assert [r["value"]["start"] for r in pred.result] == ["/p[3]/text()[1]"]
    who = annotators["ann1@example.com"]
    texts = [t for t, *_ in PAGES["p1"]]
    # p1: one drag from the end of line 0 into line 2 relabels lines 1..2 (line 0 untouched),
    # line 3 left as its heading names it
    drag = line_run(0, 2, "teaser", texts)
    drag["value"]["startOffset"] = 4
    ls.annotations.create(id=tasks["p1"].id, completed_by=who,
                          result=[drag, line_run(2, 2, "ad", texts, "prediction")])
    # p2: someone edited the document by hand: listed, not applied
    data = dict(tasks["p2"].data)
    data["html"] = data["html"].replace("Log in", "Sign up")
    ls.tasks.update(id=tasks["p2"].id, data=data)
    ls.annotations.create(id=tasks["p2"].id, completed_by=who,
                          result=[line_run(0, 1, "other", ["Log in", "Read more"])])
    report = pull(cfg)
    assert report.skipped == {"task_edited": 1}
    rows = pq.read_table(out / "human_labels").to_pylist()
    assert {r["segment_id"]: r["label"] for r in rows} == {
        "p1:0": "other", "p1:1": "teaser", "p1:2": "teaser", "p1:3": "teaser"}
