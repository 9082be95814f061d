"""The per-batch step on Ray Data, for runs that outgrow one machine (`engine: ray`).

The same pure function as in-process (`pipeline.process_batch`) runs as a Ray Data
`map_batches` step; the driver keeps doing what must stay ordered and atomic: reading the raw
inputs (our readers: encodings, skips with reasons) and writing the stage outputs. Raw pages
are staged as Parquet next to the outputs so that Ray reads them in parallel; on a cluster the
output folder must be on storage every node can read (and `ray_address` set)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.io.parquet import ShardWriter
from curation.label import LabelReport
from curation.schema import PAGE_SCHEMA, SEGMENT_SCHEMA

_SEGMENTS = "__segments"
_REPORT = "__report"


def _step(batch: pa.Table, cfg: RunConfig) -> pa.Table:
    """Ray worker: process_batch, packed into one table (one row per page, its segments
    nested, the batch's label report on the first row) because map_batches returns one."""
    from curation.pipeline import process_batch

    res = process_batch(batch, cfg)  # all of the batch's chunks, not only the first
    seg_struct = pa.StructArray.from_arrays(
        [c.combine_chunks() for c in res.segments.columns], names=res.segments.column_names)
    # segments are in page order: split them into one list per page
    ids = res.segments.column("page_id").to_pylist()
    offsets = [0]
    for pid in res.pages.column("page_id").to_pylist():
        end = offsets[-1]
        while end < len(ids) and ids[end] == pid:
            end += 1
        offsets.append(end)
    nested = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), seg_struct)
    report = json.dumps({"votes": res.report.votes, "faults": res.report.faults,
                         "langs": res.report.langs_without_cues})
    reports = pa.array([report] + [None] * (res.pages.num_rows - 1), pa.string())
    return res.pages.append_column(_SEGMENTS, nested).append_column(_REPORT, reports)


def _unpack(table: pa.Table) -> tuple[pa.Table, pa.Table, LabelReport]:
    pages = table.drop_columns([_SEGMENTS, _REPORT]).cast(PAGE_SCHEMA)
    flat = table.column(_SEGMENTS).combine_chunks().flatten()
    segments = pa.Table.from_struct_array(flat) if len(flat) else SEGMENT_SCHEMA.empty_table()
    report = LabelReport()
    for raw in table.column(_REPORT).drop_null().to_pylist():
        data = json.loads(raw)
        report.votes.update(data["votes"])
        report.faults.update(data["faults"])
        report.langs_without_cues.update(data["langs"])
    return pages, segments.cast(SEGMENT_SCHEMA), report


def map_batches_on_ray(batches: Iterator[pa.RecordBatch], cfg: RunConfig, staging: Path
                       ) -> Iterator[tuple[pa.Table, pa.Table, LabelReport]]:
    """Stage *batches* as Parquet in *staging*, run the step on Ray Data in input order, and
    yield (pages, segments, report) per output batch. *staging* is removed afterwards."""
    try:
        import ray
    except ImportError:
        raise ConfigError("engine: ray needs Ray Data: pip install 'curation[ray]'") from None
    shutil.rmtree(staging, ignore_errors=True)
    writer = ShardWriter(staging, PAGE_SCHEMA, cfg.batch_pages * 16)
    try:
        for batch in batches:
            writer.write(pa.Table.from_batches([batch]))
    finally:
        writer.close()
    if writer.rows == 0:
        shutil.rmtree(staging, ignore_errors=True)
        return
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # our own progress bar reports
    started = not ray.is_initialized()
    if started:
        init: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                "configure_logging": False}
        if cfg.ray_address:
            init["address"] = cfg.ray_address
        else:
            init["num_cpus"] = cfg.workers
        ray.init(**init)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # outputs in input order, like in-process
        ctx.enable_progress_bars = False
        ds = ray.data.read_parquet(str(staging), file_extensions=["parquet"])
        out = ds.map_batches(_step, batch_format="pyarrow", batch_size=cfg.batch_pages,
                             fn_kwargs={"cfg": cfg})
        for batch in out.iter_batches(batch_format="pyarrow", batch_size=None):
            yield _unpack(batch)
    finally:
        if started:
            ray.shutdown()
        shutil.rmtree(staging, ignore_errors=True)
