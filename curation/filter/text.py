"""Length filters on the segment text (characters, not bytes)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from curation.filter.base import Params, Verdict, register_filter


class MinChars(Params):
    n: int = Field(40, ge=0)


class MaxChars(Params):
    n: int = Field(20_000, ge=1)


@register_filter("min_chars.v1", MinChars)
def min_chars(table: pa.Table, p: MinChars) -> Verdict:
    """Drop segments with fewer than n characters. Misses short but real headlines."""
    return pc.greater_equal(pc.utf8_length(table["text"]), p.n), f"<{p.n}"


@register_filter("max_chars.v1", MaxChars)
def max_chars(table: pa.Table, p: MaxChars) -> Verdict:
    """Drop segments with more than n characters (usually a missed block split)."""
    return pc.less_equal(pc.utf8_length(table["text"]), p.n), f">{p.n}"
