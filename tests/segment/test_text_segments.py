"""Text dumps: properties of the line segmentation (hypothesis) and exact examples."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from curation.segment import segment_page
from curation.segment.text import split_text

# lines of arbitrary unicode, with blank and whitespace-only lines mixed in
_line = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_page = st.lists(_line, max_size=30).map("\n".join)


def _page_dict(text: str) -> dict[str, object]:
    return {"page_id": "p1", "format": "text", "content": text}


@given(_page)
def test_offsets_exact_ordered_nonempty(text: str) -> None:
    segs = segment_page(_page_dict(text))
    prev_end = 0
    for i, s in enumerate(segs):
        assert s["position"] == i
        assert s["segment_id"] == f"p1:{i}"
        assert text[s["start"] : s["end"]] == s["text"]
        assert s["text"].strip() == s["text"] and s["text"]
        assert s["start"] >= prev_end
        prev_end = s["end"]


@given(_page)
def test_deterministic_and_complete(text: str) -> None:
    a = segment_page(_page_dict(text))
    assert a == segment_page(_page_dict(text))
    # every non-blank line is one segment: nothing is lost
    assert [s["text"] for s in a] == [ln.strip() for ln in text.split("\n") if ln.strip()]


def test_examples() -> None:
    assert split_text("") == []
    assert split_text("  \n\t\n") == []
    assert split_text("a\r\nb") == [(0, 1), (3, 4)]
    text = "Headline\n\n  Body text here.  \nx"
    assert [text[s:e] for s, e in split_text(text)] == ["Headline", "Body text here.", "x"]


def test_fifty_thousand_lines() -> None:
    text = "\n".join(f"line {i}" for i in range(50_000))
    segs = segment_page(_page_dict(text))
    assert len(segs) == 50_000
    assert segs[-1]["text"] == "line 49999"
