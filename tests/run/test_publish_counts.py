"""The filter's tasks make publish's first pass over the files they write (issue 9 item 4: one
round of tasks less in a run): the counts are those of publish's own pass, and a dataset
published from them is the one publish makes alone, with the same stats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from curation.config import load_config
from curation.io.parquet import shard_paths
from curation.pipeline import run
from curation.publish import publish_dataset
from curation.publish.hf import DatasetFile, group_rows, write_file
from curation.run.filter_parts import filter_stage_folders
from curation.stats import Stats


def _recording(calls: list[str]) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    def mapper(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        calls.append(fn.func.__name__ if isinstance(fn, partial) else fn.__name__)
        return [fn(item) for item in items]
    return mapper


def test_filter_counts_for_publish(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(60))
    out = tmp_path / "out"
    cfg_path = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], out,
                                batch_pages=4, publish={"shard_rows": 50})
    cfg = load_config(cfg_path)
    run(cfg)
    counts: dict[str, dict[str, Any]] = {}
    filtered = tmp_path / "filtered"
    filter_stage_folders(out / "segments", filtered, None, cfg, Stats(), overwrite=True,
                         publish_counts=counts)
    files = shard_paths(filtered)
    assert len(files) > 1 and sorted(counts) == [f.name for f in files]
    for f in files:  # what publish's own pass finds in each file
        assert counts[f.name] == group_rows(str(f), list(cfg.labels))

    calls: list[str] = []
    alone, counted = Stats(), Stats()
    plain = publish_dataset(filtered, tmp_path / "alone", cfg, alone, overwrite=True,
                            mapper=_recording(calls))
    assert calls == ["group_rows", "write_file"]
    calls.clear()
    reused = publish_dataset(filtered, tmp_path / "counted", cfg, counted, overwrite=True,
                             mapper=_recording(calls), counted_by_name=counts)
    assert calls == ["write_file"]  # no pass of its own
    assert {k: v for k, v in reused.items() if k != "out_dir"} == {
        k: v for k, v in plain.items() if k != "out_dir"}
    assert counted.to_dict() == alone.to_dict()
    names = sorted(p.name for p in (tmp_path / "alone" / "data").glob("*.parquet"))
    assert names and names == sorted(p.name for p in (tmp_path / "counted" / "data").iterdir())
    for name in names:
        assert pq.read_table(tmp_path / "counted" / "data" / name).equals(
            pq.read_table(tmp_path / "alone" / "data" / name))

    # counts that miss a file are not trusted: publish makes its own pass
    calls.clear()
    partial_counts = dict(list(counts.items())[1:])
    publish_dataset(filtered, tmp_path / "again", cfg, Stats(), overwrite=True,
                    mapper=_recording(calls), counted_by_name=partial_counts)
    assert calls == ["group_rows", "write_file"]


def test_dataset_files_start_costliest_first(tmp_path: Path, kit: Any) -> None:
    """The small splits' files read whole shard files for a few rows each: they start first,
    and the counts still come back in file order."""
    kit.write_pages(tmp_path / "in", range(60))
    out = tmp_path / "out"
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], out,
                                       batch_pages=4, publish={"shard_rows": 40}))
    run(cfg)
    started: list[DatasetFile] = []

    def mapper(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if isinstance(fn, partial) and fn.func is write_file:
            started.extend(items)
        return [fn(item) for item in items]

    summary = publish_dataset(out / "filtered", tmp_path / "ds", cfg, Stats(), overwrite=True,
                              mapper=mapper)
    files = sorted((tmp_path / "ds" / "data").glob("*.parquet"))
    assert len(started) == len(files) >= 3
    assert [Path(f.path).name for f in started] != [f.name for f in files]  # not plan order
    usable = {str(p): sum(group_rows(str(p), list(cfg.labels))["rows"].values())
              for p in shard_paths(out / "filtered")}
    costs = [sum(usable[src] + take for src, _, take in f.slices) for f in started]
    assert costs == sorted(costs, reverse=True)
    for split, rows in summary["splits"].items():
        assert rows == sum(pq.read_metadata(f).num_rows for f in files
                           if f.name.startswith(f"{split}-"))
