"""Publish: filtered segment shards -> a Hugging Face dataset folder (Parquet + card), written
atomically in two streaming passes (1: rows per site, 2: write), so memory grows with the
number of sites, not of segments."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curation.config import RunConfig, dump_config
from curation.errors import InputError
from curation.io.atomic import atomic_dir, prepare_output
from curation.io.parquet import ShardWriter, iter_batches
from curation.publish.card import render_card
from curation.publish.splits import apply_merges, assign_splits, group_keys
from curation.schema import DATASET_COLUMNS, DATASET_SCHEMA, SEGMENT_SCHEMA
from curation.stats import Stats
from curation.version import __version__

LISTED_SKIPS_PER_BATCH = 20  # the rest of a batch's bad rows are counted, not listed


def _usable(batch: pa.RecordBatch, labels: pa.Array) -> pa.Array:
    """Rows whose label is one of the configured labels (others cannot be a ClassLabel)."""
    return pc.fill_null(pc.is_in(batch["label"], value_set=labels), False)


def _count_skips(batch: pa.RecordBatch, usable: pa.Array, stats: Stats) -> None:
    bad = batch.filter(pc.invert(usable))
    for i, (sid, label) in enumerate(zip(bad["segment_id"].to_pylist(),
                                         bad["label"].to_pylist(), strict=True)):
        reason = "no_label" if label is None else "unknown_label"
        if i < LISTED_SKIPS_PER_BATCH:
            stats.skip("publish", reason, sid, "" if label is None else repr(label))
        else:
            stats.add("publish", f"skipped:{reason}")


def _write_exact(writer: ShardWriter, table: pa.Table, shard_rows: int) -> None:
    """Write in slices that fill each shard to exactly *shard_rows* (ShardWriter only rolls
    between writes, and a batch can hold far more rows than a shard should)."""
    offset = 0
    while offset < table.num_rows:
        room = shard_rows - writer.rows % shard_rows
        writer.write(table.slice(offset, room))
        offset += room


def _count(target: dict[str, Counter[str]], split: str, column: pa.Array) -> None:
    vc = pc.value_counts(pc.fill_null(column, "none"))
    for value, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(),
                        strict=True):
        target.setdefault(split, Counter())[value] += n


def publish_dataset(segments_dir: Path, out_dir: Path, cfg: RunConfig, stats: Stats,
                    overwrite: bool = False, group_merges: dict[str, str] | None = None,
                    near_duplicates: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write SEGMENT_SCHEMA shards in *segments_dir* as a site-split HF dataset at *out_dir*;
    return the counts (rows per split, label, language, label source)."""
    prepare_output(out_dir, overwrite)
    labels = pa.array(cfg.labels, pa.string())

    # pass 1: rows per group (site or page)
    group_rows: Counter[str] = Counter()
    for batch in iter_batches(segments_dir, SEGMENT_SCHEMA, columns=["page_id", "domain", "label"]):
        keys = apply_merges(group_keys(batch.filter(_usable(batch, labels))), group_merges)
        vc = pc.value_counts(keys)
        group_rows.update(dict(zip(vc.field("values").to_pylist(),
                                   vc.field("counts").to_pylist(), strict=True)))
    if not group_rows:
        raise InputError(f"nothing to publish: no segment in {segments_dir} has a label in "
                         f"labels ({', '.join(cfg.labels)}); run prelabel/filter first")
    assignment = assign_splits(group_rows, cfg.publish.splits)
    splits = [s for s in cfg.publish.splits if s in assignment.values()]
    key_set = pa.array(list(assignment), pa.string())
    split_of_key = pa.array([splits.index(assignment[k]) for k in assignment], pa.int32())

    # pass 2: write each row to its group's split
    summary: dict[str, Any] = {
        "out_dir": str(out_dir), "rows": 0, "splits": dict.fromkeys(splits, 0),
        "groups": {s: sum(1 for v in assignment.values() if v == s) for s in splits},
        "bytes": dict.fromkeys(splits, 0), "labels_per_split": {s: Counter() for s in splits},
        "langs_per_split": {s: Counter() for s in splits},
        "label_sources_per_split": {s: Counter() for s in splits},
    }
    skipped_before = {k: n for k, n in stats.counts.get("publish", Counter()).items()
                      if k.startswith("skipped:")}
    with atomic_dir(out_dir, marker={"curation": __version__, "kind": "dataset"}) as tmp:
        writers = {s: ShardWriter(tmp / "data" / s, DATASET_SCHEMA, cfg.publish.shard_rows)
                   for s in splits}
        try:
            for batch in iter_batches(segments_dir, SEGMENT_SCHEMA):
                usable = _usable(batch, labels)
                _count_skips(batch, usable, stats)
                table = pa.Table.from_batches([batch.filter(usable)])
                keys = apply_merges(group_keys(table), group_merges)  # near-copies: one split
                split_idx = pc.take(split_of_key, pc.index_in(keys, key_set))
                for i, split in enumerate(splits):
                    part = table.filter(pc.equal(split_idx, i))
                    if part.num_rows == 0:
                        continue
                    part = part.select(DATASET_COLUMNS).append_column(
                        "split", pa.array([split] * part.num_rows, pa.string()))
                    _write_exact(writers[split], part, cfg.publish.shard_rows)
                    summary["bytes"][split] += part.nbytes
                    summary["splits"][split] += part.num_rows
                    _count(summary["labels_per_split"], split, part["label"])
                    _count(summary["langs_per_split"], split, part["lang"])
                    _count(summary["label_sources_per_split"], split, part["label_source"])
        finally:
            for w in writers.values():
                w.close()
        for split, w in writers.items():
            for j, shard in enumerate(w.shards):  # HF's <split>-00000-of-00002 names
                shard.rename(tmp / "data" / f"{split}-{j:05d}-of-{len(w.shards):05d}.parquet")
            (tmp / "data" / split).rmdir()
        summary["rows"] = sum(summary["splits"].values())
        summary["skipped"] = {
            k.removeprefix("skipped:"): n - skipped_before.get(k, 0)
            for k, n in stats.counts.get("publish", Counter()).items()
            if k.startswith("skipped:") and n > skipped_before.get(k, 0)}
        if near_duplicates:
            summary["near_duplicates"] = near_duplicates  # the card reports the clusters
        (tmp / "README.md").write_text(render_card(cfg, summary, tmp / "data"), encoding="utf-8")
        (tmp / "run_config.yaml").write_text(dump_config(cfg), encoding="utf-8")
    for split in splits:
        stats.add("publish", f"rows:{split}", summary["splits"][split])
        stats.add("publish", f"groups:{split}", summary["groups"][split])
    stats.add("publish", "rows", summary["rows"])
    summary["labels"] = dict(sum(summary["labels_per_split"].values(), Counter()))
    summary["langs"] = dict(sum(summary["langs_per_split"].values(), Counter()))
    summary["label_sources"] = dict(sum(summary["label_sources_per_split"].values(), Counter()))
    for key in ("labels_per_split", "langs_per_split", "label_sources_per_split"):
        summary[key] = {s: dict(c) for s, c in summary[key].items()}
    return summary
