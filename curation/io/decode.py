"""Bytes -> text for raw pages, decided by evidence: a byte order mark, then a declared charset
(HTTP header, HTML meta) checked against the bytes, then the share of valid UTF-8, then
charset-normalizer. A bad byte is repaired where it is (U+FFFD, counted); a page is never
re-encoded as a whole, and a few NUL bytes do not make it binary (their share does).

Also the small HTML sniffers the readers need (canonical url, "has any text").
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

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
# charset-normalizer often scores several code pages the same on short pages (cp1250 = cp1252 =
# mac_roman for German, mac_cyrillic = cp1251 for Bulgarian); a tie goes to the web's usual one.
_PREFERRED = ("cp1252", "cp1251", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "koi8_r",
              "iso8859_5", "cp1253", "cp1254", "cp1257")
_TIE_CHAOS = 0.001
_NOT_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "head", "title"})
# C0 control bytes that text does not hold (tab, newline, form feed, CR and ESC are allowed)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
MAX_CONTROL_SHARE = 0.01  # more control bytes than this (NULs included): binary, not text
_UTF8_NAMES = frozenset({"utf-8", "utf-8-sig"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_counter = threading.local()


def _count_replace(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: U+FFFD for each bad sequence, counted (per thread)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counter.n = getattr(_counter, "n", 0) + 1
    return "\ufffd", exc.end


codecs.register_error("curation.count-replace", _count_replace)


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept (the reader counts it as a skip)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded page text, the codec chosen, and the repairs made on the way."""

    text: str
    encoding: str
    replaced: int = 0  # bad byte sequences (or lone surrogates) replaced with U+FFFD
    nuls: int = 0  # NUL characters removed


def _decode_counting(data: bytes, codec: str) -> tuple[str, int]:
    _counter.n = 0
    text = data.decode(codec, "curation.count-replace")
    return text, _counter.n


def meta_charset(data: bytes) -> str | None:
    """The codec named by an HTML meta charset in the first 4 KB, if Python knows it.

    >>> meta_charset(b'<head><meta charset="windows-1251"></head>')
    'cp1251'
    >>> meta_charset(b'<p>no meta</p>') is None
    True
    """
    m = _META_CHARSET.search(data[:_SNIFF_BYTES])
    return codec_name(m.group(1).decode("ascii")) if m else None


def codec_name(label: str | None) -> str | None:
    """Python's name for a charset label ("windows-1251" -> "cp1251"), None when unknown or not
    a text encoding (base64, rot13 ...)."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when the NULs sit on one byte parity (ASCII-range UTF-16)."""
    head = data[:_SNIFF_BYTES]
    if len(head) < 16:
        return None
    even, odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / len(head[1::2])
    if odd >= 0.4 and even < 0.05:
        return "utf-16-le"
    if even >= 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def replace_surrogates(text: str) -> tuple[str, int]:
    """*text* with lone surrogates (which UTF-8 cannot hold) replaced by U+FFFD, and how many."""
    if text.isascii():
        return text, 0
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.subn("\ufffd", text)
    return text, 0


def repair_text(text: str) -> Decoded:
    """A str as given (JSON, Parquet) made safe to store: lone surrogates become U+FFFD and a
    few NULs are removed, both counted; raises DecodeError when NULs show it is binary.

    >>> repair_text("a" + chr(0xD800) + "b")
    Decoded(text='a\ufffdb', encoding='str', replaced=1, nuls=0)
    """
    text, replaced = replace_surrogates(text)
    nuls = 0
    if "\x00" in text:
        nuls = text.count("\x00")
        if nuls > MAX_CONTROL_SHARE * len(text):
            raise DecodeError(f"{nuls} NUL characters in {len(text)} (binary content)")
        text = text.replace("\x00", "")
    return Decoded(text, "str", replaced, nuls)


def decode_page(data: bytes, html: bool = False, declared: str | None = None) -> Decoded:
    """Decode raw page bytes by evidence; *declared* is a charset from outside the page (an HTTP
    Content-Type). Raises DecodeError for binary content or bytes no encoding explains."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text, bad = _decode_counting(data, codec)
            return _without_nuls(Decoded(text, codec, bad))
    utf16 = _utf16_without_bom(data) if b"\x00" in data[:_SNIFF_BYTES] else None
    if utf16:
        text, bad = _decode_counting(data, utf16)
        return _without_nuls(Decoded(text, utf16, bad))
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(data):
        raise DecodeError(f"{controls} control bytes in {len(data)} (binary content)")
    try:
        return _without_nuls(Decoded(data.decode("utf-8"), "utf-8"))
    except UnicodeDecodeError:
        pass
    declared = codec_name(declared) or (meta_charset(data) if html else None)
    text, bad = _decode_counting(data, "utf-8")
    if _mostly_utf8(text, bad, declared in _UTF8_NAMES):
        return _without_nuls(Decoded(text, "utf-8", bad))
    if declared and declared not in _UTF8_NAMES:
        try:
            return _without_nuls(Decoded(data.decode(declared), declared))
        except UnicodeDecodeError:
            pass  # the declaration lies (common after re-encoding); let the detector decide
    return _without_nuls(_detect(data))


def _mostly_utf8(text: str, bad: int, declared_utf8: bool) -> bool:
    """UTF-8 with a few bad sequences (a cut character, one stray byte): the valid multi-byte
    characters outnumber the bad ones four to one (one to one when the page says UTF-8)."""
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    good = non_ascii - bad
    return good >= (1 if declared_utf8 else 4) * bad and (good > 0 or declared_utf8)


def _detect(data: bytes) -> Decoded:
    import charset_normalizer  # ~0.1 s to import; most pages declare or are UTF-8

    matches = [m for m in charset_normalizer.from_bytes(data)
               if not m.encoding.startswith(("utf_16", "utf_32"))]  # no NUL pattern: not UTF-16
    if not matches:
        raise DecodeError("not text in any known encoding")
    best = matches[0]
    # ties on the mess score: coherence ranks mac_iceland over cp1250 for German and
    # mac_cyrillic over cp1251 for Bulgarian, code pages the web hardly uses
    tied = {m.encoding: m for m in matches if m.chaos <= best.chaos + _TIE_CHAOS}
    chosen = next((tied[name] for name in _PREFERRED if name in tied), best)
    return Decoded(str(chosen), chosen.encoding)


def _without_nuls(decoded: Decoded) -> Decoded:
    text = decoded.text
    if "\x00" not in text:
        return decoded
    nuls = text.count("\x00")
    if nuls > MAX_CONTROL_SHARE * len(text):
        raise DecodeError(f"{nuls} NUL characters in {len(text)} (binary content)")
    return Decoded(text.replace("\x00", ""), decoded.encoding, decoded.replaced, nuls)


def decode_bytes(data: bytes, html: bool = False, declared: str | None = None) -> str:
    """decode_page's text: raw page bytes decoded by evidence (DecodeError for binary)."""
    return decode_page(data, html, declared).text


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


def absolute_http(href: str | None) -> str | None:
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
    if link is not None and (url := absolute_http(link.attributes.get("href"))):
        return url
    og = tree.css_first('meta[property="og:url"]')
    if og is not None:
        return absolute_http(og.attributes.get("content"))
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
