"""The filter and the publish as parallel phases (issue 9 item 4): one task per shard file on
the run's engine, the same dataset whichever process ran a part; the standalone `curation
filter` and `curation publish` hold the output lock and keep near-copies in one split."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import load_config
from curation.errors import OutputLockedError
from curation.pipeline import filter_stage, publish_stage, run
from curation.publish import publish_dataset
from curation.run.engine import LocalEngine
from curation.run.outputs import LOCK_FILE
from curation.run.shards import ENTRY
from curation.run.workers import usable_cores
from curation.stats import Stats


def _square(x: int) -> int:
    return x * x


def test_the_pool_gives_results_in_item_order_and_counts_worker_cpu() -> None:
    engine = LocalEngine(2)
    try:
        seen: list[int] = []
        assert engine.map(_square, list(range(20)), on_done=lambda i, r: seen.append(i)) == [
            i * i for i in range(20)]
        assert sorted(seen) == list(range(20))
        assert engine.map(_square, [3, 4]) == [9, 16]  # the same pool serves a second phase
        assert engine.worker_cpu_s >= 0 and engine.worker_peak_rss_mb is not None
    finally:
        engine.close()


def _spin(n: int) -> int:
    """CPU work for a measurable CPU time."""
    return sum(i * i for i in range(n))


def test_the_busiest_worker_of_each_map_is_counted() -> None:
    """busiest_worker_cpu_s adds up, per map, the CPU time of the process that spent most: at
    least an even share of the map's worker CPU time, at most all of it."""
    engine = LocalEngine(2)
    try:
        totals = []
        for _ in range(2):  # two phases: each adds its own busiest worker
            cpu0, busy0 = engine.worker_cpu_s, engine.busiest_worker_cpu_s
            engine.map(_spin, [300_000] * 6)
            cpu, busy = engine.worker_cpu_s - cpu0, engine.busiest_worker_cpu_s - busy0
            assert cpu > 0 and cpu / 2 <= busy <= cpu
            totals.append(busy)
        assert engine.busiest_worker_cpu_s == pytest.approx(sum(totals))
        engine.map(_spin, [1000])  # one task: run in this process, no worker time
        assert engine.busiest_worker_cpu_s == pytest.approx(sum(totals))
    finally:
        engine.close()


def _arrow_threads(_: int) -> int:
    return pa.cpu_count()


def test_each_worker_s_arrow_pool_has_its_share_of_the_cores() -> None:
    """A worker per core: each worker's Arrow pool gets one thread (two would only take turns
    with the other worker's); this process keeps its own."""
    own = pa.cpu_count()
    engine = LocalEngine(2)
    try:
        assert engine.map(_arrow_threads, [0, 1, 2, 3]) == [max(1, usable_cores() // 2)] * 4
    finally:
        engine.close()
    assert pa.cpu_count() == own


def _native_threads(_: int) -> dict[str, int]:
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime the model's trees use)
    from threadpoolctl import threadpool_info

    return {pool["user_api"]: pool["num_threads"] for pool in threadpool_info()}


def test_each_worker_s_openmp_pool_has_its_share_of_the_cores() -> None:
    """The model's trees (OpenMP) and BLAS in a worker get its share of the cores too, whether
    their library was loaded before the fork or after it."""
    engine = LocalEngine(2)
    try:
        got = engine.map(_native_threads, [0, 1, 2, 3])
    finally:
        engine.close()
    share = max(1, usable_cores() // 2)
    assert all(g["openmp"] == share and g.get("blas", share) == share for g in got)


def test_workers_start_with_what_the_parent_imported() -> None:
    """Forked workers inherit the parent's modules; pyarrow's pandas (its first conversion of
    Python objects imports it) comes before the fork, not once per worker."""
    code = """if True:
        import sys
        from curation.run.engine import LocalEngine

        def loaded(name):
            return name in sys.modules

        assert "pandas" not in sys.modules
        engine = LocalEngine(2)
        print(engine.map(loaded, ["pandas", "pandas"]))
        engine.close()
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[True, True]"


def test_workers_start_with_the_preloaded_language_profiles() -> None:
    """The run's language detector loads in the parent before the workers fork: each worker
    finds langdetect's profiles loaded instead of loading them again."""
    code = """if True:
        from functools import partial

        from curation import lang
        from curation.run.engine import LocalEngine

        def profiles_loaded(_):
            return lang._langdetect_factory is not None

        assert lang._langdetect_factory is None
        engine = LocalEngine(2, partial(lang.preload, "langdetect"))
        print(engine.map(profiles_loaded, [0, 1]))
        engine.close()
        bare = LocalEngine(2, partial(lang.preload, "none"))
        lang._langdetect_factory = None
        print(bare.map(profiles_loaded, [0, 1]))
        bare.close()
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == ["[True, True]", "[False, False]"]


def test_the_run_preloads_the_detector_and_model_only_when_shards_are_to_run() -> None:
    """A run whose shards are all finished forks its workers for the filter and publish only:
    it does not load the language profiles or the trained cleaner for them; a run with shards
    to run loads both before the workers fork, so each worker starts with them."""
    code = """if True:
        from curation import lang
        from curation.config import load_config
        from curation.model import inference
        from curation.run.driver import ModelPreload
        from curation.run.engine import LocalEngine

        def loaded(_):
            return lang._langdetect_factory is not None, inference._cached.cache_info().currsize

        models = ModelPreload(load_config(None))
        models()
        print(loaded(0))
        models.wanted = True
        engine = LocalEngine(2, models)
        print(engine.map(loaded, [0, 1]))
        engine.close()
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines() == ["(False, 0)", "[(True, 1), (True, 1)]"]


def test_filter_and_publish_run_in_the_workers(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(30))
    inputs = [str(tmp_path / "in")]
    one = run(load_config(kit.write_config(tmp_path / "one.yaml", inputs, tmp_path / "one")))
    two = run(load_config(kit.write_config(tmp_path / "two.yaml", inputs, tmp_path / "two",
                                           workers=2)))
    assert two["shards"]["total"] > 2
    for stage in ("filter", "publish"):  # their tasks ran in the worker processes
        assert two["timing"][stage]["worker_cpu_s"] > 0
        assert one["timing"][stage]["worker_cpu_s"] == 0  # one worker: all in this process
    # one filtered file per segments file, named in their order
    segments = sorted(p.name for p in (tmp_path / "two" / "segments").glob("*.parquet"))
    filtered = sorted(p.name for p in (tmp_path / "two" / "filtered").glob("*.parquet"))
    assert [f.rsplit("-", 1)[0] for f in filtered] == [s.removesuffix(".parquet")
                                                        for s in segments]
    for stage in ("filtered", "rejects"):
        assert pq.read_table(tmp_path / "one" / stage).equals(
            pq.read_table(tmp_path / "two" / stage)), stage
    da, db = kit.dataset_rows(tmp_path / "one"), kit.dataset_rows(tmp_path / "two")
    assert da.keys() == db.keys() and all(da[s].equals(db[s]) for s in da)
    one["summary"]["dataset"].pop("out_dir")
    two["summary"]["dataset"].pop("out_dir")
    assert one["summary"] == two["summary"]


def test_standalone_filter_and_publish_hold_the_lock(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(6))
    out = tmp_path / "out"
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], out))
    run(cfg)
    before = kit.dataset_rows(out)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / LOCK_FILE).write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(),
                                                 "started": time.time(), "command": "run"}))
        for stage in (filter_stage, publish_stage):
            with pytest.raises(OutputLockedError, match=f"pid {holder.pid} on host"):
                stage(cfg, Stats(), overwrite=True)
    finally:
        holder.kill()
        holder.wait()
    assert filter_stage(cfg, Stats(), overwrite=True)["kept"] > 0  # the dead holder's lock
    publish_stage(cfg, Stats(), overwrite=True)
    assert not (out / LOCK_FILE).exists()
    after = kit.dataset_rows(out)
    assert before.keys() == after.keys() and all(before[s].equals(after[s]) for s in before)


def test_standalone_publish_keeps_near_copies_in_one_split(tmp_path: Path, kit: Any) -> None:
    inp = kit.near_copy_sites(tmp_path / "in")
    out = tmp_path / "out"
    run(load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], out, batch_pages=2)))
    apart = 0  # settings under which the two sites would part without the merges
    for seed in range(8):
        fractions = {"train": 0.5 + seed / 40, "test": 0.5 - seed / 40}
        cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], out, batch_pages=2,
                                           publish={"splits": fractions}))
        publish_stage(cfg, Stats(), overwrite=True)
        split_of = {d: s for s, t in kit.dataset_rows(out).items() for d in t["domain"].to_pylist()}
        assert split_of["alpha.example"] == split_of["beta.example"], fractions
        publish_dataset(out / "filtered", tmp_path / "plain", cfg, Stats(), overwrite=True)
        plain = {}
        for f in sorted((tmp_path / "plain" / "data").glob("*.parquet")):
            for d in pq.read_table(f, columns=["domain"])["domain"].to_pylist():
                plain[d] = f.name.split("-")[0]
        apart += plain["alpha.example"] != plain["beta.example"]
    assert apart > 0  # the check above can fail: without the merges the sites do part


def test_bigger_shards_run_first_and_outputs_keep_the_plan_order(tmp_path: Path,
                                                                 kit: Any) -> None:
    paths = kit.write_pages(tmp_path / "in", range(40))
    for k, path in enumerate(paths):  # pages of very different sizes
        path.write_text(path.read_text().replace("</article>",
                                                 "<p>more words here</p>" * (k * k) + "</article>"))
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")],
                                       tmp_path / "out"))
    stats = run(cfg)
    root = tmp_path / "out" / "_shards"
    entries = [json.loads(p.read_text()) for p in root.glob("*/_entry.json")]
    assert len(entries) == stats["shards"]["total"] > 3
    by_commit = sorted(entries, key=lambda e: (root / e["id"] / ENTRY).stat().st_mtime_ns)
    sizes = [e["bytes"] for e in by_commit]
    assert sizes == sorted(sizes, reverse=True) and sizes != [e["bytes"] for e in sorted(
        entries, key=lambda e: e["index"])]  # run biggest first, not in plan order
    sources = pq.read_table(tmp_path / "out" / "pages", columns=["source"])["source"].to_pylist()
    assert [Path(s).name for s in sources] == [p.name for p in paths]  # outputs: input order
