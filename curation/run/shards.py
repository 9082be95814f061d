"""Shards: the unit of work, of commit and of resume.

The inputs are cut into shards: runs of consecutive input files, about `batch_pages` files and
at most SHARD_BYTES bytes, cut where a file's name hashes to a boundary; a bigger file is cut
into ranges (JSONL lines, Parquet row groups, WARC records, rows of a saved HF dataset), so
one huge input uses every worker.
A worker reads its shard's inputs itself, runs the per-batch step and writes the shard's pages
and segments into a temporary folder, with its manifest entry (inputs, the config key of the
stages that made it, counts, skips, timings); one rename commits the whole shard. A shard's id
hashes its inputs (path, size, mtime) and the key, so a rerun finds exactly the shards that are
finished and current."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.config import RunConfig
from curation.dedup import SIGNATURE_SCHEMA, signatures
from curation.io.ingest import pages_to_batches
from curation.io.parquet import ShardWriter
from curation.io.readers import (
    JSONL_EXT,
    PARQUET_EXT,
    InputFile,
    iter_pages,
    resolve_inputs,
    saved_dataset_rows,
)
from curation.io.store import ENTRY, output_store
from curation.io.warc import WARC_EXT, record_starts
from curation.publish.splits import group_keys
from curation.run.manifest import digest, file_fingerprint
from curation.run.outputs import inside
from curation.run.progress import peak_rss_mb
from curation.schema import PAGE_SCHEMA, SEGMENT_SCHEMA
from curation.stats import Stats

SHARD_BYTES = 16 << 20  # a shard stops growing here (a few hundred typical HTML pages)
# Shards are sized by the pages they hold, not the bytes they read: a gzipped input is taken as
# this many times its size (HTML and WARC compress ~4-5x; gold-dev's JSONL 4.5x). Counting its
# compressed bytes gave a shard of .jsonl.gz ~4.5x the pages, and its worker that much memory.
GZIP_RATIO = 4
PAGES_PREFIX, SEGMENTS_PREFIX, MINHASH_PREFIX = "pages", "segments", "minhash"
# a page's MinHash with its split group (site or page), so that clustering needs no other file
SHARD_SIGNATURE_SCHEMA = SIGNATURE_SCHEMA.append(pa.field("group", pa.string()))


class Report(Protocol):
    @property
    def votes(self) -> Mapping[str, int]: ...
    @property
    def faults(self) -> Mapping[str, int]: ...
    @property
    def langs_without_cues(self) -> Mapping[str, int]: ...


class StepResult(Protocol):
    """What the per-batch step gives back (read-only view of process.BatchResult)."""

    @property
    def pages(self) -> pa.Table: ...
    @property
    def segments(self) -> pa.Table: ...
    @property
    def report(self) -> Report: ...


Step = Callable[[pa.RecordBatch, RunConfig], StepResult]


@dataclass(frozen=True)
class ShardSpec:
    """One shard: its place in the run, its id and its inputs with their fingerprints."""

    index: int
    id: str
    paths: tuple[str, ...]
    fingerprints: tuple[str, ...]
    bytes: int
    # a range of one big file: JSONL line numbers, Parquet row groups or WARC byte offsets
    part: tuple[int, int] | None = None


def _size(path: InputFile) -> int:
    return sum(f[1] for f in file_fingerprint(path))


def _expansion(path: InputFile) -> int:
    """How many bytes of pages one byte of *path* is planned as (see GZIP_RATIO)."""
    return GZIP_RATIO if path.name.lower().endswith(".gz") else 1


def plan_inputs(specs: Iterable[str], out: Path, stats: Stats) -> list[InputFile]:
    """The run's input files, without anything under the output folder (a previous run's
    outputs are never read back as pages; each excluded entry is counted)."""
    inputs: list[InputFile] = []
    for path in resolve_inputs(list(specs), stats):
        if isinstance(path, Path) and inside(path, out):
            stats.skip("ingest", "inside_output", str(path), f"under the output folder {out}")
            continue
        inputs.append(path)
    return inputs


def _ends_shard(path: InputFile, files_per_shard: int) -> bool:
    """A boundary chosen by the file's own name (content-defined chunking): adding or deleting
    an input moves only the boundaries next to it, so the other shards stay finished."""
    name = str(path).encode("utf-8", "surrogateescape")  # remote urls; non-UTF-8 file names
    h = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big")
    return h % files_per_shard == 0


def count_lines(path: InputFile) -> int:
    """Lines of a JSONL(.gz) file, local or remote, counted in 1 MB blocks (a damaged gzip:
    the lines before the damage)."""
    n, last = 0, b"\n"
    try:
        with path.open("rb") as raw:
            fh = gzip.GzipFile(fileobj=raw) if path.name.lower().endswith(".gz") else raw
            while block := fh.read(1 << 20):
                n += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError, zlib.error):
        pass  # the reader counts the damage with its place; the shards cover what is readable
    return n + (last != b"\n")


def _ranges(starts: list[int], end: int) -> list[tuple[int, int]]:
    return [(a, b) for a, b in zip(starts, [*starts[1:], end], strict=True)]


def _line_ranges(path: InputFile, size: int, shard_bytes: int) -> list[tuple[int, int]]:
    """(first, end) line numbers cutting a big JSONL file into pieces of about *shard_bytes*."""
    n = count_lines(path)
    per = max(1, -(-n * shard_bytes // max(size, 1)))
    return _ranges(list(range(1, n + 1, per)) or [1], n + 1)


def _row_group_ranges(path: InputFile, size: int, shard_bytes: int) -> list[tuple[int, int]]:
    """(first, end) row groups of a big Parquet file, about *shard_bytes* of it each (its row
    groups are the smallest pieces; an unreadable footer: one piece, the reader says why)."""
    try:
        with path.open("rb") as fh:
            groups = pq.ParquetFile(fh).metadata.num_row_groups
    except (OSError, pa.ArrowException):
        return [(0, 1 << 30)]
    per = max(1, -(-groups * shard_bytes // max(size, 1)))
    return _ranges(list(range(0, groups, per)) or [0], max(groups, 1))


def _record_ranges(path: InputFile, size: int, shard_bytes: int) -> list[tuple[int, int]]:
    """(start, end) byte offsets of a big WARC file, each starting at a record (a WARC gzipped
    whole has none to start at: one piece)."""
    try:
        with path.open("rb") as fh:
            starts = record_starts(fh, list(range(shard_bytes, size, shard_bytes)))
    except OSError:
        starts = []
    return _ranges([0, *starts], size + 1)


def _saved_dataset_ranges(folder: Path, size: int, shard_bytes: int
                          ) -> list[tuple[int, int]] | None:
    """(first, end) rows of a big `save_to_disk` folder, all splits in name order, about
    *shard_bytes* of it each; None when it cannot be loaded (one piece: the reader says why)."""
    n = saved_dataset_rows(folder)
    if not n:
        return None
    per = max(1, -(-n * shard_bytes // max(size, 1)))
    return _ranges(list(range(0, n, per)), n)


def _big_file_ranges(path: InputFile, size: int, shard_bytes: int
                     ) -> list[tuple[int, int]] | None:
    """The ranges a file bigger than a shard is cut into; None for a format read whole."""
    name = path.name.lower()
    if isinstance(path, Path) and path.is_dir():  # resolve_inputs gives only saved datasets
        return _saved_dataset_ranges(path, size, shard_bytes)
    if not path.is_file():
        return None
    if name.endswith(JSONL_EXT):
        return _line_ranges(path, size, shard_bytes)
    if name.endswith(PARQUET_EXT):
        return _row_group_ranges(path, size, shard_bytes)
    if name.endswith(WARC_EXT):
        return _record_ranges(path, size, shard_bytes)
    return None


def plan_shards(inputs: list[InputFile], files_per_shard: int, key: str,
                shard_bytes: int | None = None) -> list[ShardSpec]:
    """Cut *inputs* (in their order) into shards of consecutive files, about *files_per_shard*
    files each (at most four times that, and about *shard_bytes* bytes); a JSONL, Parquet or
    WARC file or a saved HF dataset bigger than that becomes shards of line, row group, record
    or row ranges."""
    limit = shard_bytes or SHARD_BYTES
    specs: list[ShardSpec] = []
    group: list[tuple[InputFile, str, int]] = []  # path, fingerprint, bytes
    planned = 0  # the group's bytes of pages (gzipped files counted expanded)

    def close() -> None:
        nonlocal planned
        if group:
            specs.append(ShardSpec(index=len(specs), id=digest(key, [fp for _, fp, _ in group]),
                                   paths=tuple(str(p) for p, _, _ in group),
                                   fingerprints=tuple(fp for _, fp, _ in group),
                                   bytes=sum(s for _, _, s in group)))
            group.clear()
            planned = 0

    for path in inputs:
        fp = digest(str(path.resolve()), file_fingerprint(path))
        size, expansion = _size(path), _expansion(path)
        # the file's own bytes that make a full shard of pages (fewer when it is gzipped)
        file_limit = max(1, limit // expansion)
        ranges = _big_file_ranges(path, size, file_limit) if size > file_limit else None
        if ranges:
            close()
            for part in ranges:
                part_fp = digest(fp, part)
                specs.append(ShardSpec(index=len(specs), id=digest(key, [part_fp]),
                                       paths=(str(path),), fingerprints=(part_fp,),
                                       bytes=size // len(ranges), part=part))
            continue
        if group and planned + size * expansion > limit:
            close()
        group.append((path, fp, size))
        planned += size * expansion
        if _ends_shard(path, files_per_shard) or len(group) >= 4 * files_per_shard:
            close()
    close()
    return specs


def record_report(stats: Stats, report: Report) -> None:
    """The label report of a batch, as counts."""
    for name, n in report.votes.items():
        stats.add("prelabel.votes", name, n)
    for name, n in report.faults.items():
        stats.add("prelabel", f"rule_fault:{name}", n)
    for lang, n in report.langs_without_cues.items():
        stats.add("prelabel", f"no_cue_words:{lang}", n)


def _signatures(res: StepResult) -> pa.Table:
    """The batch's page signatures, each with its page's split group."""
    sigs = signatures(res.segments)
    at = pc.index_in(sigs["page_id"], value_set=res.pages["page_id"].combine_chunks())
    return sigs.append_column("group", pc.take(group_keys(res.pages), at))


def run_shard(spec: ShardSpec, cfg: RunConfig, root: str, step: Step) -> dict[str, Any]:
    """Read, process and commit one shard under *root*; returns its manifest entry. Runs in a
    worker: only the entry (a small dict) goes back to whoever scheduled it."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    stats = Stats()
    final = Path(root) / spec.id
    tmp = Path(root) / f".{spec.id}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pages_w = ShardWriter(tmp, PAGE_SCHEMA, 1 << 40, prefix=PAGES_PREFIX)
    segments_w = ShardWriter(tmp, SEGMENT_SCHEMA, cfg.publish.shard_rows, prefix=SEGMENTS_PREFIX)
    minhash_w = ShardWriter(tmp, SHARD_SIGNATURE_SCHEMA, 1 << 40, prefix=MINHASH_PREFIX)
    try:
        pages = iter_pages(list(spec.paths), cfg.input, stats, spec.part)
        for batch in pages_to_batches(pages, cfg.batch_pages):
            res = step(batch, cfg)
            pages_w.write(res.pages)
            segments_w.write(res.segments)
            minhash_w.write(_signatures(res))
            record_report(stats, res.report)
            for key, n in getattr(res, "segment_counts", {}).items():
                stats.add("segment", key, n)  # segments cut, tags flattened (when any)
    finally:
        pages_w.close()
        segments_w.close()
        minhash_w.close()
    stats.add("segment", "pages", pages_w.rows)
    stats.add("segment", "segments", segments_w.rows)
    entry = {
        "id": spec.id, "index": spec.index, "inputs": list(spec.paths), "part": spec.part,
        "fingerprints": list(spec.fingerprints), "bytes": spec.bytes,
        "pages": pages_w.rows, "segments": segments_w.rows,
        "files": {"pages": [p.name for p in pages_w.shards],
                  "segments": [p.name for p in segments_w.shards],
                  "minhash": [p.name for p in minhash_w.shards]},
        "stats": stats.to_dict(),
        "timing": {"wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0,
                   "peak_rss_mb": peak_rss_mb(), "pid": os.getpid()},
    }
    (tmp / ENTRY).write_text(json.dumps(entry), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)  # a leftover of the same shard, never committed
    os.replace(tmp, final)  # the commit: the shard is there whole, or not at all
    store = output_store(cfg.output, cfg.storage_options)
    if store is not None:  # the worker copies its own shard to the store (entry last)
        store.push_shard(final, spec.id)
    return entry


def read_entry(root: Path, spec: ShardSpec) -> dict[str, Any] | None:
    """The committed entry of *spec*, or None when the shard is not finished."""
    try:
        entry = json.loads((root / spec.id / ENTRY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("fingerprints") != list(spec.fingerprints):
        return None
    return entry


def clear_leftovers(root: Path, keep: set[str]) -> int:
    """Remove temporaries of killed workers and shards no longer in the plan; returns how many."""
    if not root.is_dir():
        return 0
    gone = 0
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
            gone += 1
    return gone
