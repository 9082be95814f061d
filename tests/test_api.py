"""The Python API on one page: `curation.clean` and `curation.label_page`, with the packaged
defaults (no config file, no model file)."""

from __future__ import annotations

from pathlib import Path

import pytest

import curation
from curation.config import load_config
from curation.defaults import default_model_path
from curation.errors import CurationError
from curation.taxonomy import LABELS

ROOT = Path(__file__).resolve().parents[1]
NEWS = (ROOT / "curation" / "samples" / "en_news_article.html").read_text(encoding="utf-8")
STORY = "Northbridge city council voted 31 to 12 on Wednesday night to build a tidal flood barrier"
RULES_ONLY = load_config(None, prelabel={"model": None})  # a config of one's own: the rules alone


def test_clean_splits_the_story_from_its_meta_lines_and_the_boilerplate() -> None:
    got = curation.clean(NEWS)
    assert STORY in got.body
    assert "City council approves harbour flood barrier" in got.meta
    assert "City council approves" not in got.body
    lines = set(got.body.splitlines()) | set(got.meta.splitlines())
    assert "Home" not in lines and "Northbridge Herald" not in lines  # site name and menu


def test_label_page_html_segments_in_order_with_labels_and_confidence() -> None:
    segments = curation.label_page(NEWS, lang="en")
    assert len(segments) > 20
    assert {s.label for s in segments} <= set(LABELS)
    assert all(0.0 <= s.confidence <= 1.0 for s in segments)
    starts = [s.start or 0 for s in segments]
    assert starts == sorted(starts)  # reading order
    story = next(s for s in segments if s.text.startswith(STORY))
    assert story.label == "article" and story.article_part == "body"
    assert all(s.article_part is None for s in segments if s.label != "article")


TEXT = ("Share on Facebook\n"
        "The council voted on Tuesday to approve the new budget, which sets aside money for "
        "schools, roads and the public library after a long debate that ran late.\n"
        "Advertisement\n")


def test_label_page_plain_text_keeps_offsets_into_the_text() -> None:
    text = TEXT
    segments = curation.label_page(text, config=RULES_ONLY)
    assert [s.text for s in segments] == [line for line in text.splitlines() if line]
    assert all(text[s.start:s.end] == s.text for s in segments)
    labels = {s.text: s.label for s in segments}
    assert labels["Advertisement"] == "ad"
    assert labels[segments[1].text] == "article"


def test_a_config_of_your_own_and_a_bad_model_file(tmp_path: Path) -> None:
    # the packaged calibration, or none (the raw weighted vote share) when the config says so
    calibrated = curation.label_page(TEXT, lang="en", config=RULES_ONLY)
    raw = curation.label_page(TEXT, lang="en", config=load_config(None, prelabel={
        "calibration": None, "model": None}))
    assert [s.label for s in raw] == [s.label for s in calibrated] == ["other", "article", "ad"]
    assert [s.confidence for s in raw] != [s.confidence for s in calibrated]
    bad = tmp_path / "cleaner.model"
    bad.write_text("not a model", encoding="utf-8")
    with pytest.raises(CurationError, match="not a curation model file"):
        curation.label_page("Advertisement\n", model=bad)


def test_the_packaged_model_is_optional() -> None:
    path = default_model_path()
    assert path is None or path.is_file()
