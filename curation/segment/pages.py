"""Pages into segments, each page's language identified once: the first half of labelling,
shared by the pipeline's step (`curation.process`) and rule analysis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from curation.config import RunConfig
from curation.lang import detect_lang, sample_text
from curation.segment.core import SegmentColumns


def page_dicts(batch: pa.RecordBatch | pa.Table) -> list[dict[str, Any]]:
    """The pages of *batch* as dicts for segment_with_language, an HTML page's content as the
    UTF-8 bytes Arrow holds: lexbor parses them as they are, so no str is made of them only to
    be encoded again (text pages, split in Python, get theirs as str)."""
    rows: list[dict[str, Any]]
    if "content" not in batch.schema.names or batch.schema.field("content").type != pa.string():
        rows = batch.to_pylist()
        return rows
    rows = batch.select([n for n in batch.schema.names if n != "content"]).to_pylist()
    contents = batch.column("content").cast(pa.binary()).to_pylist()
    for row, content in zip(rows, contents, strict=True):
        if content is not None and row.get("format") != "html":
            content = content.decode("utf-8")
        row["content"] = content
    return rows


def page_language(page: Mapping[str, Any], texts: list[str], cfg: RunConfig) -> str:
    """The page's language: the one the input gives, else detected once on a bounded sample."""
    given = page.get("lang")
    if given and given != "unknown":
        return str(given)
    lang = cfg.language
    return detect_lang(sample_text(texts, lang.sample_chars), lang.detector, lang.seed,
                       lang.langdetect_trials)


def segment_with_language(pages: Iterable[Mapping[str, Any]], cfg: RunConfig,
                          counts: Counter[str] | None = None
                          ) -> tuple[list[dict[str, Any]], pa.Table]:
    """Segment pages and set each page's language (on the page and on its segments). *counts*
    gets what segmentation repaired: segments cut to max_segment_chars (`truncated`) and tags
    dropped for nesting over a thousand deep (`flattened_tags`)."""
    out_pages: list[dict[str, Any]] = []
    cols = SegmentColumns(cfg.segment.max_segment_chars)
    for page in pages:
        texts = cols.add(page)
        lang = page_language(page, texts, cfg)
        cols.set_last_lang(lang)
        out_pages.append({**page, "lang": lang})
    if counts is not None:
        counts["truncated"] += cols.truncated
        counts["flattened_tags"] += cols.flattened
    return out_pages, cols.table()
