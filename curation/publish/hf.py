"""Publish: filtered segment shards -> a Hugging Face dataset folder (Parquet + card), written
atomically in two passes over the shard files, so memory grows with the number of sites, not
of segments. Pass 1 is a task per shard file (usable rows per site, skips); the parent assigns
the splits and cuts each split into files of `publish.shard_rows` rows (the last one smaller):
the file count grows with the data, not with the shards. Pass 2 is a task per dataset file,
reading the slices of the shard files that fill it, so a run's engine spreads both passes over
its workers; the parent only plans, adds up the counts and writes the card."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from curation.io.parquet import conform, shard_paths
from curation.publish.card import render_card
from curation.publish.splits import assign_splits, encoded_group_keys
from curation.schema import DATASET_COLUMNS, DATASET_SCHEMA, SEGMENT_SCHEMA, check_schema
from curation.stats import Stats
from curation.version import __version__

LISTED_SKIPS_PER_BATCH = 20  # the rest of a batch's bad rows are counted, not listed
BATCH_ROWS = 65_536
# a split under workers x publish.shard_rows rows is cut into one file per worker, but into
# no file smaller than this (~2 MB of Parquet): small runs keep one file a split
MIN_ROWS_PER_FILE = 50_000
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
    if usable.true_count == len(usable):
        return
    bad = batch.filter(pc.invert(usable))
    for i, (sid, label) in enumerate(zip(bad["segment_id"].to_pylist(),
                                         bad["label"].to_pylist(), strict=True)):
        reason = "no_label" if label is None else "unknown_label"
        if i < LISTED_SKIPS_PER_BATCH:
            stats.skip("publish", reason, sid, "" if label is None else repr(label))
        else:
            stats.add("publish", f"skipped:{reason}")


def _count(target: dict[str, Counter[str]], split: str, column: pa.Array) -> None:
    vc = pc.value_counts(pc.fill_null(column, "none"))
    for value, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(),
                        strict=True):
        target.setdefault(split, Counter())[value] += n


def group_rows(path: str, labels: list[str]) -> dict[str, Any]:
    """Pass 1 over one shard file: usable rows per split group (site or page), and the
    unusable rows as skips."""
    rows: Counter[str] = Counter()
    stats = Stats()
    allowed = pa.array(labels, pa.string())
    for batch in _batches(path, ["segment_id", "page_id", "domain", "label"]):
        usable = _usable(batch, allowed)
        _count_skips(batch, usable, stats)
        keys = encoded_group_keys(batch)
        vc = pc.value_counts(keys.indices.filter(usable))
        names = keys.dictionary.to_pylist()
        for i, n in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist(),
                        strict=True):
            rows[names[i]] += n
    return {"rows": dict(rows), "stats": stats.to_dict()}


@dataclass(frozen=True)
class DatasetFile:
    """Pass 2's unit: one file of a split, filled from *slices* in order: (shard file,
    rows of this split in it to pass over, rows to take)."""

    split: str
    path: str
    slices: tuple[tuple[str, int, int], ...]


def plan_files(sources: list[str], split_rows: Sequence[Mapping[str, int]], splits: list[str],
               rows_per_file: int, data: str, workers: int = 1) -> list[DatasetFile]:
    """Cut each split's rows (shard files in order, *split_rows* per file) into files of
    *rows_per_file* rows (`file_rows`: fewer for a split that would leave *workers* idle)
    under HF's <split>-00000-of-00002.parquet names.

    >>> [f.slices for f in plan_files(["a", "b"], [{"t": 3}, {"t": 2}], ["t"], 2, "d")]
    [(('a', 0, 2),), (('a', 2, 1), ('b', 0, 1)), (('b', 1, 1),)]
    """
    files: list[DatasetFile] = []
    for split in splits:
        per_file = file_rows(sum(c.get(split, 0) for c in split_rows), rows_per_file, workers)
        pieces: list[list[tuple[str, int, int]]] = [[]]
        room = per_file
        for source, counts in zip(sources, split_rows, strict=True):
            at, left = 0, counts.get(split, 0)
            while left:
                if room == 0:
                    pieces.append([])
                    room = per_file
                take = min(left, room)
                pieces[-1].append((source, at, take))
                at, left, room = at + take, left - take, room - take
        n = len(pieces)
        files += [DatasetFile(split, f"{data}/{split}-{j:05d}-of-{n:05d}.parquet", tuple(p))
                  for j, p in enumerate(pieces) if p]
    return files


def file_rows(rows: int, rows_per_file: int, workers: int, floor: int | None = None) -> int:
    """Rows per file for a split of *rows* rows: *rows_per_file*, unless that makes fewer
    files than *workers* while each could still hold *floor* (MIN_ROWS_PER_FILE) rows; then
    the split is cut evenly into that many files (one per worker at most), so that a mid-size
    split does not leave the other workers idle while one writes it; small runs keep one file.

    >>> [file_rows(rows, 200_000, 2) for rows in (313_000, 157_000, 90_000)]
    [200000, 78500, 200000]
    """
    by_size = -(-rows // rows_per_file)
    wanted = min(workers, rows // (MIN_ROWS_PER_FILE if floor is None else floor))
    return rows_per_file if wanted <= by_size else -(-rows // wanted)


def _split_batches(path: str, labels: pa.Array, split: str, assignment: Mapping[str, str],
                   merges: Mapping[str, str] | None) -> Iterator[tuple[pa.RecordBatch, pa.Array]]:
    """The batches of one shard file, only the dataset's columns, each with the mask of its
    usable rows that go to *split*: the group keys are looked up once per distinct key."""
    for batch in _batches(path, DATASET_COLUMNS):
        keys = encoded_group_keys(batch)
        in_split = pa.array([assignment.get((merges or {}).get(k, k)) == split  # near-copies
                             for k in keys.dictionary.to_pylist()], pa.bool_())
        yield batch, pc.and_(_usable(batch, labels),
                             pc.fill_null(in_split.take(keys.indices), False))


def write_file(part: DatasetFile, cfg: RunConfig, assignment: Mapping[str, str],
               merges: Mapping[str, str] | None) -> dict[str, Any]:
    """Pass 2: one dataset file from its slices; returns its counts (rows, bytes, labels,
    languages, label sources, page ids) under its split."""
    split, splits = part.split, [s for s in cfg.publish.splits if s in set(assignment.values())]
    labels = pa.array(cfg.labels, pa.string())
    res: dict[str, Any] = {"rows": dict.fromkeys(splits, 0), "bytes": dict.fromkeys(splits, 0),
                           "labels": {}, "langs": {}, "sources": {},
                           "pages": {s: list[str]() for s in splits},
                           "human": 0, "multi": 0, "agreement_sum": 0.0, "page_set": set()}
    with pq.ParquetWriter(part.path, DATASET_SCHEMA, compression="zstd") as writer:
        for source, skip, take in part.slices:
            for batch, mask in _split_batches(source, labels, split, assignment, merges):
                found = pc.sum(mask).as_py() or 0
                if found <= skip:  # wholly before the slice: not even filtered
                    skip -= found
                    continue
                rows = pa.Table.from_batches([batch.filter(mask)]).slice(skip, take)
                skip, take = 0, take - rows.num_rows
                _write_rows(writer, rows, split, res)
                if take == 0:
                    break
    res["pages"][split] = sorted(res.pop("page_set"))
    return res


def _file_cost(part: DatasetFile, usable_rows: Mapping[str, int]) -> int:
    """About the rows a file's task reads (its shard files, read from their start: a small
    split reads whole files for a few rows each) and writes. Tasks start costliest first, so
    the small splits' files, planned last, do not leave one worker busy at the end."""
    return sum(usable_rows[src] + take for src, _, take in part.slices)


def _write_rows(writer: pq.ParquetWriter, rows: pa.Table, split: str, res: dict[str, Any]
                ) -> None:
    """Write *rows* of *split* and add them to the file's counts *res*."""
    rows = conform(rows.select(DATASET_COLUMNS).append_column(
        "split", pa.repeat(pa.scalar(split, pa.string()), rows.num_rows)), DATASET_SCHEMA)
    writer.write_table(rows)
    res["bytes"][split] += rows.nbytes
    res["rows"][split] += rows.num_rows
    _count(res["labels"], split, rows["label"])
    _count(res["langs"], split, rows["lang"])
    _count(res["sources"], split, rows["label_source"])
    res["page_set"].update(pc.unique(rows["page_id"]).to_pylist())
    res["human"] += pc.sum(pc.equal(rows["label_source"], "human")).as_py() or 0
    several = pc.fill_null(pc.greater_equal(rows["annotators"], 2), False)
    res["multi"] += pc.sum(several).as_py() or 0
    res["agreement_sum"] += pc.sum(pc.filter(rows["agreement"], several)).as_py() or 0.0


def publish_dataset(segments_dir: Path, out_dir: Path, cfg: RunConfig, stats: Stats,
                    overwrite: bool = False, group_merges: dict[str, str] | None = None,
                    near_duplicates: dict[str, Any] | None = None,
                    mapper: Mapper = in_this_process,
                    counted_by_name: Mapping[str, dict[str, Any]] | None = None,
                    workers: int = 1) -> dict[str, Any]:
    """Write SEGMENT_SCHEMA shards in *segments_dir* as a site-split HF dataset at *out_dir*;
    return the counts (rows per split, label, language, label source). *mapper* runs the
    per-file passes (a run's engine spreads them over its *workers*: a mid-size split is cut
    into a file per worker, see `file_rows`). *counted_by_name* is pass 1 already made
    (group_rows of each file, by file name, with these labels): used when it covers every file,
    else pass 1 runs."""
    prepare_output(out_dir, overwrite)
    paths = shard_paths(segments_dir)
    sources = [str(p) for p in paths]

    # pass 1: rows per group (site or page), near-copies' groups merged
    rows_of: Counter[str] = Counter()
    if counted_by_name is not None and all(p.name in counted_by_name for p in paths):
        counted = [counted_by_name[p.name] for p in paths]
    else:
        counted = mapper(partial(group_rows, labels=list(cfg.labels)), sources)
    for part in counted:
        for key, n in part["rows"].items():
            rows_of[(group_merges or {}).get(key, key)] += n
    if not rows_of:
        raise InputError(f"nothing to publish: no segment in {segments_dir} has a label in "
                         f"labels ({', '.join(cfg.labels)}); run prelabel/filter first")
    assignment = assign_splits(rows_of, cfg.publish.splits)
    splits = [s for s in cfg.publish.splits if s in assignment.values()]

    # pass 2: each split cut into files of shard_rows rows, a task per file
    split_rows = [Counter[str]() for _ in sources]
    for counts, part in zip(split_rows, counted, strict=True):
        for key, n in part["rows"].items():
            counts[assignment[(group_merges or {}).get(key, key)]] += n
    with atomic_dir(out_dir, marker={"curation": __version__, "kind": "dataset"}) as tmp:
        (tmp / "data").mkdir()
        files = plan_files(sources, split_rows, splits, cfg.publish.shard_rows, str(tmp / "data"),
                           workers)
        usable = {src: sum(part["rows"].values()) for src, part in zip(sources, counted,
                                                                        strict=True)}
        order = sorted(range(len(files)), key=lambda i: -_file_cost(files[i], usable))
        done = mapper(partial(write_file, cfg=cfg, assignment=assignment,
                              merges=group_merges), [files[i] for i in order])
        results = [res for _, res in sorted(zip(order, done, strict=True))]
        summary, figures = _summary(out_dir, assignment, splits, results,
                                    [p["stats"] for p in counted], stats)
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
             results: list[dict[str, Any]], skips: list[dict[str, Any]], stats: Stats
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The files' counts added up, the shard files' *skips* (in file order) merged into
    *stats*; and the card's figures (pages per split, human labels)."""
    own = Stats()
    for part in skips:
        own.merge(Stats.from_dict(part))
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
