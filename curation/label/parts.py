"""Which part of the story an article segment is: its running text ("body") or the apparatus
around it ("meta": headline, standfirst, byline, dateline, credit lines).

The taxonomy labels all of these `article`; extraction benchmarks (the Scrapinghub gold's
articleBody, trafilatura's main text) keep only the body. Recording the part lets one label set
serve both: `curation clean` ships the body, and main-text gold is scored against it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.label.features import Codes, Column, Frame, Mask
from curation.taxonomy import BODY, META

# rules whose article vote marks the story's apparatus, not its text (names without version)
META_RULES = ("article.byline", "article.header_block")
HEADLINE_RULE = "article.headline"  # meta when it fired on an h1 (h2/h3 in the story: subheads)


# a line that is only a URL, an e-mail address or a @handle
_CONTACT_LINE = (r"(?i)^\s*(https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+|@\w+"
                 r"|(twitter|x|facebook|instagram|linkedin)\.com/\S+)\s*$")


def _base(name: str) -> str:
    return name.rsplit(".v", 1)[0]


def contact_lines(text: pa.Array | pa.ChunkedArray) -> Mask:
    """Segments that are only a URL, an e-mail address or a @handle ("paul.takahashi@chron.com",
    "twitter.com/paultakahashi", the story's own address): the author's contact or a source,
    apparatus, never the story's running text. (One anchored RE2 pass: a longer text fails at
    its first space.)"""
    return np.asarray(pc.fill_null(pc.match_substring_regex(text, _CONTACT_LINE), False),
                      dtype=np.bool_)


def rule_parts(frame: Frame, votes: Codes, rule_names: list[str], is_article: Mask) -> Column:
    """Per segment "body", "meta" or None (not article), from the rules' votes (-1: abstain)."""
    meta = np.zeros(len(is_article), dtype=np.bool_)
    for j, name in enumerate(rule_names):
        base = _base(name)
        if base in META_RULES:
            meta |= votes[:, j] >= 0
        elif base == HEADLINE_RULE:
            meta |= (votes[:, j] >= 0) & frame.match("tag_path", r"(^|>)h1$")
    meta |= contact_lines(frame.text)
    out = np.full(len(is_article), None, dtype=object)
    out[is_article] = BODY
    out[is_article & meta] = META
    return out
