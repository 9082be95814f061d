"""The hypertext screen's document: one <p> per segment, and the mapping between Label Studio's
HyperText regions (xpath + offsets) and segment indices.

We write the HTML, so a line's xpath is known: segment j is the (j+1)-th <p>, its text the
<p>'s only text node. A region the annotator draws names its first and last line by xpath and
character offsets (UTF-16 code units, as the browser counts). A line is labelled when the
region covers at least one character of it: a drag that starts at the very end of a line or
ends at the very start of the next does not pull that line in."""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from curation.labelstudio.labelconfig import label_colour

_LINE_XPATH = re.compile(r"^/p\[(\d+)\](?:/text\(\)\[1\])?$")
_HEADING = re.compile(r"^h[1-6]$")
# a line as line_html writes it: attribute values and text escaped, so no bare < or > inside
_LINE = re.compile(r"<p(?: [^<>]*)?>([^<>]*)</p>")


def dom_length(text: str) -> int:
    """The length of *text* as the browser's DOM counts it (HTML parsing folds CR LF into LF;
    offsets are UTF-16 code units)."""
    dom = text.replace("\r\n", "\n")
    return len(dom.encode("utf-16-le")) // 2


def line_xpath(j: int) -> str:
    """The xpath of the text of line *j* (0-based) inside the HyperText document."""
    return f"/p[{j + 1}]/text()[1]"


def line_html(seg: dict[str, Any], heading: str, unsure: bool, labels: list[str]) -> str:
    """One line: the text, headed (by CSS, outside the selectable text) by *heading*, bordered
    in the pre-label's colour; headings bold, link-heavy lines grey, a line right after an
    image with a dashed rule above it, unsure pre-labels on a yellow ground."""
    attrs = [f'data-line="{escape(heading)}"']
    pre = seg.get("prelabel")
    if pre in labels:
        attrs.append(f'style="border-left-color:{label_colour(pre, labels)}"')
    if unsure:
        attrs.append('data-unsure="1"')
    if (seg.get("link_density") or 0.0) >= 0.5:
        attrs.append('data-links="1"')
    if _HEADING.match((seg.get("tag_path") or "").rsplit(">", 1)[-1]):
        attrs.append('data-heading="1"')
    if seg.get("after_image"):
        attrs.append('data-image="1"')
    return f"<p {' '.join(attrs)}>{escape(seg['text'], quote=False)}</p>"


def html_texts(html: str) -> list[str] | None:
    """The line texts of a document line_html wrote, in order; None when *html* is not one
    (edited by hand, or not ours). The task keeps its texts only here, not again beside it."""
    texts, pos = [], 0
    while pos < len(html):
        m = _LINE.match(html, pos)
        if m is None:
            return None
        texts.append(unescape(m.group(1)))
        pos = m.end()
    return texts


def line_region(j: int, text: str, label: str) -> dict[str, Any]:
    """The value of a hypertextlabels region over the whole of line *j*."""
    return {"start": line_xpath(j), "end": line_xpath(j), "startOffset": 0,
            "endOffset": dom_length(text), "hypertextlabels": [label]}


def line_span(value: dict[str, Any], texts: list[str]) -> range | None:
    """The line indices a HyperText region covers; None when it names no line of the task."""
    start, end = (_LINE_XPATH.match(str(value.get(k, ""))) for k in ("start", "end"))
    if start is None or end is None:
        return None
    lo, hi = int(start.group(1)) - 1, int(end.group(1)) - 1
    if not 0 <= lo <= hi < len(texts):
        return None
    try:
        so, eo = int(value.get("startOffset", 0)), int(value.get("endOffset", 0))
    except (TypeError, ValueError):
        return None
    if lo < hi and so >= dom_length(texts[lo]):
        lo += 1  # starts after the last character of its first line
    if lo < hi and eo <= 0:
        hi -= 1  # ends before the first character of its last line
    if lo == hi and so >= eo:
        return None  # covers no character at all
    return range(lo, hi + 1)
