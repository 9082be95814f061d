"""Ingest's two questions about an HTML page, answered without parsing it (segmentation parses
each page once, later): does the body hold any text, and what is the page's canonical url?

Regular expressions over the raw HTML answer them for nearly every page; when a page is unusual
(no <body> tag, a <body> inside a comment or script, no text in the first few hundred tags) the
answer is "undecided" and the caller parses with lexbor, so the result matches a parse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

from curation.io.decode import absolute_http, canonical_url, has_body_text, parse_html

_BODY = re.compile(r"<body[\s>/]", re.IGNORECASE)
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<[!?][^>]*>|<(/?)([a-zA-Z][^\s/>]*)[^>]*>", re.DOTALL)
_NOT_TEXT = frozenset({"script", "style", "noscript", "template", "head", "title"})
_RAW_TEXT = ("script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes")
_BEFORE_BODY = ("script", "style", "title", "noscript")  # elements a <body> may hide in
_RAW_TEXT_SET, _BEFORE_BODY_SET = frozenset(_RAW_TEXT), frozenset(_BEFORE_BODY)
_MAX_TOKENS = 400  # no text after this many tags: let the parser decide
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


def page_checks(html: str) -> tuple[bool, str | None]:
    """(the body holds text, the canonical url) of *html*; parses only when sniffing cannot
    tell."""
    text, url = sniff_body_text(html), sniff_canonical(html)
    if text is None or isinstance(url, _Undecided):
        tree = parse_html(html)
        if text is None:
            text = has_body_text(tree)
        if isinstance(url, _Undecided):
            url = canonical_url(tree)
    return text, url


def sniff_body_text(html: str) -> bool | None:
    """True when a visible, non-blank text run follows the <body> tag; None when undecided.

    >>> sniff_body_text("<html><body><script>x()</script>\\n <p>Hello</p></body></html>")
    True
    >>> sniff_body_text("<p>no body tag</p>") is None
    True
    """
    at = html.find("<body")
    if at < 0:
        m = _BODY.search(html)
        at = m.start() if m is not None else -1
    # a <body> inside a comment, script, style, title, noscript or template is no body (the
    # rarer raw-text elements are not looked for: at worst a page whose parse has no text is
    # kept)
    if at < 0 or _inside(html, at, "<!--", "-->") or html.find("<template", 0, at) >= 0 or (
            _open_elements(html, at) & _BEFORE_BODY_SET):
        return None
    pos, skip = at, ""
    for n, tok in enumerate(_TOKEN.finditer(html, pos)):
        if not skip and tok.start() > pos and _is_text(html[pos:tok.start()]):
            return True
        tag = tok.group(2)
        if tag:
            tag = tag.lower()
            if not skip:
                if not tok.group(1) and tag in _NOT_TEXT:
                    skip = tag
            elif tok.group(1) and tag == skip:
                skip = ""
            elif not tok.group(1) and tag in _NOT_TEXT:
                return None  # nested (a script in a noscript ...): let the parser say
        pos = tok.end()
        if n >= _MAX_TOKENS:
            return None
    if not skip and _is_text(html[pos:]):
        return True
    return None


def _is_text(run: str) -> bool:
    return bool(run) and not run.isspace() and not unescape(run).isspace()


def _inside(html: str, at: int, opener: str, closer: str) -> bool:
    """Whether position *at* lies after an *opener* that no *closer* has ended (lower- or
    upper-case tags)."""
    opened = html.rfind(opener, 0, at)
    if opened < 0 and not opener.startswith("<!"):
        opened = html.rfind(opener.upper(), 0, at)
    if opened < 0:
        return False
    return opened > max(html.rfind(closer, 0, at), html.rfind(closer.upper(), 0, at))


# an opening or closing tag of the elements _inside is asked about, lower or upper case (the
# spellings _inside looks for): no name is a prefix of another, and each match starts at a '<'
# that no other match holds, so one forward scan sees every place an rfind would find
_WATCHED = sorted(set(_RAW_TEXT) | set(_BEFORE_BODY))
_WATCHED_TAG = re.compile(
    "<(/?)(" + "|".join(f"{t}|{t.upper()}" for t in _WATCHED) + ")")


def _open_elements(html: str, at: int) -> set[str]:
    """The watched elements (_RAW_TEXT, _BEFORE_BODY) that `_inside(html, at, "<tag", "</tag")`
    says position *at* lies in: one regular-expression pass up to *at* instead of up to four
    rfinds over it per element."""
    last: dict[tuple[str, str], int] = {}  # (closing "/" or "", name as written) -> position
    for m in _WATCHED_TAG.finditer(html, 0, at):
        last[m.group(1), m.group(2)] = m.start()
    found = set()
    for tag in _WATCHED:
        opened = last.get(("", tag), -1)
        if opened < 0:
            opened = last.get(("", tag.upper()), -1)
        if opened >= 0 and opened > max(last.get(("/", tag), -1), last.get(("/", tag.upper()), -1)):
            found.add(tag)
    return found


class _Undecided:
    pass


_UNDECIDED = _Undecided()


def sniff_canonical(html: str) -> str | None | _Undecided:
    """The url a parse would give (first <link rel=canonical>, else og:url), or _UNDECIDED when
    a link or meta tag sits in a comment or script, where a parser would not see it."""
    for start, attrs in _tags_with(html, "canonical", _LINK):
        if "canonical" in attrs.get("rel", "").split():
            if _hidden(html, start):
                return _UNDECIDED
            url = absolute_http(attrs.get("href"))
            if url:
                return url
            break
    for start, attrs in _tags_with(html, "og:url", _META):
        if attrs.get("property") == "og:url":
            if _hidden(html, start):
                return _UNDECIDED
            return absolute_http(attrs.get("content"))
    return None


def _tags_with(html: str, word: str, tag: re.Pattern[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(offset, attributes) of each *tag* holding *word*, in document order: a substring
    search, then only the tags around each hit are read."""
    at, done = html.find(word), -1
    while at >= 0:
        start = html.rfind("<", 0, at)
        if start > done:
            m = tag.match(html, start)
            if m is not None and m.end() > at:
                yield start, _attrs(m.group(0))
                done = m.end()
        at = html.find(word, at + len(word))


def _hidden(html: str, at: int) -> bool:
    """Whether *at* is where a parser sees no tags: a comment or a raw-text element."""
    return _inside(html, at, "<!--", "-->") or bool(_open_elements(html, at) & _RAW_TEXT_SET) or (
        # templates nest and hide what they hold from a parse: after one, let the parser say
        html.find("<template", 0, at) >= 0 or html.find("<TEMPLATE", 0, at) >= 0)


def _attrs(tag: str) -> dict[str, str]:
    """Attributes of one start tag, names lower-cased, values with entities decoded (the first
    of a repeated name wins, as in a parser)."""
    out: dict[str, str] = {}
    for m in _ATTR.finditer(tag, 5):  # after "<link" / "<meta"
        name = m.group(1).lower()
        if name not in out:
            value = next(v for v in m.groups()[1:] if v is not None)
            out[name] = unescape(value)
    return out
