"""The filter stage as one task per segments/ file: human labels joined, filters applied, the
kept and rejected rows written by the task itself under names that keep the file order
(`part-<file>-<n>.parquet`); the parent only resolves the human labels, commits the folders
and adds up the counts. The standalone `curation filter` and `curation run` share it."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curation.config import RunConfig
from curation.filter.base import REJECT_SCHEMA, apply_filters, bind_filters
from curation.filter.human import apply_human_labels, load_human_labels
from curation.io.atomic import atomic_dir, prepare_output
from curation.io.parquet import ShardWriter, shard_paths
from curation.publish.hf import Mapper, group_rows, in_this_process
from curation.schema import SEGMENT_SCHEMA, check_schema
from curation.stats import Stats

BATCH_ROWS = 65_536


@dataclass(frozen=True)
class FilterPart:
    """One segments/ file and the (temporary) folders its kept and rejected rows go to."""

    index: int
    source: str
    kept: str
    rejects: str | None


def filter_part(part: FilterPart, cfg: RunConfig, human: pa.Table | None,
                count_for_publish: bool = False) -> dict[str, Any]:
    """Filter one segments file; returns the kept and rejected counts and the filter stats,
    and with *count_for_publish* publish's first pass over each kept file it wrote (by file
    name), while the file is still in the page cache: publish then needs no pass of its own."""
    stats = Stats()
    filters = bind_filters(cfg.filter.filters, cfg)
    name = f"part-{part.index:05d}"
    kept_w = ShardWriter(Path(part.kept), SEGMENT_SCHEMA, cfg.publish.shard_rows, prefix=name)
    rej_w = (ShardWriter(Path(part.rejects), REJECT_SCHEMA, cfg.publish.shard_rows, prefix=name)
             if part.rejects is not None else None)
    rejected = 0
    try:
        pf = pq.ParquetFile(part.source)
        check_schema(pf.schema_arrow, SEGMENT_SCHEMA, part.source)
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            table = apply_human_labels(pa.Table.from_batches([batch]), human)
            kept, dropped = apply_filters(table, filters, stats)
            kept_w.write(kept)
            rejected += dropped.num_rows
            if rej_w is not None:
                rej_w.write(dropped)
    finally:
        kept_w.close()
        if rej_w is not None:
            rej_w.close()
    res = {"kept": kept_w.rows, "rejected": rejected, "stats": stats.to_dict()}
    if count_for_publish:
        res["publish_counts"] = {p.name: group_rows(str(p), list(cfg.labels))
                                 for p in kept_w.shards}
    return res


def filter_stage_folders(segments_dir: Path, filtered_dir: Path, rejects_dir: Path | None,
                         cfg: RunConfig, stats: Stats, human_dir: Path | None = None,
                         overwrite: bool = False, mapper: Mapper = in_this_process,
                         publish_counts: dict[str, dict[str, Any]] | None = None
                         ) -> dict[str, int]:
    """segments/ -> filtered/ (+ rejects/ when given), both committed atomically, with the
    human labels under *human_dir* joined; *mapper* runs the per-file tasks. Returns the kept
    and rejected row counts. A *publish_counts* dict is filled with publish's first pass over
    each filtered/ file (by name), counted by the tasks that wrote them."""
    bind_filters(cfg.filter.filters, cfg)  # a bad filter fails before any output is touched
    prepare_output(filtered_dir, overwrite)
    if rejects_dir is not None:
        prepare_output(rejects_dir, overwrite)
    sources = shard_paths(segments_dir)
    human = (load_human_labels(human_dir, segments_dir, stats) if human_dir is not None
             else None)
    stats.add("filter", "human_labels", 0 if human is None else human.num_rows)
    with ExitStack() as stack:
        kept_tmp = stack.enter_context(atomic_dir(filtered_dir))
        rej_tmp = (stack.enter_context(atomic_dir(rejects_dir)) if rejects_dir is not None
                   else None)
        parts = [FilterPart(i, str(src), str(kept_tmp), None if rej_tmp is None else str(rej_tmp))
                 for i, src in enumerate(sources)]
        results = mapper(partial(filter_part, cfg=cfg, human=human,
                                 count_for_publish=publish_counts is not None), parts)
    for res in results:  # in file order: the same stats whichever worker ran a part
        stats.merge(Stats.from_dict(res["stats"]))
        if publish_counts is not None:
            publish_counts.update(res["publish_counts"])
    return {"kept": sum(r["kept"] for r in results),
            "rejected": sum(r["rejected"] for r in results)}
