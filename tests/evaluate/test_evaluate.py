"""evaluate_gold end to end with a stand-in for our own pipeline (lines, labelled by length)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from curation.config import RunConfig
from curation.evaluate import evaluate_gold, format_table
from curation.schema import SEGMENT_SCHEMA

PAGE_A = "Headline of the story\nBody text goes here.\nShare on Facebook\n."
PAGE_B = "Big news today in town\nMenu Home About\nThe mayor said that more is coming"


def line_labeller(calls: list[int]) -> Any:
    """Stand-in for curation.pipeline.label_pages: one segment a line, 4+ words is article."""

    def predict(pages: list[dict[str, Any]]) -> pa.Table:
        calls.append(len(pages))
        rows = []
        for page in pages:
            assert page["format"] == "text" and page["lang"] is None
            for pos, m in enumerate(re.finditer(r"[^\n]+", page["content"])):
                words = len(re.findall(r"\w+", m.group()))
                rows.append({
                    "segment_id": f"{page['page_id']}:{pos}", "page_id": page["page_id"],
                    "position": pos, "start": m.start(), "end": m.end(), "text": m.group(),
                    "prelabel": "article" if words >= 4 else "other",
                })
        return pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA)

    return predict


def _gold(tmp_path: Path) -> Path:
    a = {"page_id": "A", "annotation": "taxonomy", "text": PAGE_A, "segments": [
        {"text": "Headline of the story", "label": "article", "start": 0, "end": 21},
        {"text": "Body text goes here.", "label": "article", "start": 22, "end": 42},
        {"text": "Share on Facebook", "label": "other", "start": 43, "end": 60},
        {"text": ".", "label": "teaser", "start": 61, "end": 62},
    ]}
    b = {"page_id": "B", "annotation": "main_only", "text": PAGE_B, "segments": [
        {"text": "Big news today in town", "label": "article"},
        {"text": "Menu Home About", "label": "other"},
        {"text": "The mayor said that more is coming", "label": "article"},
    ]}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(a) + "\n{not json\n" + json.dumps(b) + "\n", encoding="utf-8")
    return path


def test_evaluate_gold_scores_and_reports(tmp_path: Path) -> None:
    calls: list[int] = []
    per_page = tmp_path / "pages.jsonl"
    res = evaluate_gold(
        _gold(tmp_path), RunConfig(), line_labeller(calls), batch_pages=1,
        per_page=per_page, confusion=True,
    )
    assert calls == [1, 1]
    assert res["pages"] == 2
    lab = res["labels"]
    assert list(lab) == ["article", "teaser", "other"]  # config label order
    # article: perfect on both pages (8 + 12 tokens, 4 segments)
    assert lab["article"]["token_f1"] == 1.0 and lab["article"]["pages"] == 2
    assert lab["article"]["segment_f1"] == 1.0 and lab["article"]["gold_segments"] == 4
    # other: page A only (main_only pages score article alone); "." (gold teaser) got other:
    # segments tp 1, fp 1 -> P .5, R 1, F1 2/3
    assert lab["other"]["pages"] == 1 and lab["other"]["token_f1"] == 1.0
    assert lab["other"]["segment_f1"] == pytest.approx(2 / 3, abs=1e-4)
    # teaser: only the token-less "." -> no token page, one missed segment
    assert lab["teaser"]["pages"] == 0 and lab["teaser"]["segment_f1"] == 0.0
    assert res["leak"] == {"other": 0.0}
    assert [p["reason"] for p in res["problems"]] == ["bad_json"]
    assert res["problems"][0]["source"].endswith(":2")
    assert res["confusion"]["article"] == {"article": 20}
    assert res["confusion"]["(not article)"] == {"other": 3}
    rows = [json.loads(line) for line in per_page.read_text().splitlines()]
    assert [r["page_id"] for r in rows] == ["A", "B"]
    assert rows[0]["errors"] == [{"gold": "teaser", "pred": "other", "tokens": 0, "text": "."}]
    json.dumps(res)  # the CLI prints it as one JSON object
    table = format_table(res)
    assert "article" in table and "gold \\ predicted" in table and "gold problems: 1" in table


def test_page_the_pipeline_drops_counts_as_missed(tmp_path: Path) -> None:
    def nothing(pages: list[dict[str, Any]]) -> pa.Table:
        return SEGMENT_SCHEMA.empty_table()

    res = evaluate_gold(_gold(tmp_path), RunConfig(), nothing)
    assert res["pages_without_prediction"] == 2
    assert res["labels"]["article"]["token_f1"] == 0.0
    assert res["labels"]["article"]["segment_r"] == 0.0


def test_main_text_gold_scores_the_body_taxonomy_gold_the_whole_article(tmp_path: Path) -> None:
    # the same page twice: main-text gold leaves the headline out, the taxonomy counts it in;
    # our prediction calls it article, part "meta": right under both definitions
    body = "The council approved the harbour budget after a long debate on Monday."
    segs = [("Council approves budget", "meta"), (body, "body"), ("Home", None)]
    gold_main = [{"text": "Council approves budget", "label": "other"},
                 {"text": body, "label": "article"}, {"text": "Home", "label": "other"}]
    gold_tax = [dict(g, label="article" if g["text"] != "Home" else "other") for g in gold_main]
    text = "\n".join(t for t, _ in segs)
    pages = [
        {"page_id": f"p-{kind}", "annotation": kind, "text": text, "segments": gold}
        for kind, gold in (("main_only", gold_main), ("taxonomy", gold_tax))
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pages), encoding="utf-8")

    def predict(batch: list[dict[str, Any]]) -> pa.Table:
        rows = []
        for page in batch:
            for i, (t, part) in enumerate(segs):
                lab = "other" if part is None else "article"
                rows.append({"segment_id": f"{page['page_id']}:{i}", "page_id": page["page_id"],
                             "position": i, "text": t, "prelabel": lab, "label": lab,
                             "article_part": part})
        return pa.Table.from_pylist(rows, schema=SEGMENT_SCHEMA)

    for only in ("p-main_only", "p-taxonomy"):
        result = evaluate_gold(path, RunConfig(), predict=predict, page_prefix=only)
        assert result["labels"]["article"]["segment_f1"] == 1.0, only
        assert result["labels"]["article"]["token_f1"] == 1.0, only
