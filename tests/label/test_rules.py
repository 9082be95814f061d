"""Rules: a table of (snippet, expected label) per family, votes stored, combination."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curation.config import load_config, rules_only
from curation.label import prelabel_table, rule_set
from curation.label.combine import weighted_vote
from curation.label.rules import ABSTAIN, RULES
from curation.pipeline import label_pages
from curation.taxonomy import LABELS

CFG = rules_only(load_config("configs/default.yaml"))  # the rules' own labels
PARA = (
    "The council voted on Tuesday to approve the new budget, which includes funding for "
    "schools, roads and the public library, after a debate that lasted most of the day."
)


def _label_text(lines: list[str], lang: str = "en") -> list[str]:
    page = {"page_id": "t", "format": "text", "content": "\n".join(lines), "lang": lang}
    return label_pages([page], CFG).column("prelabel").to_pylist()


def _label_html(body: str, lang: str = "en") -> dict[str, str]:
    page = {
        "page_id": "h",
        "format": "html",
        "content": f"<html><body>{body}</body></html>",
        "lang": lang,
    }
    t = label_pages([page], CFG)
    return dict(zip(t.column("text").to_pylist(), t.column("prelabel").to_pylist(), strict=True))


ARTICLE = f"<div class='story'><h1>Budget approved</h1><p>{PARA}</p><p>{PARA}</p></div>"


@pytest.mark.parametrize(
    ("snippet", "text", "label"),
    [
        (
            "<figure><img src=x><figcaption>The mayor at the vote. Photo: J. Smith</figcaption>"
            "</figure>",
            "The mayor at the vote. Photo: J. Smith",
            "caption",
        ),
        ("<div class='ad-slot'>Advertisement</div>", "Advertisement", "ad"),
        (
            "<div class='newsletter'>Sign up for our newsletter to get the news first</div>",
            "Sign up for our newsletter to get the news first",
            "ad",
        ),
        (
            "<ul class='related-posts'><li><a href=/a>Mayor opens the new bridge over the river"
            "</a></li></ul>",
            "Mayor opens the new bridge over the river",
            "teaser",
        ),
        (
            "<div id='comments'><form><label>Name *</label><button>Post comment</button></form>"
            "</div>",
            "Post comment",
            "comment_ui",
        ),
        (
            "<nav><ul><li><a href=/>Home</a></li><li><a href=/n>News</a></li></ul></nav>",
            "News",
            "other",
        ),
        (
            "<footer><p>© 2024 Example Media. All rights reserved.</p></footer>",
            "© 2024 Example Media. All rights reserved.",
            "other",
        ),
    ],
)
def test_html_rules(snippet: str, text: str, label: str) -> None:
    labels = _label_html(ARTICLE + snippet)
    assert labels[text] == label
    assert labels["Budget approved"] == "article"
    assert labels[PARA] == "article"


@pytest.mark.parametrize(
    ("lines", "index", "label"),
    [
        ([PARA, "World 2 hours ago"], 1, "teaser"),
        ([PARA, "Photo: Reuters"], 1, "caption"),
        (
            [PARA, "Your email address will not be published. Required fields are marked *"],
            1,
            "comment_ui",
        ),
        ([PARA, "Follow us on Twitter for more"], 1, "ad"),
        (
            [PARA, "Joke of the day: why did the chicken cross the road?", "Read the whole joke"],
            2,
            "joke",
        ),
        ([PARA, "Privacy policy"], 1, "other"),
        # self-promotion and affiliate slots
        ([PARA, "Visit our Facebook page"], 1, "ad"),
        ([PARA, "Support independent journalism"], 1, "ad"),
        ([PARA, "EDITORS' PICKS | AFFILIATE"], 1, "ad"),
        ([PARA, "See it now: Amazon"], 1, "ad"),
        # a cue inside a long paragraph does not relabel body text
        (
            [PARA + " Follow us on the official channels, the mayor said, for updates."],
            0,
            "article",
        ),
    ],
)
def test_text_rules_en(lines: list[str], index: int, label: str) -> None:
    assert _label_text(lines)[index] == label


def test_teaser_card_window_bg() -> None:
    lines = [
        PARA,
        "Заглавие на друга новина за деня",
        "Свят Преди 42 минути",
        "Кратко резюме на другата новина с няколко думи",
    ]
    assert _label_text(lines, "bg")[1:] == ["teaser", "teaser", "teaser"]


def test_every_vote_is_stored_and_confidence_bounded() -> None:
    page = {"page_id": "t", "format": "text", "content": f"{PARA}\nWorld 2 hours ago", "lang": "en"}
    t = label_pages([page], CFG)
    votes = t.column("votes").to_pylist()
    assert {v["rule"] for v in votes[1]} >= {"teaser.time_ago.v1"}
    assert all(v["label"] in LABELS for row in votes for v in row)
    conf = np.array(t.column("confidence").to_pylist())
    assert ((conf > 0) & (conf <= 1)).all()
    assert t.column("label_source").to_pylist() == ["rule", "rule"]


def test_all_seven_labels_covered_by_rules() -> None:
    assert {RULES.get(n).label for n in RULES} == set(LABELS)
    assert all(RULES.get(n).doc for n in RULES), "every rule says what it does"


def test_weighted_vote() -> None:
    votes = np.array([[0, 1, ABSTAIN], [ABSTAIN, ABSTAIN, ABSTAIN], [2, 2, 0]], dtype=np.int8)
    winner, conf, _ = weighted_vote(votes, np.array([1.0, 2.0, 1.0]), 7)
    assert winner.tolist() == [1, ABSTAIN, 2]
    assert conf[2] > conf[0] > conf[1]


def test_rule_subset_and_custom_label_set() -> None:
    cfg = load_config(
        None,
        labels=["article", "other"],
        prelabel={
            "rules": ["article.long_paragraph.v1", "teaser.time_ago.v1"],
            "cues_dir": "builtin:cues",
        },
    )
    page = {
        "page_id": "t",
        "format": "text",
        "content": f"{PARA} {PARA}\nWorld 2 hours ago",
        "lang": "en",
    }
    from curation.pipeline import segment_with_language

    _, seg = segment_with_language([page], cfg)
    t = prelabel_table(seg, rule_set(cfg))
    # teaser is not in the label set: its vote is dropped and the catch-all label is used
    assert t.column("prelabel").to_pylist() == ["article", "other"]


def test_unknown_language_falls_back_to_structure() -> None:
    from curation.label import LabelReport

    report = LabelReport()
    page = {"page_id": "t", "format": "text", "content": f"{PARA}\nx", "lang": "sw"}
    from curation.pipeline import segment_with_language

    _, seg = segment_with_language([page], CFG)
    t = prelabel_table(seg, rule_set(CFG), report)
    assert t.column("prelabel").to_pylist()[0] == "article"
    assert report.langs_without_cues == {"sw": 2}


@pytest.mark.shared_data
def test_seed_page_at_least_95_percent(shared_data) -> None:  # type: ignore[no-untyped-def]
    gold = json.loads((shared_data / "gold-seed.jsonl").read_text(encoding="utf-8"))
    page = {"page_id": gold["page_id"], "format": "text", "content": gold["text"], "lang": None}
    t = label_pages([page], CFG)
    got = t.column("prelabel").to_pylist()
    assert t.column("text").to_pylist() == [s["text"] for s in gold["segments"]]
    right = sum(g["label"] == p for g, p in zip(gold["segments"], got, strict=True))
    assert right / len(got) >= 0.95, f"{right}/{len(got)}"


def _votes_of(body: str, lang: str = "en") -> dict[str, set[str]]:
    page = {"page_id": "h", "format": "html", "content": f"<html><body>{body}</body></html>",
            "lang": lang}
    t = label_pages([page], CFG)
    return {text: {v["rule"] for v in votes}
            for text, votes in zip(t.column("text").to_pylist(), t.column("votes").to_pylist(),
                                   strict=True)}


LEAD = "A long lead that reads like story text, {n} sentences of it, with no link at all."


def _cards(n: int) -> str:
    return "".join(
        f"<article><header><span>KICKER {k}</span><h2><a href=/s{k}>Title of another story "
        f"number {k}</a></h2></header><div><p>{LEAD.format(n=k)}</p></div></article>"
        for k in range(n))


def test_title_cards_vote_teaser_for_every_part_of_a_card_list() -> None:
    votes = _votes_of(ARTICLE + f"<section>{_cards(3)}</section>")
    card = "teaser.title_cards.v1"
    for k in range(3):
        assert card in votes[f"Title of another story number {k}"]
        assert card in votes[LEAD.format(n=k)]  # the lead, in the card beside its title
    assert card not in votes[PARA] and card not in votes["Budget approved"]
    # two cards are not yet a list of them
    assert not any(card in v for v in _votes_of(ARTICLE + _cards(2)).values())


def test_title_cards_spare_listicles_and_menus() -> None:
    card = "teaser.title_cards.v1"
    # a listicle: linked product names with their paragraphs beside them, in the story
    items = "".join(f"<h3><a href=/p{k}>Product number {k} to buy</a></h3><p>{PARA}</p>"
                    for k in range(4))
    votes = _votes_of(f"<div class='story'><h1>Gift guide</h1>{items}</div>")
    assert card not in votes[PARA]
    # a mega menu of linked headings in the page header
    menu = "".join(f"<div><h6><a href=/m{k}>Section {k}</a></h6><ul><li><a href=/m{k}/a>Sub"
                   f"</a></li></ul></div>" for k in range(4))
    votes = _votes_of(f"<header><nav>{menu}</nav></header>" + ARTICLE)
    assert not any(card in v for v in votes.values())


def test_title_cards_outvote_the_story_container_on_a_round_up_page() -> None:
    # a round-up: the cards are the page's main container and their leads are long enough to
    # read as story text; the card vote outweighs the container's and the long paragraph's
    lead = ("A long lead that reads like story text, {n} sentences of it, with no link at all, "
            "telling what the other story says about the budget and the schools and the roads.")
    cards = "".join(
        f"<article><header><span>KICKER {k}</span><h2><a href=/s{k}>Title of another story "
        f"number {k}</a></h2></header><div><p>{lead.format(n=k)}</p></div></article>"
        for k in range(4))
    page = {"page_id": "h", "format": "html", "lang": "en", "content":
            f"<html><body><main><h1>Stories of the day</h1>{cards}</main></body></html>"}
    t = label_pages([page], CFG)
    labels = dict(zip(t.column("text").to_pylist(), t.column("prelabel").to_pylist(),
                      strict=True))
    assert all(t.column("in_main").to_pylist())
    for k in range(4):
        assert labels[lead.format(n=k)] == "teaser"
        assert labels[f"Title of another story number {k}"] == "teaser"
    assert labels["Stories of the day"] == "article"


def test_title_cards_need_links_not_named_anchors() -> None:
    # documentation marks its sections with <a name=...>: headings that link nowhere
    sections = "".join(
        f"<article><header><h2><a name=s{k}>Section {k}</a></h2></header><div><p>{PARA}</p>"
        f"</div></article>" for k in range(4))
    votes = _votes_of(f"<main>{sections}</main>")
    assert not any("teaser.title_cards.v1" in v for v in votes.values())
    linked = sections.replace("<a name=", "<a href=#")
    assert any("teaser.title_cards.v1" in v for v in _votes_of(f"<main>{linked}</main>").values())


def test_related_list_under_its_heading_is_teaser_inside_the_story() -> None:
    items = "".join(f"<li><a href=/r{k}>Another story number {k} from the same magazine</a> "
                    f"and more words after it</li>" for k in range(3))
    story = (f"<div class='story'><h1>Budget approved</h1><p>{PARA}</p><p>{PARA}</p>"
             f"<h3>More Great Magazine Stories</h3><ul>{items}</ul><p>{PARA}</p></div>")
    t = label_pages([{"page_id": "h", "format": "html", "content": story, "lang": "en"}], CFG)
    labels = t.column("prelabel").to_pylist()
    texts = t.column("text").to_pylist()
    assert labels[texts.index("More Great Magazine Stories")] == "teaser"
    for k in range(3):
        assert labels[texts.index(f"Another story number {k} from the same magazine and more "
                                  "words after it")] == "teaser"
    assert labels[-1] == "article"  # the story goes on after the list: not in it
    rel = "teaser.related_list.v1"
    # one linked row is not a list; rows without links are not a list of stories
    one = story.replace(items, items.split("</li>")[0] + "</li>")
    assert sum(rel in v for v in _votes_of(one).values()) == 0
    plain = story.replace("<a href=", "<span data-x=").replace("</a>", "</span>")
    assert sum(rel in v for v in _votes_of(plain).values()) == 0


def test_related_list_spares_menus() -> None:
    # a menu whose entry "Top Stories" is a link, not a heading over the entries after it
    long = "".join(f"<li><a href=/m{k}>Section number {k} of the site</a></li>" for k in range(4))
    menu = f"<ul><li><a href=/top>Top Stories</a></li>{long}</ul>" + ARTICLE
    # a heading over a menu of short entries (not headlines)
    short = "".join(f"<li><a href=/m{k}>Section {k}</a></li>" for k in range(4))
    headed = f"<div><h4>Latest stories</h4><ul>{short}</ul></div>" + ARTICLE
    for page in (menu, headed):
        assert not any("teaser.related_list.v1" in v for v in _votes_of(page).values())
    # the same heading over headlines is a related list
    assert any("teaser.related_list.v1" in v
               for v in _votes_of(headed.replace(short, long)).values())


def test_pitch_paragraph_votes_ad_as_a_rule_of_its_own() -> None:
    pitch = ("If you enjoyed this article, we have a proposition for you: join our members. "
             "Members get all of our content, including the magazine, no paywalls and no ads, "
             "and they help us keep publishing the reporting you just read, every day of the "
             "year.")
    assert 30 < len(pitch.split()) <= 80
    votes = _votes_of(f"<div class='story'><h1>Budget approved</h1><p>{PARA}</p>"
                      f"<p>{pitch}</p><p>Advertisement</p></div>")
    assert "ad.cue_paragraph.v1" in votes[pitch] and "ad.cue.v1" not in votes[pitch]
    assert "ad.cue.v1" in votes["Advertisement"]
    assert "ad.cue_paragraph.v1" not in votes["Advertisement"]
    assert not any(r.startswith("ad.") for r in votes[PARA])
    # past 80 words a cue is a mention in body text, not a pitch
    long = pitch + " " + PARA + " " + PARA
    assert not any(r.startswith("ad.cue") for r in _votes_of(f"<p>{long}</p>")[long])


def test_link_targets_vote_follow_groups_ad_and_share_bars_other() -> None:
    follow = ("<div><a href='https://www.facebook.com/site/'>Facebook-f</a> "
              "<a href='https://www.linkedin.com/company/site'>Linkedin-in</a> "
              "<a href='https://twitter.com/site'>Twitter</a></div>")
    share = ("<div><a href='https://www.facebook.com/sharer/sharer.php?u=x'>Facebook</a> "
             "<a href='https://twitter.com/intent/tweet?url=x'>Twitter</a></div>")
    handle = "<p><a href='https://twitter.com/janedoe'>@janedoe</a></p>"
    deals = "<div><a href='https://amzn.to/2qsIAU3'>$330.00*</a></div>"
    page = f"{ARTICLE}{handle}{follow}{share}{deals}"
    votes = _votes_of(page)
    assert "ad.follow_links.v1" in votes["Facebook-f Linkedin-in Twitter"]
    assert "other.share_links.v1" in votes["Facebook Twitter"]
    assert "ad.network_links.v1" in votes["$330.00*"]
    assert not any(r.endswith("_links.v1") for r in votes["@janedoe"])  # a byline's handle
    assert not any(r.endswith("_links.v1") for r in votes[PARA])
    labels = _label_html(page)
    assert labels["Facebook-f Linkedin-in Twitter"] == "ad"
    assert labels["Facebook Twitter"] == "other"
    # the same words linking to the site's own pages: no link vote
    plain = follow.replace("https://www.facebook.com/site/", "/about/")
    plain = plain.replace("https://www.linkedin.com/company/site", "/jobs/")
    plain = plain.replace("https://twitter.com/site", "/contact/")
    assert not any(r.endswith("_links.v1")
                   for r in _votes_of(plain)["Facebook-f Linkedin-in Twitter"])


def test_credit_lines_vote_caption() -> None:
    credit = "Titan in false colour, 2004. (NASA/JPL/Space Science Institute)"
    photos = "Jewels after Jewels, installation views, photos © Inexhibit, 2018"
    quip = "The survey asked one question (yes/no) of every visitor."
    votes = _votes_of(f"{ARTICLE}<p>{credit}</p><p>{photos}</p><p>{quip}</p>")
    assert "caption.paren_credit.v1" in votes[credit]
    assert "caption.cue.v1" in votes[photos]
    assert not any(r.startswith("caption.") for r in votes[quip])
    assert not any(r.startswith("caption.") for r in votes[PARA])


def test_a_photo_credit_with_a_copyright_sign_is_not_the_sites_copyright_line() -> None:
    credits = ["(Image: © NASA/ESA/K. Retherford/SWRI)", "Image copyright Getty Images",
               "Jewels after Jewels, installation views, photos © Inexhibit, 2018"]
    footer = "© 2019 Example Media. All rights reserved."
    body = "".join(f"<p>{c}</p>" for c in credits)
    votes = _votes_of(f"{ARTICLE}{body}<footer><p>{footer}</p></footer>")
    for c in credits:
        assert "caption.cue.v1" in votes[c]
        assert not any(r.startswith(("other.cue.", "other.legal.")) for r in votes[c]), c
    assert {"other.cue.v2", "other.legal.v2"} <= votes[footer]


@pytest.mark.parametrize(
    ("lang", "counter", "is_gallery"),
    [
        ("en", "Image 3 of 8", True),
        ("en", "Image 1 of / 8", True),  # the total filled in by script: missing in a crawl
        ("en", "Photo 2/10", True),
        ("de", "Bild 3 von 8", True),
        ("bg", "Снимка 3 от 8", True),
        ("ru", "Фото 3 из 8", True),
        ("en", "Page 2 of 5", False),  # pagination
        ("en", "1/2 tsp ground cloves", False),
        ("en", "Photo 2 shows the old bridge", False),
    ],
)
def test_a_gallery_counter_votes_caption(lang: str, counter: str, is_gallery: bool) -> None:
    gallery = f"<figure><img src='a.jpg' alt=''><div>{counter}</div></figure>"
    votes = _votes_of(ARTICLE.replace("</h1>", f"</h1>{gallery}", 1), lang)
    assert ("caption.cue.v1" in votes[counter]) is is_gallery


@pytest.mark.parametrize(
    ("lang", "line", "lead", "headline"),
    [
        ("en", "<p>Related: <a href='/europa'>Possible Water Plumes on Europa</a></p>",
         "Related: Possible Water Plumes on Europa", True),
        ("en", "<p>On HoustonChronicle.com: <a href='/x'>Car sales plunge in August</a></p>",
         "On HoustonChronicle.com: Car sales plunge in August", True),
        ("bg", "<p>Прочетете още: <a href='/x'>Парламентът прие бюджета за догодина</a></p>",
         "Прочетете още: Парламентът прие бюджета за догодина", True),
        # a lead-in word with no link after it is the story's own sentence
        ("en", "<p>More: the council will meet again next week to vote on the roads plan.</p>",
         "More: the council will meet again next week to vote on the roads plan.", False),
        # a linked line without a lead-in is not one (a source link, a listen link)
        ("en", "<p>Listen: <a href='http://po.st/TP_615'>http://po.st/TP_615</a></p>",
         "Listen: http://po.st/TP_615", False),
    ],
)
def test_lead_ins_to_another_story_vote_teaser(lang: str, line: str, lead: str,
                                               headline: bool) -> None:
    story = ARTICLE.replace(f"<p>{PARA}</p><p>", f"<p>{PARA}</p>{line}<p>", 1)
    votes = _votes_of(story, lang)
    assert ("teaser.related_lead.v1" in votes[lead]) is headline
    assert "teaser.related_lead.v1" not in votes[PARA]
    if headline:  # the story's container votes article: the lead-in outvotes it
        assert _label_html(story, lang)[lead] == "teaser"


def test_every_block_of_a_sign_up_form_votes_ad_and_a_comment_form_does_not() -> None:
    signup = ("<form><p>Get our daily newsletter in your inbox</p><label>Email*</label>"
              "<label>Hold Ctrl or Cmd to select multiple editions.</label>"
              "<button>Sign me up</button></form>")
    comment = ("<form><p>Your email address will not be published.</p><label>Name*</label>"
               "<label>Subscribe to replies</label><button>Post</button></form>")
    search = "<form><label>Search the site</label><button>Go</button></form>"
    story = ARTICLE.replace(f"<p>{PARA}</p><p>", f"<p>{PARA}</p>{signup}<p>", 1)
    page = f"{story}<div>{PARA}</div>{comment}<div>{PARA}</div>{search}"
    votes = _votes_of(page)
    labels = _label_html(page)
    for text in ("Get our daily newsletter in your inbox", "Email*",
                 "Hold Ctrl or Cmd to select multiple editions.", "Sign me up"):
        assert "ad.signup_form.v1" in votes[text], text
        assert labels[text] == "ad", text  # the story's container votes article: outvoted
    for text in ("Your email address will not be published.", "Name*", "Subscribe to replies",
                 "Post", "Search the site", "Go", PARA):
        assert "ad.signup_form.v1" not in votes[text], text


def test_a_sign_up_form_ends_with_its_run_of_blocks() -> None:
    # two forms on two pages, the cue on the first: the second page's form is not a sign-up
    pages = [{"page_id": pid, "format": "html", "lang": "en",
              "content": f"<html><body><p>{PARA}</p><form>{body}</form></body></html>"}
             for pid, body in (("a", "<p>Subscribe to our newsletter</p><label>Email</label>"),
                               ("b", "<label>Your town</label><label>Your street</label>"))]
    t = label_pages(pages, CFG)
    votes = {(p, x): {v["rule"] for v in vs} for p, x, vs in zip(
        t.column("page_id").to_pylist(), t.column("text").to_pylist(),
        t.column("votes").to_pylist(), strict=True)}
    assert "ad.signup_form.v1" in votes[("a", "Email")]
    assert "ad.signup_form.v1" not in votes[("b", "Your town")]
    assert "ad.signup_form.v1" not in votes[("b", "Your street")]


def test_pages_without_a_form_get_no_sign_up_votes() -> None:
    votes = _votes_of(f"{ARTICLE}<p>Subscribe to our newsletter</p>")
    assert not any("ad.signup_form.v1" in v for v in votes.values())
