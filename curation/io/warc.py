"""WARC input (.warc, .warc.gz with per-record or whole-file gzip), read with FastWARC.

An HTML response becomes a page with its target URI, fetch date (WARC-Date) and HTTP charset.
Other records (warcinfo, request, metadata, revisit, non-HTML responses) are counted by type.
A damaged record (cut short, wrong Content-Length, a broken gzip member) is a counted skip with
file and byte offset; the reader then looks for the next record start and reads on from there.
"""

from __future__ import annotations

import mmap
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from fastwarc.warc import ArchiveIterator, WarcRecordType

from curation.stats import Stats

STAGE = "ingest"
WARC_EXT = (".warc", ".warc.gz")
HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_NEXT_RECORD = b"\r\n\r\n" + _WARC_MAGIC  # inside a payload: its Content-Length was too long
_TYPE_NAMES = {int(getattr(WarcRecordType, n)): n for n in (
    "warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion",
    "continuation")}


@dataclass(slots=True)
class WarcPage:
    """An HTML response record: payload bytes and what the WARC and HTTP headers say."""

    offset: int  # byte offset of the record in the file (of its gzip member when compressed)
    url: str | None
    fetched: str | None  # ISO 8601
    charset: str | None
    data: bytes


class _Damaged(Exception):
    def __init__(self, offset: int, detail: str) -> None:
        super().__init__(detail)
        self.offset, self.detail = offset, detail


def read_warc(stream: IO[bytes], name: str, max_bytes: int, stats: Stats,
              part: tuple[int, int] | None = None) -> Iterator[WarcPage]:
    """HTML responses of the WARC file open in *stream* (seekable), in file order; with *part*
    (start, end), those of the records that start in [start, end) (*start* a record start, see
    `record_starts`): the parts of a file read the same records as the whole file."""
    buf = _Buffer(stream)
    try:
        yield from _records(stream, buf, name, max_bytes, stats, part or (0, 1 << 62))
    finally:
        buf.close()


def record_starts(stream: IO[bytes], offsets: list[int]) -> list[int]:
    """For each offset, the first record start at or after it (the reader's own resync: a
    gzip member that inflates to a WARC header, or a WARC header after a blank line), without
    duplicates; none for a file gzipped whole (it has no record offsets to start at)."""
    buf = _Buffer(stream)
    try:
        compressed = buf.startswith(_GZIP_MAGIC)
        found = {buf.next_record(at, compressed) for at in offsets}
    finally:
        buf.close()
    return sorted(at for at in found if at > 0)


def _records(stream: IO[bytes], buf: _Buffer, name: str, max_bytes: int, stats: Stats,
             part: tuple[int, int]) -> Iterator[WarcPage]:
    """The pages of the records starting in *part*; after a damaged record, reading starts
    again at the next record start. In a plain file each record's Content-Length is checked
    against the bytes; in a gzipped one a page is held back until the next record reads well
    (a Content-Length that is too short shows only there)."""
    compressed = buf.startswith(_GZIP_MAGIC)
    (start, end), last_pos, whole_file = part, -1, False
    held: WarcPage | None = None
    while start >= 0:
        stream.seek(start)
        after = start  # where the next record should begin (plain files)
        try:
            for rec in ArchiveIterator(stream, record_types=WarcRecordType.any_type,
                                       parse_http=True):
                pos = rec.stream_pos
                if held is not None:
                    yield held
                    held = None
                if pos >= end:  # the next part's first record
                    start = -1
                    break
                if pos == last_pos:
                    whole_file = True  # one gzip member over the file: no offsets to resume at
                last_pos = pos
                if not compressed:
                    after = _framed_end(buf, pos, rec.headers.get("Content-Length"))
                held = _page(rec, name, max_bytes, stats)
            else:
                if held is not None:
                    yield held
                    held = None
                # a cut last record is passed over silently: look for a record start past it
                nxt = -1 if whole_file else buf.next_record(last_pos + 1, compressed)
                if 0 <= nxt < end:
                    raise _Damaged(nxt, "an incomplete record (cut short)")
                start = -1
        except (_Damaged, OSError) as exc:
            if isinstance(exc, _Damaged):
                offset, detail = exc.offset, exc.detail
            elif held is not None:  # the record before did not end where it said
                offset, detail = held.offset, f"the next header does not follow: {exc}"
            else:
                offset, detail = max(after, last_pos), f"{type(exc).__name__}: {exc}"
            held = None
            stats.skip(STAGE, "damaged_warc", f"{name}@{offset}", detail)
            start = -1 if whole_file else buf.next_record(max(offset, last_pos) + 1, compressed)
            start = -1 if start >= end else start
            last_pos = max(last_pos, offset)
    if whole_file:
        stats.add(STAGE, "warc_whole_file_gzip")


def _framed_end(buf: _Buffer, pos: int, length: str | None) -> int:
    """Offset just past the record at *pos* in a plain file; _Damaged when its Content-Length
    does not land on the blank line that ends a record."""
    header_end = buf.find(b"\r\n\r\n", pos)
    try:
        end = header_end + 4 + int(length or "")
    except ValueError:
        raise _Damaged(pos, f"Content-Length {length!r} is not a number") from None
    if header_end < 0 or buf.read(end, 4) != b"\r\n\r\n":
        raise _Damaged(pos, "Content-Length does not end at the record's end")
    return end + 4


def _page(rec: Any, name: str, max_bytes: int, stats: Stats) -> WarcPage | None:
    kind = _TYPE_NAMES.get(int(rec.record_type), "unknown")
    stats.add(STAGE, f"warc_records:{kind}")
    if kind not in ("response", "resource"):
        return None
    pos = rec.stream_pos
    if kind == "response" and not rec.is_http_parsed:
        raise _Damaged(pos, "a response without a readable HTTP header")
    ctype = (rec.http_content_type if kind == "response"
             else rec.headers.get("Content-Type", "").split(";")[0].strip().lower())
    if ctype not in HTML_TYPES:
        rec.consume()
        stats.add(STAGE, "warc_not_html")
        return None
    if rec.content_length > max_bytes:
        rec.consume()
        stats.add(STAGE, "pages")
        stats.skip(STAGE, "too_large", f"{name}@{pos}", f"{rec.content_length} bytes > {max_bytes}")
        return None
    data = rec.reader.read()
    if len(data) < rec.content_length:
        raise _Damaged(pos, f"payload cut short: {len(data)} of {rec.content_length} bytes")
    if _NEXT_RECORD in data:
        raise _Damaged(pos, "Content-Length runs into the next record")
    date = rec.record_date
    return WarcPage(pos, rec.headers.get("WARC-Target-URI") or None,
                    date.isoformat() if date is not None else None,
                    rec.http_charset if kind == "response" else None, data)


class _Buffer:
    """Searches the raw file for the next record start (memory-mapped, never read whole)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._map: mmap.mmap | None = None
        try:
            self._map = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError, AttributeError):  # not a local file, or empty
            self._map = None

    def close(self) -> None:
        if self._map is not None:
            self._map.close()

    def next_record(self, start: int, compressed: bool) -> int:
        """Offset of the first record start at or after *start*, -1 when there is none: a
        "WARC/1." after a blank line, or a gzip member whose first bytes inflate to it."""
        if not compressed:
            at = self.find(_NEXT_RECORD, max(start - 4, 0))
            return at + 4 if at >= 0 else -1
        while (at := self.find(_GZIP_MAGIC, start)) >= 0:
            head = self.read(at, 4096)
            try:
                if zlib.decompressobj(31).decompress(head, 16).startswith(_WARC_MAGIC):
                    return at
            except zlib.error:
                pass  # the magic bytes by chance inside compressed data
            start = at + 1
        return -1

    def read(self, at: int, n: int) -> bytes:
        if self._map is not None:
            return self._map[at : at + n]
        self._stream.seek(at)
        return self._stream.read(n)

    def startswith(self, prefix: bytes) -> bool:
        return self.read(0, len(prefix)) == prefix

    def find(self, needle: bytes, start: int) -> int:
        if self._map is not None:
            return self._map.find(needle, start)
        self._stream.seek(start)  # a remote file: read on in 1 MB pieces
        pos, tail = start, b""
        while piece := self._stream.read(1 << 20):
            at = (tail + piece).find(needle)
            if at >= 0:
                return pos - len(tail) + at
            tail = piece[-len(needle) + 1:]
            pos += len(piece)
        return -1
