"""Committed shards -> the stage folders pages/ and segments/, in plan order.

Shard files are hard-linked (copied where links are not possible) under the names
`part-00000.parquet`, ... into a temporary folder that replaces the stage folder atomically, so
the folders read the same whichever worker or engine wrote a shard and in whatever order shards
finished. A page id already taken by an earlier shard is dropped (with its segments) and
counted as a duplicate, exactly as a single reader over all inputs would."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation.dedup import Clusters, cluster_table, merged_groups, summary
from curation.io.atomic import atomic_dir, prepare_output
from curation.io.readers import SeenIds
from curation.run.shards import MINHASH_PREFIX, PAGES_PREFIX, SEGMENTS_PREFIX
from curation.stats import Stats


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(src, dst)


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    """A small shard file read whole by the parent: ParquetFile without threads takes a third
    of pq.read_table's wall time (no dataset discovery, no thread hand-offs)."""
    return pq.ParquetFile(path).read(columns=columns, use_threads=False)


def _duplicates(files: list[Path], seen: SeenIds) -> tuple[list[str], list[str]]:
    """Page ids (and sources) in *files* that an earlier shard or page already had."""
    ids: list[str] = []
    sources: list[str] = []
    for path in files:
        table = _read(path, ["page_id", "source"])
        for pid, src in zip(table["page_id"].to_pylist(), table["source"].to_pylist(),
                            strict=True):
            if not seen.add(pid):
                ids.append(pid)
                sources.append(src)
    return ids, sources


def _write_without(src: Path, dst: Path, drop: pa.Array) -> int:
    table = _read(src)
    kept = table.filter(pc.invert(pc.is_in(table["page_id"], value_set=drop)))
    pq.write_table(kept, dst, compression="zstd")
    return int(table.num_rows - kept.num_rows)


def assemble(root: Path, entries: list[dict[str, Any]], out: Path, marker: dict[str, object],
             stats: Stats) -> dict[str, Any]:
    """Build out/pages, out/segments and out/near_duplicates from the committed shards
    *entries* (plan order)."""
    seen = SeenIds()
    plan: list[tuple[dict[str, Any], list[str]]] = []
    for entry in entries:
        files = [root / entry["id"] / name for name in entry["files"]["pages"]]
        dup_ids, dup_sources = _duplicates(files, seen)
        for pid, src in zip(dup_ids, dup_sources, strict=True):
            stats.skip("ingest", "duplicate", src, f"page_id {pid} seen in an earlier shard")
            stats.add("ingest", "kept", -1)
        plan.append((entry, dup_ids))
    counts: dict[str, Any] = {"pages": 0, "segments": 0}
    for kind, prefix in (("pages", PAGES_PREFIX), ("segments", SEGMENTS_PREFIX)):
        target = out / kind
        prepare_output(target, overwrite=True)
        with atomic_dir(target, marker) as tmp:
            n = 0
            for entry, dup_ids in plan:
                for name in entry["files"][prefix]:
                    src, dst = root / entry["id"] / name, tmp / f"part-{n:05d}.parquet"
                    if dup_ids:
                        counts[kind] -= _write_without(src, dst, pa.array(dup_ids, pa.string()))
                    else:
                        _link(src, dst)
                    n += 1
            counts[kind] += sum(int(entry[kind]) for entry, _ in plan)
    return {**counts, **_near_duplicates(root, plan, out, marker, stats)}


def _near_duplicates(root: Path, plan: list[tuple[dict[str, Any], list[str]]], out: Path,
                     marker: dict[str, object], stats: Stats) -> dict[str, Any]:
    """Cluster the pages' MinHash signatures (input order) into out/near_duplicates/; returns
    the counts and the split groups that clusters merge (each signature carries its page's
    group, computed by the worker that made it)."""
    clusters = Clusters()
    group_of: dict[str, str] = {}
    for entry, dup_ids in plan:
        drop = set(dup_ids)
        for name in entry["files"].get(MINHASH_PREFIX, []):
            table = _read(root / entry["id"] / name)
            for pid, values, group in zip(table["page_id"].to_pylist(),
                                          table["minhash"].to_pylist(),
                                          table["group"].to_pylist(), strict=True):
                if pid not in drop:
                    clusters.add(pid, values)
                    if group is not None:
                        group_of[pid] = group
    members = clusters.members()
    target = out / "near_duplicates"
    prepare_output(target, overwrite=True)
    with atomic_dir(target, marker) as tmp:
        pq.write_table(cluster_table(members), tmp / "part-00000.parquet", compression="zstd")
    found = summary(members)
    stats.add("near_duplicates", "clusters", found["clusters"])
    stats.add("near_duplicates", "pages_in_clusters", found["pages_in_clusters"])
    return {"near_duplicates": found, "split_merges": merged_groups(members, group_of)}
