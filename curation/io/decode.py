"""Bytes -> text for raw pages: BOM, UTF-8 fast path, HTML meta charset, then charset-normalizer.

Also the small HTML sniffers the readers need (canonical url, "has any text").
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import urlsplit

import charset_normalizer
from selectolax.lexbor import LexborHTMLParser

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]{1,40})", re.IGNORECASE
)
_SNIFF_BYTES = 4096
# charset-normalizer often scores several code pages the same on short pages (cp1250 = cp1252
# for German, cp1125 = cp1251 for Bulgarian); a tie goes to the one most common on the web.
_PREFERRED = ("cp1252", "cp1251", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "koi8_r",
              "iso8859_5", "cp1253", "cp1254", "cp1257")
_NOT_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept (the reader counts it as a skip)."""


def meta_charset(data: bytes) -> str | None:
    """The codec named by an HTML meta charset in the first 4 KB, if Python knows it.

    >>> meta_charset(b'<head><meta charset="windows-1251"></head>')
    'cp1251'
    >>> meta_charset(b'<p>no meta</p>') is None
    True
    """
    m = _META_CHARSET.search(data[:_SNIFF_BYTES])
    if not m:
        return None
    try:
        return codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None


def decode_bytes(data: bytes, html: bool = False) -> str:
    """Decode raw page bytes; raise DecodeError for binary (NUL bytes) or undecodable input."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"bad {codec} after its byte order mark: {exc.reason}") from None
    if b"\x00" in data:
        raise DecodeError("NUL bytes (binary content)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if html:
        declared = meta_charset(data)
        if declared and declared != "utf-8":
            try:
                return data.decode(declared)
            except UnicodeDecodeError:
                pass  # the meta lies (common after re-encoding); let the detector decide
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise DecodeError("not text in any known encoding")
    tied = {m.encoding: m for m in matches
            if m.chaos == best.chaos and m.coherence == best.coherence}
    for name in _PREFERRED:
        if name in tied:
            return str(tied[name])
    return str(best)


def normalize_url(url: object) -> str | None:
    """A stripped non-empty string url, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url or None


def domain_of(url: str | None) -> str | None:
    """Host of *url*, lower-cased, without a leading "www."; None when there is none.

    >>> domain_of("https://WWW.Example.com:8080/a?b")
    'example.com'
    >>> domain_of("news.example.bg/x")
    'news.example.bg'
    >>> domain_of(None) is None
    True
    """
    if not url:
        return None
    try:
        host = urlsplit(url if "://" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host.removeprefix("www.") or None


def _absolute_http(href: str | None) -> str | None:
    href = normalize_url(href)
    if href and urlsplit(href).scheme in ("http", "https") and domain_of(href):
        return href
    return None


def parse_html(html: str) -> LexborHTMLParser:
    """Parse HTML with lexbor (selectolax), the parser the segmenter uses as well."""
    return LexborHTMLParser(html)


def canonical_url(tree: LexborHTMLParser) -> str | None:
    """The page's own absolute url from <link rel=canonical>, else og:url; None without one."""
    link = tree.css_first('link[rel~="canonical"]')
    if link is not None and (url := _absolute_http(link.attributes.get("href"))):
        return url
    og = tree.css_first('meta[property="og:url"]')
    if og is not None:
        return _absolute_http(og.attributes.get("content"))
    return None


def has_body_text(tree: LexborHTMLParser) -> bool:
    """True when the body holds at least one visible non-whitespace text node."""
    body = tree.body
    if body is None:
        return False
    for node in body.traverse(include_text=True):
        if node.tag != "-text":
            continue
        text = node.text_content
        if not text or text.isspace():
            continue
        parent = node.parent
        if parent is not None and parent.tag in _NOT_TEXT_TAGS:
            continue
        return True
    return False
