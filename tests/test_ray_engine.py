"""engine: ray runs the same shard step as Ray tasks (a real local Ray): the tasks read their
inputs and write their shards themselves, and the dataset is the one the process engine makes
(with the packaged cleaner voting: each worker process loads it once)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from curation.config import load_config
from curation.pipeline import run

ROOT = Path(__file__).resolve().parents[1]


def _cfg(tmp: Path, name: str, engine: str, workers: int) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "input": {"paths": [str(ROOT / "curation" / "samples")]}, "output": str(tmp / name),
        "engine": engine, "workers": workers, "batch_pages": 1,
        "prelabel": {"cues_dir": "builtin:cues"}}), encoding="utf-8")
    return path


def test_engines_give_identical_datasets(tmp_path: Path) -> None:
    runs = {name: run(load_config(_cfg(tmp_path, name, engine, workers)))
            for name, engine, workers in (("one", "local", 1), ("pool", "local", 2),
                                          ("ray", "ray", 2))}
    for stats in runs.values():
        stats["summary"]["dataset"].pop("out_dir")
    assert runs["ray"]["summary"] == runs["pool"]["summary"] == runs["one"]["summary"]
    assert runs["ray"]["counts"] == runs["one"]["counts"]
    assert runs["ray"]["skipped"] == runs["one"]["skipped"]
    assert runs["ray"]["shards"]["total"] > 1
    for stage in ("pages", "segments", "filtered", "dataset/data"):
        one = pq.read_table(tmp_path / "one" / stage)
        for other in ("pool", "ray"):
            assert pq.read_table(tmp_path / other / stage).equals(one), (other, stage)
    # the Ray tasks wrote their shards themselves, in worker processes
    entries = [json.loads(p.read_text()) for p in (tmp_path / "ray").glob("_shards/*/_entry.json")]
    assert entries and all(e["timing"]["pid"] != os.getpid() for e in entries)


def test_ray_address_reaches_an_existing_cluster(tmp_path: Path) -> None:
    import subprocess
    import sys

    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
    address = cluster.address
    try:
        path = _cfg(tmp_path, "cluster", "ray", 2)
        data = yaml.safe_load(path.read_text())
        path.write_text(yaml.safe_dump({**data, "ray_address": address}))
        proc = subprocess.run([sys.executable, "-m", "curation.cli", "run", str(path),
                               "--rules-only"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    finally:
        cluster.shutdown()
    stats = json.loads((tmp_path / "cluster" / "stats.json").read_text())
    seg = stats["timing"]["segment+prelabel"]
    assert seg["ray_address"] == address and seg["ray_nodes"] == 1
    assert stats["summary"]["pages"] == 5 and stats["shards"]["run"] == stats["shards"]["total"]
