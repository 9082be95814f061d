"""The stages chained: ingest -> segment -> language -> pre-label -> filter -> publish.

Each stage is a plain function; `process_batch` is the pure per-batch step (pages in, pages
with language + pre-labelled segments out) that each shard worker runs (in-process, in a
process pool, or as a Ray task: `curation.run`). Outputs stream batch by batch, so memory does
not grow with the number of pages, and every output folder is written atomically."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.config import RunConfig, dump_config
from curation.human.store import store_dir
from curation.io.atomic import atomic_dir, is_complete, prepare_output
from curation.io.ingest import ingest
from curation.io.parquet import ShardWriter, conform, iter_batches
from curation.io.store import output_store
from curation.label import LabelReport
from curation.process import label_pages, label_segments, process_batch
from curation.resolve import resolve
from curation.run.outputs import claim_output, output_lock
from curation.run.shards import record_report
from curation.schema import PAGE_SCHEMA, SEGMENT_SCHEMA
from curation.segment.pages import segment_with_language
from curation.stats import Stats


def config_hash(cfg: RunConfig) -> str:
    return hashlib.sha256(dump_config(cfg).encode()).hexdigest()[:16]


def out_dir(cfg: RunConfig) -> Path:
    return cfg.resolve(cfg.output)


def _write_stage(cfg: RunConfig, name: str, schema: pa.Schema, tables: Iterator[pa.Table],
                 overwrite: bool, shard_rows: int) -> int:
    """Stream *tables* into the stage folder out/<name>/, atomically; returns the rows."""
    target = out_dir(cfg) / name
    claim_output(out_dir(cfg))
    with output_lock(out_dir(cfg), f"curation {name}"):
        prepare_output(target, overwrite)
        with atomic_dir(target, {"config": config_hash(cfg)}) as tmp:
            w = ShardWriter(tmp, schema, shard_rows)
            try:
                for table in tables:
                    w.write(table)
            finally:
                w.close()
    return w.rows


def ingest_stage(cfg: RunConfig, stats: Stats, overwrite: bool = False) -> int:
    """`curation ingest`: raw inputs -> pages/ (PAGE_SCHEMA, language identified)."""

    def pages() -> Iterator[pa.Table]:
        for batch in ingest(cfg, stats):
            rows, _ = segment_with_language(batch.to_pylist(), cfg)
            yield pa.Table.from_pylist(rows, schema=PAGE_SCHEMA)

    return _write_stage(cfg, "pages", PAGE_SCHEMA, pages(), overwrite, 50_000)


def segment_stage(cfg: RunConfig, stats: Stats, overwrite: bool = False) -> int:
    """`curation segment`: pages/ -> segmented/ (SEGMENT_SCHEMA without labels)."""

    def segments() -> Iterator[pa.Table]:
        for batch in iter_batches(out_dir(cfg) / "pages", PAGE_SCHEMA, cfg.batch_pages):
            yield segment_with_language(batch.to_pylist(), cfg)[1]

    rows = _write_stage(cfg, "segmented", SEGMENT_SCHEMA, segments(), overwrite,
                        cfg.publish.shard_rows)
    stats.add("segment", "segments", rows)
    return rows


def prelabel_stage(cfg: RunConfig, stats: Stats, overwrite: bool = False) -> int:
    """`curation prelabel`: segmented/ -> segments/ (votes, prelabel, confidence)."""
    stats.notes["model"] = resolve(cfg).model_summary()

    def labelled() -> Iterator[pa.Table]:
        for table in _page_grouped(iter_batches(out_dir(cfg) / "segmented", SEGMENT_SCHEMA)):
            report = LabelReport()
            yield label_segments(conform(table, SEGMENT_SCHEMA), cfg, report)
            record_report(stats, report)

    return _write_stage(cfg, "segments", SEGMENT_SCHEMA, labelled(), overwrite,
                        cfg.publish.shard_rows)


def filter_stage(cfg: RunConfig, stats: Stats, overwrite: bool = False) -> dict[str, int]:
    """`curation filter`: segments/ (+ human_labels/) -> filtered/ and rejects/, holding the
    output folder's lock, the files spread over the configured workers."""
    from curation.run.engine import open_engine
    from curation.run.filter_parts import filter_stage_folders

    out = out_dir(cfg)
    claim_output(out)
    with output_lock(out, "curation filter"):
        engine = open_engine(cfg.engine, cfg.workers, cfg.ray_address)
        try:
            kept = filter_stage_folders(
                out / "segments", out / "filtered",
                out / "rejects" if cfg.filter.write_rejects else None, cfg, stats,
                human_dir=store_dir(cfg), overwrite=overwrite, mapper=engine.map)
        finally:
            engine.close()
        _to_store(cfg, out, "filtered", "rejects")
        return kept


def publish_stage(cfg: RunConfig, stats: Stats, overwrite: bool = False) -> dict[str, Any]:
    """`curation publish`: filtered/ -> dataset/, holding the output folder's lock; sites that
    share a near-duplicate cluster of the last `curation run` go to one split, as in the run."""
    from curation.publish import publish_dataset
    from curation.run.driver import near_duplicate_groups
    from curation.run.engine import open_engine

    out = out_dir(cfg)
    claim_output(out)
    with output_lock(out, "curation publish"):
        merges, near = near_duplicate_groups(out)
        engine = open_engine(cfg.engine, cfg.workers, cfg.ray_address)
        try:
            summary = publish_dataset(out / "filtered", out / "dataset", cfg, stats, overwrite,
                                      group_merges=merges, near_duplicates=near,
                                      mapper=engine.map, workers=engine.workers)
        finally:
            engine.close()
        _to_store(cfg, out, "dataset")
        return summary


def _to_store(cfg: RunConfig, out: Path, *folders: str) -> None:
    """A standalone stage's finished folders to the store of an url output (a stage runs in
    the staging folder, as `curation run` does)."""
    store = output_store(cfg.output, cfg.storage_options)
    if store is None:
        return
    with store.lease(f"curation {', '.join(folders)}"):
        for name in folders:
            if is_complete(out / name):
                store.replace_folder(out / name, name)


def _page_grouped(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """Re-chunk record batches so that no page is split across two tables (rules look at
    neighbours and repetition within a page)."""
    carry: pa.Table | None = None
    for batch in batches:
        table = pa.Table.from_batches([batch])
        if carry is not None:
            table = pa.concat_tables([carry, table])
        if table.num_rows == 0:
            continue
        last = table.column("page_id")[-1].as_py()
        ids = table.column("page_id").to_pylist()
        cut = len(ids)
        while cut > 0 and ids[cut - 1] == last:
            cut -= 1
        if cut:
            yield table.slice(0, cut)
        carry = table.slice(cut)
    if carry is not None and carry.num_rows:
        yield carry


def run(cfg: RunConfig, overwrite: bool = False, resume: bool = False) -> dict[str, Any]:
    """`curation run`: every stage, then stats.json and run_config.yaml next to the outputs.

    The inputs are cut into shards that workers (processes, or Ray tasks with `engine: ray`)
    process and commit on their own; with *resume*, finished and current shards and stages are
    kept and only the rest runs (see `curation.run.driver`)."""
    from curation.run.driver import run_sharded

    resolved = resolve(cfg)  # a bad name or file fails before any input is read
    return run_sharded(cfg, out_dir(cfg), process_batch, overwrite=overwrite, resume=resume,
                       notes={"model": resolved.model_summary()})

__all__ = [
    "label_pages",
    "process_batch",
    "run",
    "ingest_stage",
    "segment_stage",
    "prelabel_stage",
    "filter_stage",
    "publish_stage",
    "segment_with_language",
]
