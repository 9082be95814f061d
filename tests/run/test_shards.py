"""Shards with a manifest (issue 9 item 3): kill -9 at any moment, then --resume, gives the
dataset of an uninterrupted run row for row, redoing only unfinished shards; each stage has its
own cache key."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from curation.config import load_config
from curation.pipeline import run


def _same_outputs(a: Path, b: Path, kit: Any) -> None:
    for stage in ("pages", "segments", "filtered", "rejects"):
        assert pq.read_table(a / stage).equals(pq.read_table(b / stage)), stage
    da, db = kit.dataset_rows(a), kit.dataset_rows(b)
    assert da.keys() == db.keys()
    for split in da:
        assert da[split].equals(db[split]), split


def test_kill_9_at_any_moment_then_resume_gives_the_same_dataset(tmp_path: Path,
                                                                 kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(240))
    inputs = [str(tmp_path / "in")]
    ref = tmp_path / "ref"
    run(load_config(kit.write_config(tmp_path / "ref.yaml", inputs, ref)))

    def temporaries(name: str) -> Callable[[Path], bool]:
        return lambda out: any(out.glob(f".{name}.tmp-*"))

    points: dict[str, Callable[[Path], bool]] = {
        "first shard committed": lambda out: kit.committed_shards(out) >= 1,
        "a third of the shards": lambda out: kit.committed_shards(out) >= 16,
        "inside a worker's shard": lambda out: any((out / "_shards").glob(".*.tmp-*/*.parquet")),
        "assembling segments/": temporaries("segments"),
        "filtering": temporaries("filtered"),
        "publishing": temporaries("dataset"),
    }
    hit = []
    for n, (name, reached) in enumerate(points.items()):
        out = tmp_path / f"out{n}"
        cfg = kit.write_config(tmp_path / f"c{n}.yaml", inputs, out, workers=2)
        proc = kit.start_cli("run", str(cfg), "--workers", "2")
        kit.wait_for(lambda out=out, reached=reached, proc=proc: reached(out)  # noqa: B023
                     or proc.poll() is not None, what=name)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            hit.append(name)
        proc.wait()
        before = kit.committed_shards(out)
        stats = run(load_config(cfg), resume=True)
        assert stats["shards"]["reused"] >= before - 1, name  # one may be mid-commit
        assert stats["shards"]["run"] == stats["shards"]["total"] - stats["shards"]["reused"]
        _same_outputs(ref, out, kit)
    print("kill -9 points hit:", hit)
    assert {"first shard committed", "a third of the shards", "inside a worker's shard"} <= set(hit)


def test_each_stage_has_its_own_cache_key(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(40))
    path = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], tmp_path / "out")
    first = run(load_config(path))
    assert first["shards"]["run"] == first["shards"]["total"] > 1
    same = run(load_config(path), resume=True)  # nothing changed: nothing runs
    assert same["shards"]["run"] == 0 and set(same["timing"]) == {"segment+prelabel", "total"}
    assert same["summary"] == first["summary"]

    def change(**extra: Any) -> dict[str, Any]:
        data = yaml.safe_load(path.read_text())
        data.update(extra)
        path.write_text(yaml.safe_dump(data))
        return run(load_config(path), resume=True)

    stricter = change(filter={"filters": [{"name": "min_chars.v1", "params": {"n": 60}}]})
    assert stricter["shards"]["run"] == 0
    assert {"filter", "publish"} <= set(stricter["timing"]) and "assemble" not in stricter["timing"]
    assert stricter["summary"]["kept"] < first["summary"]["kept"]

    resplit = change(publish={"splits": {"train": 0.5, "test": 0.5}})
    assert resplit["shards"]["run"] == 0 and "filter" not in resplit["timing"]
    assert "publish" in resplit["timing"] and set(resplit["summary"]["dataset"]["splits"]) == {
        "train", "test"}

    relabel = change(prelabel={"weights": {"article.long_paragraph.v1": 2.0}})
    assert relabel["shards"]["run"] == relabel["shards"]["total"]


def test_shards_written_before_a_segment_column_was_added_are_redone(
        tmp_path: Path, kit: Any, monkeypatch: Any) -> None:
    import pyarrow as pa

    import curation.run.manifest as manifest

    kit.write_pages(tmp_path / "in", range(20))
    path = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], tmp_path / "out")
    first = run(load_config(path))
    # the shards on disk now stand for a schema one column short of the code's
    monkeypatch.setattr(manifest, "SEGMENT_SCHEMA",
                        manifest.SEGMENT_SCHEMA.append(pa.field("added_later", pa.string())))
    again = run(load_config(path), resume=True)
    assert again["shards"]["run"] == again["shards"]["total"] == first["shards"]["total"]
    assert again["summary"] == first["summary"]


def test_a_big_jsonl_file_is_cut_into_line_ranges(tmp_path: Path, kit: Any,
                                                  monkeypatch: Any) -> None:
    import gzip
    import json

    import curation.run.shards as shards

    lines = [json.dumps({"id": f"p{i}", "html": kit.page_html(i)}) for i in range(120)]
    lines[30] = "{not json"
    lines[90] = json.dumps({"id": "p5", "html": kit.page_html(5)})  # a duplicate, far away
    big = tmp_path / "in" / "big.jsonl.gz"
    big.parent.mkdir()
    with gzip.open(big, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    whole = run(load_config(kit.write_config(tmp_path / "a.yaml", [str(big)], tmp_path / "a")))
    assert whole["shards"]["total"] == 1
    monkeypatch.setattr(shards, "SHARD_BYTES", big.stat().st_size // 6)
    cut = run(load_config(kit.write_config(tmp_path / "b.yaml", [str(big)], tmp_path / "b",
                                           workers=2)))
    assert cut["shards"]["total"] >= 5
    _same_outputs(tmp_path / "a", tmp_path / "b", kit)
    assert cut["counts"]["ingest"] == whole["counts"]["ingest"]
    assert {(s["reason"], s["source"]) for s in cut["skipped"]} == {
        (s["reason"], s["source"]) for s in whole["skipped"]} == {
        ("bad_json", f"{big}:31"), ("duplicate", f"{big}:91")}


def test_a_big_remote_jsonl_file_is_cut_into_line_ranges_too(tmp_path: Path, kit: Any,
                                                             monkeypatch: Any) -> None:
    import gzip
    import json

    import fsspec

    import curation.run.shards as shards

    data = gzip.compress("".join(json.dumps({"id": f"r{i}", "html": kit.page_html(i)}) + "\n"
                                 for i in range(60)).encode())
    local = tmp_path / "big.jsonl.gz"
    local.write_bytes(data)
    with fsspec.open("memory://crawl/big.jsonl.gz", "wb") as fh:
        fh.write(data)
    monkeypatch.setattr(shards, "SHARD_BYTES", len(data) // 4)
    remote = run(load_config(kit.write_config(tmp_path / "r.yaml",
                                              ["memory://crawl/big.jsonl.gz"], tmp_path / "r")))
    assert remote["shards"]["total"] >= 4
    here = run(load_config(kit.write_config(tmp_path / "l.yaml", [str(local)], tmp_path / "l")))
    assert here["shards"]["total"] == remote["shards"]["total"]
    for stage in ("segments", "filtered"):
        assert pq.read_table(tmp_path / "r" / stage).equals(pq.read_table(tmp_path / "l" / stage))
    a, b = pq.read_table(tmp_path / "r" / "pages"), pq.read_table(tmp_path / "l" / "pages")
    assert a.drop_columns(["source"]).equals(b.drop_columns(["source"]))
    assert a["source"][0].as_py().endswith("crawl/big.jsonl.gz:1")


def test_a_worker_killed_mid_shard_is_replaced(tmp_path: Path, kit: Any) -> None:
    import psutil

    kit.write_pages(tmp_path / "in", range(200))
    inputs = [str(tmp_path / "in")]
    ref = tmp_path / "ref"
    run(load_config(kit.write_config(tmp_path / "ref.yaml", inputs, ref)))
    out = tmp_path / "out"
    cfg = kit.write_config(tmp_path / "c.yaml", inputs, out, workers=2)
    proc = kit.start_cli("run", str(cfg))
    kit.wait_for(lambda: kit.committed_shards(out) >= 2 and any(
        (out / "_shards").glob(".*.tmp-*/*.parquet")), what="a shard being written")
    busy = {int(p.name.rsplit("-", 1)[1]) for p in (out / "_shards").glob(".*.tmp-*")}
    workers = {c.pid for c in psutil.Process(proc.pid).children()}
    victim = sorted(busy & workers)[0]
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["timing"]["segment+prelabel"]["pool_restarts"] == 1
    _same_outputs(ref, out, kit)
