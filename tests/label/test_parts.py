"""article_part from the rules: the h1 headline and byline are the story's apparatus."""

from __future__ import annotations

from curation.config import load_config
from curation.pipeline import label_pages

BODY = " ".join(["The council approved the harbour budget after a long debate."] * 4)


def test_headline_and_byline_are_meta_paragraphs_body_others_none():
    html = (
        "<html><body><nav><a href='/'>Home</a> <a href='/w'>World</a></nav>"
        "<main><article><h1>Council approves the harbour budget</h1>"
        "<p class='byline'>By Jane Doe, March 3, 2024</p>"
        f"<p>{BODY}</p><p>{BODY}</p></article></main>"
        "<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"
    )
    page = {"page_id": "p1", "url": "https://example.com/a", "domain": "example.com",
            "source": "t", "lang": "en", "format": "html", "content": html}
    table = label_pages([page], load_config())
    rows = list(zip(table.column("text").to_pylist(), table.column("label").to_pylist(),
                    table.column("article_part").to_pylist(), strict=True))
    by_text = {t: (lab, part) for t, lab, part in rows}
    assert by_text["Council approves the harbour budget"] == ("article", "meta")
    assert by_text[BODY] == ("article", "body")
    for _, lab, part in rows:
        assert (part is None) == (lab != "article")


def test_a_contact_line_is_meta_and_a_one_word_sentence_is_not():
    from curation.config import rules_only

    html = (
        "<html><body><main><article><h1>Council approves the harbour budget</h1>"
        f"<p>{BODY}</p><p>{BODY}</p><p>Finally.</p><p>{BODY}</p>"
        "<p>jane.doe@example.com</p><p>twitter.com/janedoe</p></article></main></body></html>"
    )
    page = {"page_id": "p1", "url": "https://example.com/a", "domain": "example.com",
            "source": "t", "lang": "en", "format": "html", "content": html}
    table = label_pages([page], rules_only(load_config()))
    by_text = dict(zip(table.column("text").to_pylist(),
                       zip(table.column("label").to_pylist(),
                           table.column("article_part").to_pylist(), strict=True), strict=True))
    assert by_text["jane.doe@example.com"] == by_text["twitter.com/janedoe"] == ("article", "meta")
    assert by_text["Finally."] == ("article", "body")
