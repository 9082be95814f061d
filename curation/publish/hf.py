"""Publish: filtered segment shards -> a Hugging Face dataset folder (Parquet + card), written
atomically in two passes over the shard files (1: rows per site, 2: write), so memory grows with
the number of sites, not of segments. Each pass is a task per shard file that a run's engine
can spread over its workers; the parent only assigns the splits, names the files and writes the
card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.config import RunConfig, dump_config
from curation.errors import InputError
from curation.io.atomic import atomic_dir, prepare_output
from curation.io.parquet import ShardWriter, shard_paths
from curation.publish.card import render_card
from curation.publish.splits import apply_merges, assign_splits, group_keys
from curation.schema import DATASET_COLUMNS, DATASET_SCHEMA, SEGMENT_SCHEMA, check_schema
from curation.stats import Stats
from curation.version import __version__

LISTED_SKIPS_PER_BATCH = 20  # the rest of a batch's bad rows are counted, not listed
BATCH_ROWS = 65_536
# runs fn over items, results in item order: in this process, or a run's engine (Engine.map)
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]


def in_this_process(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    return [fn(item) for item in items]


def _batches(path: str, columns: list[str] | None = None) -> Any:
    pf = pq.ParquetFile(path)
    check_schema(pf.schema_arrow, SEGMENT_SCHEMA, path)
    return pf.iter_batches(batch_size=BATCH_ROWS, columns=columns)


def _usable(batch: pa.RecordBatch | pa.Table, labels: pa.Array) -> pa.Array:
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


def group_rows(path: str, labels: list[str]) -> dict[str, int]:
    """Pass 1 over one shard file: usable rows per split group (site or page)."""
    rows: Counter[str] = Counter()
    allowed = pa.array(labels, pa.string())
    for batch in _batches(path, ["page_id", "domain", "label"]):
        vc = pc.value_counts(group_keys(batch.filter(_usable(batch, allowed))))
        rows.update(dict(zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(),
                             strict=True)))
    return dict(rows)


@dataclass(frozen=True)
class Part:
    """Pass 2's unit: one shard file, written to <data>/<split>/<split>-<index>-*.parquet."""

    index: int
    source: str
    data: str


def write_part(part: Part, cfg: RunConfig, assignment: Mapping[str, str],
               merges: Mapping[str, str] | None) -> dict[str, Any]:
    """Pass 2 over one shard file: each usable row to its group's split; returns the counts
    (rows, bytes, labels, languages, label sources, page ids per split) and the skips."""
    stats = Stats()
    splits = [s for s in cfg.publish.splits if s in set(assignment.values())]
    key_set = pa.array(list(assignment), pa.string())
    split_of_key = pa.array([splits.index(assignment[k]) for k in assignment], pa.int32())
    labels = pa.array(cfg.labels, pa.string())
    shard_rows = cfg.publish.shard_rows
    res: dict[str, Any] = {"rows": dict.fromkeys(splits, 0), "bytes": dict.fromkeys(splits, 0),
                           "labels": {}, "langs": {}, "sources": {},
                           "pages": {s: set[str]() for s in splits},
                           "human": 0, "multi": 0, "agreement_sum": 0.0}
    writers = {s: ShardWriter(Path(part.data) / s, DATASET_SCHEMA, shard_rows,
                              prefix=f"{s}-{part.index:05d}") for s in splits}
    try:
        for batch in _batches(part.source):
            usable = _usable(batch, labels)
            _count_skips(batch, usable, stats)
            table = pa.Table.from_batches([batch.filter(usable)])
            keys = apply_merges(group_keys(table), merges)  # near-copies: one split
            split_idx = pc.take(split_of_key, pc.index_in(keys, key_set))
            for i, split in enumerate(splits):
                rows = table.filter(pc.equal(split_idx, i))
                if rows.num_rows == 0:
                    continue
                rows = rows.select(DATASET_COLUMNS).append_column(
                    "split", pa.array([split] * rows.num_rows, pa.string()))
                _write_exact(writers[split], rows, shard_rows)
                res["bytes"][split] += rows.nbytes
                res["rows"][split] += rows.num_rows
                _count(res["labels"], split, rows["label"])
                _count(res["langs"], split, rows["lang"])
                _count(res["sources"], split, rows["label_source"])
                res["pages"][split].update(pc.unique(rows["page_id"]).to_pylist())
                res["human"] += pc.sum(pc.equal(rows["label_source"], "human")).as_py() or 0
                several = pc.fill_null(pc.greater_equal(rows["annotators"], 2), False)
                res["multi"] += pc.sum(several).as_py() or 0
                res["agreement_sum"] += pc.sum(pc.filter(rows["agreement"], several)).as_py() or 0.0
    finally:
        for w in writers.values():
            w.close()
    res["pages"] = {s: sorted(ids) for s, ids in res["pages"].items()}
    res["stats"] = stats.to_dict()
    return res


def _name_files(data: Path, splits: list[str]) -> None:
    """Each split's files, in shard order, under HF's <split>-00000-of-00002 names."""
    for split in splits:
        folder = data / split
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        for j, path in enumerate(files):
            path.rename(data / f"{split}-{j:05d}-of-{len(files):05d}.parquet")
        if folder.is_dir():
            folder.rmdir()


def publish_dataset(segments_dir: Path, out_dir: Path, cfg: RunConfig, stats: Stats,
                    overwrite: bool = False, group_merges: dict[str, str] | None = None,
                    near_duplicates: dict[str, Any] | None = None,
                    mapper: Mapper = in_this_process) -> dict[str, Any]:
    """Write SEGMENT_SCHEMA shards in *segments_dir* as a site-split HF dataset at *out_dir*;
    return the counts (rows per split, label, language, label source). *mapper* runs the
    per-file passes (a run's engine spreads them over its workers)."""
    prepare_output(out_dir, overwrite)
    sources = [str(p) for p in shard_paths(segments_dir)]

    # pass 1: rows per group (site or page), near-copies' groups merged
    rows_of: Counter[str] = Counter()
    for part in mapper(partial(group_rows, labels=list(cfg.labels)), sources):
        for key, n in part.items():
            rows_of[(group_merges or {}).get(key, key)] += n
    if not rows_of:
        raise InputError(f"nothing to publish: no segment in {segments_dir} has a label in "
                         f"labels ({', '.join(cfg.labels)}); run prelabel/filter first")
    assignment = assign_splits(rows_of, cfg.publish.splits)
    splits = [s for s in cfg.publish.splits if s in assignment.values()]

    # pass 2: every file's rows to their splits
    with atomic_dir(out_dir, marker={"curation": __version__, "kind": "dataset"}) as tmp:
        parts = [Part(i, src, str(tmp / "data")) for i, src in enumerate(sources)]
        results = mapper(partial(write_part, cfg=cfg, assignment=assignment,
                                 merges=group_merges), parts)
        _name_files(tmp / "data", splits)
        summary, figures = _summary(out_dir, assignment, splits, results, stats)
        if near_duplicates:
            summary["near_duplicates"] = near_duplicates  # the card reports the clusters
        (tmp / "README.md").write_text(render_card(cfg, summary, figures=figures),
                                       encoding="utf-8")
        (tmp / "run_config.yaml").write_text(dump_config(cfg), encoding="utf-8")
    for split in splits:
        stats.add("publish", f"rows:{split}", summary["splits"][split])
        stats.add("publish", f"groups:{split}", summary["groups"][split])
    stats.add("publish", "rows", summary["rows"])
    for key, per_split in (("labels", "labels_per_split"), ("langs", "langs_per_split"),
                           ("label_sources", "label_sources_per_split")):
        summary[key] = dict(sum((Counter(c) for c in summary[per_split].values()), Counter()))
    return summary


def _summary(out_dir: Path, assignment: Mapping[str, str], splits: list[str],
             results: list[dict[str, Any]], stats: Stats) -> tuple[dict[str, Any], dict[str, Any]]:
    """The parts' counts added up (in file order), their skips merged into *stats*; and the
    card's figures (pages per split, human labels)."""
    own = Stats()
    for res in results:
        own.merge(Stats.from_dict(res["stats"]))
    stats.merge(own)
    summary: dict[str, Any] = {
        "out_dir": str(out_dir), "rows": 0,
        "splits": {s: sum(r["rows"][s] for r in results) for s in splits},
        "groups": {s: sum(1 for v in assignment.values() if v == s) for s in splits},
        "bytes": {s: sum(r["bytes"][s] for r in results) for s in splits},
    }
    for key, name in (("labels", "labels_per_split"), ("langs", "langs_per_split"),
                      ("sources", "label_sources_per_split")):
        summary[name] = {s: dict(sum((Counter(r[key].get(s, {})) for r in results), Counter()))
                         for s in splits}
    summary["rows"] = sum(summary["splits"].values())
    summary["skipped"] = {k.removeprefix("skipped:"): n
                          for k, n in own.counts.get("publish", Counter()).items()
                          if k.startswith("skipped:") and n}
    multi = sum(r["multi"] for r in results)
    agreement = sum(r["agreement_sum"] for r in results)
    figures = {"pages": {s: len(set().union(*(r["pages"][s] for r in results))) for s in splits},
               "human": sum(r["human"] for r in results), "multi": multi,
               "mean_agreement": round(agreement / multi, 4) if multi else None}
    return summary, figures
