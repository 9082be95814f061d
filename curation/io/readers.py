"""Raw scraped pages -> PAGE_SCHEMA dicts, streamed: one file, line, or record batch at a time.

Formats go by extension only (a .txt full of HTML stays text): .txt, .html/.htm, .jsonl(.gz),
.parquet, and Hugging Face datasets saved with `save_to_disk` (a folder). Bad records are
counted skips (`Stats.skip("ingest", reason, source, detail)`); a missing input raises.
"""

from __future__ import annotations

import errno
import glob
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from curation.config import InputConfig
from curation.errors import InputError
from curation.io.decode import (
    Decoded,
    DecodeError,
    decode_page,
    domain_of,
    normalize_url,
    repair_text,
    replace_surrogates,
)
from curation.io.remote import RemoteFile, is_url, local_path, resolve_url
from curation.io.sniff import page_checks
from curation.io.warc import WARC_EXT, read_warc
from curation.stats import Stats

STAGE = "ingest"
InputFile = Path | RemoteFile  # a local file or folder, or a remote file (fsspec)
BUILTIN_SAMPLES = "builtin:samples"
ROW_BATCH = 64  # rows per Parquet / HF batch: pages are large, keep a batch a few MB
TEXT_EXT = (".txt",)
HTML_EXT = (".html", ".htm")
JSONL_EXT = (".jsonl", ".jsonl.gz")
PARQUET_EXT = (".parquet",)
HF_MARKERS = ("dataset_info.json", "state.json")
HF_DICT_MARKER = "dataset_dict.json"


@dataclass(slots=True)
class RawPage:
    """A page as read, before checks: text (decoded) or raw bytes (still to decode)."""

    source: str
    format: str  # "text" | "html"
    content: str | None = None
    data: bytes | None = None
    page_id: str | None = None
    url: str | None = None
    lang: str | None = None
    charset: str | None = None  # declared outside the page (an HTTP Content-Type)
    fetched: str | None = None  # when it was fetched (WARC-Date), ISO 8601
    clean: bool = False  # content known to hold no lone surrogate and no NUL


def content_id(content: str) -> str:
    """Stable page id from the content: blake2b, 16 hex digits.

    >>> content_id("hello")
    'a7b6eda801e5347d'
    """
    return hashlib.blake2b(content.encode("utf-8"), digest_size=8).hexdigest()


def builtin_samples() -> Path:
    """The folder of sample pages bundled with the package (curation/samples/)."""
    folder = Path(str(files("curation").joinpath("samples")))
    if not folder.is_dir():
        raise InputError(f"bundled samples not found at {folder}; reinstall curation")
    return folder


def _is_hf_dataset(folder: Path) -> bool:
    try:
        if (folder / HF_DICT_MARKER).is_file():
            return True
        return all((folder / name).is_file() for name in HF_MARKERS)
    except OSError:  # a folder we may not look into: _walk counts it
        return False


def source_name(path: InputFile | str) -> str:
    """*path* as text that can be stored: bytes of a non-UTF-8 file name are shown as \\xNN.

    >>> print(source_name(os.fsdecode(b"caf\\xe9.html")))
    caf\\xe9.html
    """
    if isinstance(path, RemoteFile):
        return str(path)
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _walk(folder: Path, stats: Stats | None, seen_dirs: set[tuple[int, int]] | None = None
          ) -> Iterator[Path]:
    """Files under *folder* and saved HF datasets (as folders), sorted, hidden entries skipped.
    A folder that cannot be listed, or that a symlink leads back into, is a counted skip."""
    seen_dirs = set() if seen_dirs is None else seen_dirs
    try:
        st = folder.stat()
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            _skip_path(stats, "symlink_loop", folder, "a folder already walked (symlink cycle)")
            return
        seen_dirs.add(key)
        entries = sorted(folder.iterdir(), key=lambda p: os.fsencode(p.name))
    except OSError as exc:
        _skip_path(stats, "unreadable", folder, f"{type(exc).__name__}: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith((".", "__")):
            continue
        if entry.is_dir():
            if _is_hf_dataset(entry):
                yield entry
            else:
                yield from _walk(entry, stats, seen_dirs)
        elif entry.is_file():
            yield entry
        else:  # a dangling or looping symlink, a FIFO (reading it would block), a socket ...
            try:
                entry.stat()
                reason, detail = "not_a_file", "neither a regular file nor a folder"
            except OSError as exc:
                reason = "symlink_loop" if exc.errno == errno.ELOOP else "unreadable"
                detail = f"{type(exc).__name__}: {exc.strerror or exc}"
            _skip_path(stats, reason, entry, detail)


def _skip_path(stats: Stats | None, reason: str, path: Path, detail: str) -> None:
    if stats is None:
        raise InputError(f"input {source_name(path)!r}: {reason}: {detail}")
    stats.skip(STAGE, reason, source_name(path), detail)


def resolve_inputs(paths: Iterable[str], stats: Stats | None = None) -> list[InputFile]:
    """Expand files, folders, globs, urls (fsspec: s3://, gs://, hf://, http(s)://, file://) and
    `builtin:samples` into a sorted, de-duplicated list. Folders that cannot be listed and
    symlink cycles are counted skips in *stats* (without *stats* they raise InputError); a
    missing input or an unreachable url raises InputError."""
    out: list[InputFile] = []
    for spec in paths:
        spec = local_path(spec) or spec
        if is_url(spec):
            out.extend(resolve_url(spec))
            continue
        if spec == BUILTIN_SAMPLES:
            matches = [builtin_samples()]
        elif spec.startswith("builtin:"):
            raise InputError(f"unknown input {spec!r}; the built-in input is {BUILTIN_SAMPLES}")
        elif glob.has_magic(spec):
            matches = [Path(p) for p in sorted(glob.glob(os.path.expanduser(spec), recursive=True))]
            if not matches:
                raise InputError(f"input glob {spec!r} matches nothing; check the pattern")
        else:
            path = Path(os.path.expanduser(spec))
            if not path.exists():
                raise InputError(f"input {spec!r} does not exist; give a file, folder or glob")
            matches = [path]
        for match in matches:
            if match.is_dir() and not _is_hf_dataset(match):
                out.extend(_walk(match, stats))
            else:
                out.append(match)
    seen: set[str] = set()
    unique = []
    for p in out:
        # realpath never raises, even on a symlink loop
        key = str(p) if isinstance(p, RemoteFile) else os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def iter_pages(paths: list[str], cfg: InputConfig, stats: Stats,
               part: tuple[int, int] | None = None) -> Iterator[dict[str, Any]]:
    """Yield one PAGE_SCHEMA dict per good page; missing inputs raise InputError at once.
    *part* (first, end): only that range of a big file (a shard of it): line numbers of a
    JSONL file, row groups of a Parquet file, byte offsets of the records of a WARC file, rows
    of a dataset saved with `save_to_disk`."""
    inputs = resolve_inputs(paths, stats)  # eager: a typo fails before any data is read
    return _pages(inputs, cfg, stats, part)


class SeenIds:
    """Exact set of page ids in 8 bytes each: a 64-bit hash per id, recent ones in a Python set,
    older ones merged into a sorted numpy array (a set of strings costs ~100 bytes a page).

    >>> seen = SeenIds(flush_every=2)
    >>> [seen.add(x) for x in ["a", "b", "c", "a", "d"]]
    [True, True, True, False, True]
    """

    def __init__(self, flush_every: int = 100_000) -> None:
        self._recent: set[int] = set()
        self._old: npt.NDArray[np.unsignedinteger[Any]] = np.zeros(0, dtype=np.uint64)
        self._flush_every = flush_every

    def add(self, page_id: str) -> bool:
        """Record *page_id*; False when it was seen before."""
        key = int.from_bytes(hashlib.blake2b(page_id.encode(), digest_size=8).digest(), "little")
        if key in self._recent:
            return False
        i = int(np.searchsorted(self._old, key))
        if i < len(self._old) and int(self._old[i]) == key:
            return False
        self._recent.add(key)
        if len(self._recent) >= self._flush_every:
            self._old = np.union1d(self._old, np.fromiter(self._recent, dtype=np.uint64))
            self._recent.clear()
        return True


def _pages(inputs: list[InputFile], cfg: InputConfig, stats: Stats,
           part: tuple[int, int] | None = None) -> Iterator[dict[str, Any]]:
    seen = SeenIds()
    for path in inputs:
        for raw in _read_any(path, cfg, stats, part):
            stats.add(STAGE, "pages")
            page = _finish(raw, cfg, stats)
            if page is None:
                continue
            if not seen.add(page["page_id"]):
                stats.skip(STAGE, "duplicate", raw.source, f"page_id {page['page_id']} seen before")
                continue
            stats.add(STAGE, "kept")
            yield page


def _read_any(path: InputFile, cfg: InputConfig, stats: Stats,
              part: tuple[int, int] | None = None) -> Iterator[RawPage]:
    name = path.name.lower()
    if source_name(path) != str(path):
        stats.add(STAGE, "non_utf8_file_names")
    if isinstance(path, Path) and path.is_dir():  # a remote "folder" is never a saved dataset
        yield from _read_hf(path, stats, part)
    elif name.endswith(TEXT_EXT):
        yield from _read_file(path, "text", cfg, stats)
    elif name.endswith(HTML_EXT):
        yield from _read_file(path, "html", cfg, stats)
    elif name.endswith(JSONL_EXT):
        yield from _read_jsonl(path, cfg, stats, part)
    elif name.endswith(WARC_EXT):
        yield from _read_warc(path, cfg, stats, part)
    elif name.endswith(PARQUET_EXT):
        yield from _read_parquet(path, stats, part)
    else:
        stats.skip(STAGE, "unsupported_format", source_name(path),
                   "expected .txt, .html, .htm, .jsonl(.gz), .warc(.gz), .parquet or a saved "
                   "HF dataset")


def _read_file(path: InputFile, fmt: str, cfg: InputConfig, stats: Stats) -> Iterator[RawPage]:
    """One page per file; the size is checked before reading, so a huge file costs nothing."""
    try:
        size = path.stat().st_size
        if size > cfg.max_bytes:
            stats.add(STAGE, "pages")
            stats.skip(STAGE, "too_large", source_name(path),
                       f"{size} bytes > max_bytes {cfg.max_bytes}")
            return
        data = path.read_bytes()
    except OSError as exc:
        stats.add(STAGE, "pages")
        stats.skip(STAGE, "unreadable", source_name(path),
                   f"{type(exc).__name__}: {exc.strerror or exc}")
        return
    yield RawPage(source=source_name(path), format=fmt, data=data)


def _read_warc(path: InputFile, cfg: InputConfig, stats: Stats,
               part: tuple[int, int] | None = None) -> Iterator[RawPage]:
    name = source_name(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        stats.skip(STAGE, "unreadable", name, f"{type(exc).__name__}: {exc.strerror or exc}")
        return
    with stream:
        for rec in read_warc(stream, name, cfg.max_bytes, stats, part):
            yield RawPage(source=f"{name}@{rec.offset}", format="html", data=rec.data,
                          url=normalize_url(rec.url), charset=rec.charset, fetched=rec.fetched)


class _LineSource(Protocol):
    def readline(self, size: int = ..., /) -> bytes: ...


def _lines(stream: _LineSource, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; None for a line over *limit* bytes, which is never held."""
    lineno = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass  # drain the over-long line in 1 MB pieces
            yield lineno, None
        else:
            yield lineno, line


def _open_binary(path: InputFile) -> IO[bytes] | gzip.GzipFile:
    """A local or remote file opened for reading, gunzipped when its name ends in .gz."""
    # a local file with a 1 MB buffer: readline of a 150 KB page line copies 8 KB pieces with
    # the default one (326 gold-dev lines: 0.057 -> 0.016 CPU-s)
    raw = path.open("rb", buffering=1 << 20) if isinstance(path, Path) else path.open("rb")
    if not path.name.lower().endswith(".gz"):
        return raw
    return _Gunzip(raw)


class _Gunzip(gzip.GzipFile):
    """A GzipFile that closes the stream it reads from."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def _read_jsonl(path: InputFile, cfg: InputConfig, stats: Stats,
                lines: tuple[int, int] | None = None) -> Iterator[RawPage]:
    # A JSON string escapes each non-ASCII char to up to 6 bytes: allow headroom on the line,
    # the decoded content is checked against max_bytes in _finish.
    limit = 6 * cfg.max_bytes + 1024
    try:
        stream = _open_binary(path)
    except OSError as exc:
        stats.add(STAGE, "pages")
        stats.skip(STAGE, "unreadable", source_name(path),
                   f"{type(exc).__name__}: {exc.strerror or exc}")
        return
    lineno = 0
    name = source_name(path)
    with stream:
        try:
            for lineno, line in _lines(stream, limit):
                if lines is not None and not lines[0] <= lineno < lines[1]:
                    if lineno >= lines[1]:
                        break
                    continue  # another shard's line: skipped before it is parsed
                source = f"{name}:{lineno}"
                if line is None:
                    stats.add(STAGE, "pages")
                    stats.skip(STAGE, "too_large", source, f"line over {limit} bytes")
                    continue
                if not line.strip():
                    continue  # blank lines are not pages
                raw = _jsonl_record(line, source, stats)
                if raw is not None:
                    yield raw
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            reason = "truncated_gz" if isinstance(exc, EOFError) else "corrupt_gz"
            stats.skip(STAGE, reason, f"{name}:{lineno + 1}",
                       f"{exc}; kept the {lineno} lines before it")
        except OSError as exc:
            stats.skip(STAGE, "unreadable", f"{name}:{lineno + 1}",
                       f"{type(exc).__name__}: {exc.strerror or exc}")


# \uDxxx (a surrogate half, maybe lone) or \u0000: one scan of the line, not three
_RISKY_ESCAPE = re.compile(rb"\\u(?:[dD]|0000)")


def _fast_json(line: bytes) -> Any:
    """orjson's reading of *line* (326 gold-dev pages: 0.089 CPU-s, json.loads 0.12), or None
    where json.loads must decide: orjson refuses what json accepts (lone surrogate escapes,
    NaN, 1e400, invalid UTF-8) and reads an integer id past 64 bits as a float."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("id", obj.get("page_id")), float):
        return None
    return obj


def _jsonl_record(line: bytes, source: str, stats: Stats) -> RawPage | None:
    obj = _fast_json(line)
    if obj is None:
        try:
            try:  # JSON rejects raw control bytes itself: valid UTF-8 needs no binary check
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                decoded = decode_page(line)
                stats.add(STAGE, "replaced_chars", decoded.replaced)
                text = decoded.text
            obj = json.loads(text)
        except (DecodeError, ValueError, RecursionError) as exc:
            stats.add(STAGE, "pages")
            stats.skip(STAGE, "bad_json", source, str(exc)[:200])
            return None
    if not isinstance(obj, dict):
        stats.add(STAGE, "pages")
        stats.skip(STAGE, "bad_json", source, f"a JSON {type(obj).__name__}, expected an object")
        return None
    raw = _from_row(obj, source, stats)
    if raw is not None:  # JSON text can only make a lone surrogate or a NUL by escaping it
        raw.clean = _RISKY_ESCAPE.search(line) is None
    return raw


def _from_row(row: dict[str, Any], source: str, stats: Stats) -> RawPage | None:
    """A record with `html` or `text` (or our own `content` + `format`), optional id/url/lang."""
    html, text = row.get("html"), row.get("text")
    if isinstance(html, str):
        fmt, content = "html", html
    elif isinstance(text, str):
        fmt, content = "text", text
    elif isinstance(row.get("content"), str) and row.get("format") in ("text", "html"):
        fmt, content = row["format"], row["content"]
    else:
        stats.add(STAGE, "pages")
        stats.skip(STAGE, "missing_field", source, "no string `text` or `html` field")
        return None
    page_id = row.get("id", row.get("page_id"))
    lang = row.get("lang")
    return RawPage(
        source=source, format=fmt, content=content,
        page_id=_field(str(page_id)) if isinstance(page_id, str | int) and str(page_id) else None,
        url=normalize_url(_field(row.get("url"))),
        lang=(_field(lang).strip() or None) if isinstance(lang, str) else None,
    )


def _field(value: Any) -> Any:
    """A short string field with lone surrogates (from JSON escapes) replaced; others as given."""
    return replace_surrogates(value)[0] if isinstance(value, str) else value


def _iter_table_rows(batches: Iterator[pa.RecordBatch] | Iterator[dict[str, list[Any]]],
                     prefix: str, stats: Stats, row: int = 0) -> Iterator[RawPage]:
    """Pages of the rows, named `prefix:<row number>` counting from *row*."""
    for batch in batches:
        rows = batch.to_pylist() if isinstance(batch, pa.RecordBatch) else _dict_rows(batch)
        for rec in rows:
            raw = _from_row(rec, f"{prefix}:{row}", stats)
            row += 1
            if raw is not None:
                yield raw


def _dict_rows(batch: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(batch)
    return [dict(zip(keys, vals, strict=True)) for vals in zip(*batch.values(), strict=True)]


_ROW_COLUMNS = ("html", "text", "content", "format", "id", "page_id", "url", "lang")


def _read_parquet(path: InputFile, stats: Stats,
                  row_groups: tuple[int, int] | None = None) -> Iterator[RawPage]:
    """The rows of a Parquet file, or of the row groups [first, end) of it (a shard)."""
    try:
        pf = pq.ParquetFile(path if isinstance(path, Path) else path.open("rb"))
        columns = [c for c in _ROW_COLUMNS if c in pf.schema_arrow.names]
        if not {"html", "text", "content"} & set(columns):
            if row_groups is None or row_groups[0] == 0:  # said once, by the first shard
                stats.skip(STAGE, "missing_field", source_name(path),
                           "no `text`, `html` or `content` column")
            return
        first, end = row_groups or (0, pf.num_row_groups)
        meta = pf.metadata
        row = sum(meta.row_group(i).num_rows for i in range(first))
        batches = pf.iter_batches(batch_size=ROW_BATCH, columns=columns,
                                  row_groups=range(first, min(end, pf.num_row_groups)))
        yield from _iter_table_rows(batches, source_name(path), stats, row)
    except (OSError, pa.ArrowException) as exc:
        stats.skip(STAGE, "unreadable", source_name(path), f"{type(exc).__name__}: {exc}")


def _saved_parts(folder: Path) -> list[tuple[str, Any]]:
    """(source prefix, Dataset) of each split of a `save_to_disk` folder, in name order."""
    import datasets

    loaded = datasets.load_from_disk(str(folder))
    if isinstance(loaded, datasets.DatasetDict):
        return [(f"{folder}[{name}]", loaded[name]) for name in sorted(loaded)]
    return [(str(folder), loaded)]


def saved_dataset_rows(folder: Path) -> int | None:
    """Rows of a `save_to_disk` folder, all splits together (memory-mapped: nothing is
    decoded); None when it cannot be loaded (the reader then says why)."""
    try:
        return sum(int(ds.num_rows) for _, ds in _saved_parts(folder))
    except (OSError, ValueError):
        return None


def _read_hf(folder: Path, stats: Stats,
             rows: tuple[int, int] | None = None) -> Iterator[RawPage]:
    """A dataset saved with `save_to_disk`: memory-mapped Arrow, read ROW_BATCH rows at a time;
    *rows* (first, end): only those rows, counted over the splits in name order (a shard)."""
    try:
        parts = _saved_parts(folder)
    except (OSError, ValueError) as exc:
        stats.skip(STAGE, "unreadable", str(folder), f"{type(exc).__name__}: {exc}")
        return
    first, end = rows or (0, sum(ds.num_rows for _, ds in parts))
    offset = 0
    for prefix, ds in parts:
        a, b = max(first - offset, 0), min(end - offset, ds.num_rows)
        offset += ds.num_rows
        if a >= b:
            continue  # another shard's rows, or none
        if not {"html", "text", "content"} & set(ds.column_names):
            if a == 0:  # said once, by the shard with the split's first row
                stats.skip(STAGE, "missing_field", prefix, "no `text`, `html` or `content` column")
            continue
        keep = [c for c in _ROW_COLUMNS if c in ds.column_names]
        # a contiguous select is a slice of the memory-mapped table, not an index mapping
        ds = ds.select_columns(keep).select(range(a, b))
        yield from _iter_table_rows(ds.iter(batch_size=ROW_BATCH), prefix, stats, a)


def _count_repairs(decoded: Decoded, stats: Stats) -> str:
    if decoded.replaced:
        stats.add(STAGE, "pages_repaired")
        stats.add(STAGE, "replaced_chars", decoded.replaced)
    if decoded.nuls:
        stats.add(STAGE, "nul_chars_removed", decoded.nuls)
    return decoded.text


def _finish(raw: RawPage, cfg: InputConfig, stats: Stats) -> dict[str, Any] | None:
    """Decode and check one page; a PAGE_SCHEMA dict, or None after a counted skip."""
    is_html = raw.format == "html"
    if raw.data is not None:
        if len(raw.data) > cfg.max_bytes:
            stats.skip(STAGE, "too_large", raw.source, f"{len(raw.data)} bytes > {cfg.max_bytes}")
            return None
        try:
            decoded = decode_page(raw.data, html=is_html, declared=raw.charset)
        except DecodeError as exc:
            stats.skip(STAGE, "binary", raw.source, str(exc))
            return None
    else:
        content = raw.content or ""
        # a char is 1-4 UTF-8 bytes: encode only when the count is ambiguous
        if len(content) > cfg.max_bytes or (
            len(content) * 4 > cfg.max_bytes
            and len(content.encode("utf-8", "surrogatepass")) > cfg.max_bytes
        ):
            stats.skip(STAGE, "too_large", raw.source, f"over max_bytes {cfg.max_bytes}")
            return None
        try:
            decoded = Decoded(content, "str") if raw.clean else repair_text(content)
        except DecodeError as exc:
            stats.skip(STAGE, "binary", raw.source, str(exc))
            return None
    content = _count_repairs(decoded, stats)
    if not content or content.isspace():
        stats.skip(STAGE, "empty", raw.source, "empty or whitespace-only page")
        return None
    # a page of n characters has at most n + 1 lines: only long pages need counting
    lines = content.count("\n") + 1 if len(content) >= cfg.max_lines else 0
    if lines > cfg.max_lines:
        stats.skip(STAGE, "too_many_lines", raw.source, f"{lines} lines > {cfg.max_lines}")
        return None
    url = raw.url
    if is_html:
        has_text, canonical = page_checks(content)  # sniffed: segmentation parses it later
        if not has_text:
            stats.skip(STAGE, "no_text", raw.source, "HTML without a body or without any text")
            return None
        if url is None:
            url = canonical
    elif content[:1024].lstrip()[:14].lower().startswith(("<!doctype html", "<html")):
        stats.add(STAGE, "txt_looks_like_html")  # kept as text: the extension decides
    return {
        "page_id": raw.page_id or content_id(content),
        "url": url,
        "domain": domain_of(url),
        "source": raw.source,
        "lang": raw.lang,
        "format": raw.format,
        "content": content,
        "fetched": raw.fetched,
    }
