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
