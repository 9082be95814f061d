"""Evaluate the pre-labels against a gold file: per-label token and segment scores, leak rates."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.config import RunConfig
from curation.evaluate.metrics import (
    MISSING,
    UNALIGNED,
    PageScore,
    Span,
    aggregate,
    score_page,
)
from curation.gold import STAGE, GoldPage, iter_gold, page_record
from curation.stats import Stats
from curation.taxonomy import ARTICLE, META

Predict = Callable[[list[dict[str, Any]]], pa.Table]

__all__ = ["evaluate_gold", "format_confusion", "format_table", "page_record", "Predict"]


def _predicted_spans(table: pa.Table) -> dict[str, list[Span]]:
    """Group a SEGMENT_SCHEMA table by page, in position order, as labelled spans."""
    cols = table.column_names
    n = table.num_rows
    pid = table.column("page_id").to_pylist()
    pos = table.column("position").to_pylist() if "position" in cols else list(range(n))
    text = table.column("text").to_pylist()
    label = table.column("prelabel").to_pylist()
    start = table.column("start").to_pylist() if "start" in cols else [None] * n
    end = table.column("end").to_pylist() if "end" in cols else [None] * n
    part = table.column("article_part").to_pylist() if "article_part" in cols else [None] * n
    rows: dict[str, list[tuple[int, Span]]] = {}
    for i in range(n):
        span = Span(text=text[i] or "", label=label[i] or MISSING, start=start[i], end=end[i],
                    meta=part[i] == META)
        rows.setdefault(pid[i], []).append((pos[i], span))
    return {k: [s for _, s in sorted(v, key=lambda t: t[0])] for k, v in rows.items()}


def body_only(spans: list[Span]) -> list[Span]:
    """Spans as main-text gold defines article (the story's body): the article segments that
    are its apparatus (headline, byline, dateline: `article_part` "meta") count as other."""
    return [Span(s.text, "other", s.start, s.end) if s.meta and s.label == ARTICLE else s
            for s in spans]


def _batches(pages: Iterator[GoldPage], size: int) -> Iterator[list[GoldPage]]:
    batch: list[GoldPage] = []
    for page in pages:
        batch.append(page)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_pages(
    path: Path, cfg: RunConfig, predict: Predict, stats: Stats, batch_pages: int = 64,
    page_prefix: str | None = None,
) -> Iterator[tuple[GoldPage, PageScore]]:
    """Stream gold pages (those whose page_id starts with *page_prefix*, if given) through
    *predict* in batches and score each page."""
    pages = iter_gold(path, cfg.labels, stats)
    if page_prefix:
        pages = (p for p in pages if p.page_id.startswith(page_prefix))
    for batch in _batches(pages, batch_pages):
        by_page = _predicted_spans(predict([page_record(p) for p in batch]))
        for page in batch:
            pred = by_page.get(page.page_id, [])
            if not pred:
                stats.add(STAGE, "pages_without_prediction")
            gold = [Span(s.text, s.label, s.start, s.end) for s in page.segments]
            if page.annotation == "main_only":
                pred = body_only(pred)
            yield page, score_page(page.page_id, page.annotation, gold, pred, page.excluded)


def evaluate_gold(
    path: Path,
    cfg: RunConfig,
    predict: Predict,
    *,
    batch_pages: int = 64,
    per_page: Path | None = None,
    confusion: bool = False,
    stats: Stats | None = None,
    page_prefix: str | None = None,
) -> dict[str, Any]:
    """Score *predict* (pages -> labelled segments, e.g. `process.rules_labeller(cfg)`, or a
    trained cleaner's predictions) on a gold file; returns the JSON-ready result.

    Keys: pages, labels, leak, problems (bad gold lines/pages/segments), and `confusion`
    (gold label -> predicted label -> tokens) when asked. *per_page* gets one JSON line a page.
    *page_prefix* scores only the pages whose page_id starts with it (e.g. "scrapinghub:").
    """
    stats = stats if stats is not None else Stats()
    scores: list[PageScore] = []
    per_page_lines: list[str] = []
    for page, score in score_pages(
        Path(path), cfg, predict, stats, batch_pages, page_prefix
    ):
        scores.append(score)
        if per_page is not None:
            per_page_lines.append(json.dumps(_page_json(page, score), ensure_ascii=False))
    totals = aggregate(scores, cfg.labels)
    result: dict[str, Any] = {
        "pages": totals["pages"],
        "labels": totals["labels"],
        "leak": totals["leak"],
        "problems": [s for s in stats.skipped if s["stage"] == STAGE],
    }
    missing_pred = stats.get(STAGE, "pages_without_prediction")
    if missing_pred:
        result["pages_without_prediction"] = missing_pred
    if confusion:
        result["confusion"] = confusion_dict(totals["confusion"])  # type: ignore[arg-type]
    if per_page is not None:
        from curation.io.atomic import atomic_write_text

        atomic_write_text(Path(per_page), "".join(line + "\n" for line in per_page_lines))
    return result


def _page_json(page: GoldPage, score: PageScore) -> dict[str, Any]:
    return {
        "page_id": page.page_id, "annotation": page.annotation, "url": page.url,
        "token": {k: [round(x, 4) for x in v] for k, v in score.token.items()},
        "bags": {k: list(v) for k, v in score.bags.items()},  # predicted, gold, common tokens
        "segments": score.seg,  # tp, fp, fn
        "confusion": confusion_dict(score.confusion),
        "errors": score.errors,
    }


def confusion_dict(c: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """(gold, pred) -> tokens as nested dicts, largest rows first."""
    out: dict[str, dict[str, int]] = {}
    for (g, p), n in sorted(c.items(), key=lambda kv: (kv[0][0], -kv[1])):
        out.setdefault(g, {})[p] = n
    return out


def format_table(result: dict[str, Any]) -> str:
    """The result as a fixed-width table for the terminal."""
    lines = [f"pages: {result['pages']}"]
    head = f"{'label':<12}{'tok P':>8}{'tok R':>8}{'tok F1':>8}{'seg F1':>8}{'pages':>7}{'segs':>7}"
    lines.append(head)
    lines.append("-" * len(head))
    for lab, v in result["labels"].items():
        lines.append(
            f"{lab:<12}{v['token_p']:>8.3f}{v['token_r']:>8.3f}{v['token_f1']:>8.3f}"
            f"{v['segment_f1']:>8.3f}{v.get('pages', 0):>7}{v.get('gold_segments', 0):>7}"
        )
    if result["labels"]:
        mean = sum(v["token_f1"] for v in result["labels"].values()) / len(result["labels"])
        lines.append(f"{'mean':<12}{'':>24}{mean:>8.3f}")
    if result["leak"]:
        lines.append("leak into article: " + ", ".join(
            f"{k} {v:.3f}" for k, v in result["leak"].items()))
    if result.get("pages_without_prediction"):
        lines.append(f"pages with no predicted segment: {result['pages_without_prediction']}")
    if result.get("problems"):
        lines.append(f"gold problems: {len(result['problems'])} (listed on stderr)")
    if "confusion" in result:
        lines.append("")
        lines.append(format_confusion(result["confusion"]))
    return "\n".join(lines)


def format_confusion(conf: dict[str, dict[str, int]]) -> str:
    """Gold label (rows) x predicted label (columns), in tokens."""
    cols = sorted({p for row in conf.values() for p in row}, key=lambda k: (k.startswith("("), k))
    rows = sorted(conf, key=lambda k: (k == UNALIGNED, k.startswith("("), k))
    w = max([len(c) for c in cols] + [8]) + 1
    out = ["gold \\ predicted (tokens)", f"{'':<14}" + "".join(f"{c:>{w}}" for c in cols)]
    for g in rows:
        out.append(f"{g:<14}" + "".join(f"{conf[g].get(c, 0):>{w}}" for c in cols))
    return "\n".join(out)
