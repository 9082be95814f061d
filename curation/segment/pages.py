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
