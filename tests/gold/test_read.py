"""Gold reader: valid pages come through typed; bad lines, pages and segments are named."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from curation.errors import InputError
from curation.gold import GoldPage, iter_gold
from curation.stats import Stats
from curation.taxonomy import LABELS

TEXT = "Headline of the story\nBody text goes here.\nShare on Facebook\n."


def _page(page_id: str, segments: list[dict], **extra: object) -> str:
    row = {"page_id": page_id, "annotation": "taxonomy", "text": TEXT, "segments": segments}
    row.update(extra)
    return json.dumps(row, ensure_ascii=False)


GOOD = [
    {"text": "Headline of the story", "label": "article", "start": 0, "end": 21},
    {"text": "Body text goes here.", "label": "article", "start": 22, "end": 42},
    {"text": "Share on Facebook", "label": "other", "start": 43, "end": 60},
    {"text": ".", "label": "teaser", "start": 61, "end": 62},
]


def _write(tmp_path: Path, lines: list[str], gz: bool = False) -> Path:
    data = "\n".join(lines) + "\n"
    if gz:
        path = tmp_path / "gold.jsonl.gz"
        path.write_bytes(gzip.compress(data.encode()))
    else:
        path = tmp_path / "gold.jsonl"
        path.write_text(data, encoding="utf-8")
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_valid_page_plain_and_gzip(tmp_path: Path, gz: bool) -> None:
    path = _write(tmp_path, [_page("p1", GOOD, url="https://ex.com/a", lang="en")], gz)
    stats = Stats()
    pages = list(iter_gold(path, list(LABELS), stats))
    assert len(pages) == 1 and stats.skipped == []
    p = pages[0]
    assert isinstance(p, GoldPage)
    assert (p.page_id, p.format, p.annotation, p.url, p.excluded) == (
        "p1", "text", "taxonomy", "https://ex.com/a", frozenset()
    )
    assert [s.label for s in p.segments] == ["article", "article", "other", "teaser"]
    assert p.segments[1].start == 22
    assert p.source.endswith("gold.jsonl" + (".gz" if gz else "") + ":1")


def test_bad_input_is_named_and_the_rest_is_read(tmp_path: Path) -> None:
    lines = [
        _page("ok1", GOOD),
        '{"page_id": "broken", "segments": [',  # line 2: bad JSON
        _page("unknown", [*GOOD[:2], {"text": "Share on Facebook", "label": "spam"}]),
        _page("empty", []),
        _page("nosegs", GOOD[:0]).replace(', "segments": []', ""),
        _page("stray", [*GOOD[:2], {"text": "Text from another page", "label": "ad"}]),
        json.dumps({"page_id": "nocontent", "segments": GOOD}),
        _page("badann", GOOD, annotation="boxes"),
        _page("ok1", GOOD),  # duplicate id
        "",
        "[1, 2]",
        _page("ok2", GOOD, html="<p>Headline of the story</p><p>Body text goes here.</p>"
              "<a>Share on</a><a>Facebook</a> <span>.</span>"),
    ]
    stats = Stats()
    pages = {p.page_id: p for p in iter_gold(_write(tmp_path, lines), list(LABELS), stats)}
    assert sorted(pages) == ["ok1", "ok2", "stray", "unknown"]
    assert pages["unknown"].excluded == frozenset({2})
    assert pages["stray"].excluded == frozenset({2})
    assert pages["ok2"].format == "html" and pages["ok2"].excluded == frozenset()
    by_reason = {(s["reason"], s["source"].rsplit(":", 1)[1]): s["detail"] for s in stats.skipped}
    assert set(by_reason) == {
        ("bad_json", "2"), ("unknown_label", "3"), ("no_segments", "4"), ("no_segments", "5"),
        ("segment_not_in_page", "6"), ("no_content", "7"), ("unknown_annotation", "8"),
        ("duplicate_page_id", "9"), ("bad_json", "11"),
    }
    assert "line 2" in by_reason[("bad_json", "2")]
    assert "page unknown" in by_reason[("unknown_label", "3")] and "'spam'" in by_reason[
        ("unknown_label", "3")]
    assert "page empty" in by_reason[("no_segments", "4")]
    assert "page stray" in by_reason[("segment_not_in_page", "6")]
    assert "Text from another page" in by_reason[("segment_not_in_page", "6")]
    assert stats.get("evaluate", "pages") == 4


def test_page_with_only_unusable_segments_is_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path, [_page("bad", [{"text": "Headline", "label": "nope"}, "x"])])
    stats = Stats()
    assert list(iter_gold(path, list(LABELS), stats)) == []
    assert [s["reason"] for s in stats.skipped] == ["bad_segment", "unknown_label",
                                                    "no_valid_segments"]


def test_missing_file_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        list(iter_gold(tmp_path / "nope.jsonl", list(LABELS), Stats()))
