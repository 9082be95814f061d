"""Language filter: page language, or per-segment language for segments long enough."""

from __future__ import annotations

from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.config import Detector, RunConfig
from curation.filter.base import Params, Verdict, register_filter


class LangParams(Params):
    keep: list[str] = Field(min_length=1)
    per_segment: bool = False
    # per-segment detection, as the run detects page languages unless set here
    detector: Detector
    min_segment_chars: int
    seed: int

    FROM_CONFIG: ClassVar[dict[str, str]] = {
        "detector": "language.detector", "min_segment_chars": "language.min_segment_chars",
        "seed": "language.seed"}

    @classmethod
    def with_config(cls, params: dict[str, Any], cfg: RunConfig) -> dict[str, Any]:
        lc = cfg.language
        return {"detector": lc.detector, "min_segment_chars": lc.min_segment_chars,
                "seed": lc.seed, **params}


def segment_langs(table: pa.Table, p: LangParams) -> pa.Array:
    """Per-row language: detected for segments >= p.min_segment_chars, else the page's."""
    page = table["lang"].combine_chunks()
    if p.detector == "none" or table.num_rows == 0:
        return page
    long = pc.fill_null(pc.greater_equal(pc.utf8_length(table["text"]), p.min_segment_chars),
                        False).combine_chunks()
    n_long = pc.sum(long).as_py() or 0
    if n_long == 0:
        return page
    from curation.lang import detect_segment_langs  # the detectors load lazily and are slow

    texts = pc.filter(table["text"], long).to_pylist()
    found = pa.array(detect_segment_langs(texts, p.min_segment_chars, p.detector, p.seed),
                     pa.string())
    # a segment the detector cannot place keeps its page's language
    found = pc.if_else(pc.equal(found, "unknown"), pc.filter(page, long), found)
    return pc.replace_with_mask(page, long, found)


@register_filter("lang.v1", LangParams)
def lang_filter(table: pa.Table, p: LangParams) -> Verdict:
    """Keep segments in the listed languages (exact codes as the detector writes them)."""
    langs = segment_langs(table, p) if p.per_segment else table["lang"]
    keep = pc.is_in(langs, value_set=pa.array(p.keep, pa.string()))
    return keep, pc.binary_join_element_wise(":", pc.fill_null(langs, "none"), "")
