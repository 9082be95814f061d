"""engine: ray runs the same per-batch step on Ray Data (a real local Ray) with the same result."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import yaml

from curation.config import load_config
from curation.pipeline import run

ROOT = Path(__file__).resolve().parents[1]


def _cfg(tmp: Path, engine: str) -> Path:
    path = tmp / f"{engine}.yaml"
    path.write_text(yaml.safe_dump({
        "input": {"paths": [str(ROOT / "curation" / "samples")]}, "output": str(tmp / engine),
        "engine": engine, "workers": 2, "batch_pages": 2,
        "prelabel": {"cues_dir": "builtin:cues"}}), encoding="utf-8")
    return path


def test_ray_engine_matches_in_process(tmp_path: Path) -> None:
    local = run(load_config(_cfg(tmp_path, "local")))
    on_ray = run(load_config(_cfg(tmp_path, "ray")))
    for d in (local, on_ray):
        d["summary"]["dataset"].pop("out_dir")
    assert on_ray["summary"] == local["summary"]
    assert on_ray["counts"]["prelabel.votes"] == local["counts"]["prelabel.votes"]
    for stage in ("pages", "segments"):
        a, b = pq.read_table(tmp_path / "local" / stage), pq.read_table(tmp_path / "ray" / stage)
        assert a.equals(b), stage
    assert not (tmp_path / "ray" / "_ray_staging").exists()


def test_ray_step_keeps_every_chunk_of_a_batch() -> None:
    import pyarrow as pa

    from curation.io.ingest import ingest
    from curation.ray_engine import _step, _unpack
    from curation.stats import Stats

    cfg = load_config(ROOT / "configs" / "default.yaml", language={"detector": "none"})
    batch = next(ingest(cfg, Stats()))
    table = pa.Table.from_batches([batch.slice(0, 2), batch.slice(2)])  # as Ray may hand it over
    pages, segments, _ = _unpack(_step(table, cfg))
    assert pages.column("page_id").to_pylist() == batch.column("page_id").to_pylist()
    assert segments.num_rows > 0
