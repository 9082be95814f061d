"""The bundled sample pages: readable via builtin:samples, distinct sites, the promised parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.config import InputConfig
from curation.io.decode import parse_html
from curation.io.readers import builtin_samples, iter_pages
from curation.lang import detect_lang, sample_text
from curation.stats import Stats

EXPECTED = {
    "000_81f65194288bc24e.txt": (None, "bg"),
    "bg_news_article.html": ("plovdiv-dnes.example", "bg"),
    "en_blog_dump.txt": (None, "en"),
    "en_blog_post.html": ("quietkitchen.example", "en"),
    "en_news_article.html": ("northbridge-herald.example", "en"),
}


@pytest.fixture(scope="module")
def samples() -> dict[str, dict[str, object]]:
    stats = Stats()
    pages = list(iter_pages(["builtin:samples"], InputConfig(), stats))
    assert stats.skipped == []
    return {Path(str(p["source"])).name: p for p in pages}


def test_every_sample_is_read_with_its_domain_and_language(
        samples: dict[str, dict[str, object]]) -> None:
    assert set(samples) == set(EXPECTED)
    for name, (domain, lang) in EXPECTED.items():
        page = samples[name]
        assert page["domain"] == domain, name
        assert page["format"] == ("html" if name.endswith(".html") else "text")
        text = str(page["content"])
        if page["format"] == "html":
            body = parse_html(text).body
            assert body is not None
            text = body.text(separator="\n")
        assert detect_lang(sample_text(text.splitlines(), 2000)) == lang, name


def test_bulgarian_sample_is_windows_1251_with_meta_charset(
        samples: dict[str, dict[str, object]]) -> None:
    raw = (builtin_samples() / "bg_news_article.html").read_bytes()
    assert b"charset=windows-1251" in raw
    raw.decode("cp1251")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    content = str(samples["bg_news_article.html"]["content"])
    assert "Преди 3 часа" in content and "Полето Парола не трябва да е празно." in content


@pytest.mark.shared_data
def test_seed_page_is_bundled_unchanged(shared_data: Path) -> None:
    name = "000_81f65194288bc24e.txt"
    assert (builtin_samples() / name).read_bytes() == (shared_data / "pages" / name).read_bytes()


def test_news_sample_has_the_promised_components(samples: dict[str, dict[str, object]]) -> None:
    tree = parse_html(str(samples["en_news_article.html"]["content"]))
    assert len(tree.css("figure figcaption")) == 2
    assert tree.css_first(".ad") is not None and tree.css_first(".sponsored") is not None
    assert len(tree.css(".teaser-card")) >= 3 and len(tree.css(".comment")) == 2
    assert tree.css_first("form.login-form") is not None and tree.css_first("footer")
    text = tree.body.text() if tree.body else ""
    for needle in ("Advertisement", "Follow us on", "2 hours ago", "must not be empty", "©"):
        assert needle in text, needle
