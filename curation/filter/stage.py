"""The filter stage on disk: segments/ -> (human labels, filters) -> filtered/ + rejects/."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa

from curation.config import RunConfig
from curation.filter.base import REJECT_SCHEMA, apply_filters, bind_filters
from curation.filter.human import apply_human_labels, load_human_labels
from curation.io.atomic import atomic_dir, prepare_output
from curation.io.parquet import ShardWriter, iter_batches
from curation.schema import SEGMENT_SCHEMA
from curation.stats import Stats


def filter_segments(segments_dir: Path, filtered_dir: Path, rejects_dir: Path | None,
                    cfg: RunConfig, stats: Stats, human_dir: Path | None = None,
                    overwrite: bool = False, batch_rows: int = 65_536) -> dict[str, int]:
    """Stream segment shards through apply_human_labels + cfg.filter; write both outputs
    atomically (rejects only when *rejects_dir* is given). Returns kept/rejected row counts."""
    filters = bind_filters(cfg.filter.filters, cfg)  # checked before any output is touched
    prepare_output(filtered_dir, overwrite)
    if rejects_dir is not None:
        prepare_output(rejects_dir, overwrite)
    human = (load_human_labels(human_dir, segments_dir, stats) if human_dir is not None
             else None)
    stats.add("filter", "human_labels", 0 if human is None else human.num_rows)
    with ExitStack() as stack:
        kept_tmp = stack.enter_context(atomic_dir(filtered_dir))
        kept_w = ShardWriter(kept_tmp, SEGMENT_SCHEMA, cfg.publish.shard_rows)
        rej_w = None
        n_rejected = 0
        if rejects_dir is not None:
            rej_w = ShardWriter(stack.enter_context(atomic_dir(rejects_dir)), REJECT_SCHEMA,
                                cfg.publish.shard_rows)
        try:
            for batch in iter_batches(segments_dir, SEGMENT_SCHEMA, batch_rows):
                table = apply_human_labels(pa.Table.from_batches([batch]), human)
                kept, rejected = apply_filters(table, filters, stats)
                kept_w.write(kept)
                n_rejected += rejected.num_rows
                if rej_w is not None:
                    rej_w.write(rejected)
        finally:
            kept_w.close()
            if rej_w is not None:
                rej_w.close()
    return {"kept": kept_w.rows, "rejected": n_rejected}
