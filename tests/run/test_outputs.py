"""Outputs never eat a user's files, and nothing is silently stale (issue 12, items 4, 7, 10-13)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pyarrow.parquet as pq
import pytest

from curation.config import load_config
from curation.errors import NoUsablePagesError, OutputExistsError, OutputLockedError
from curation.pipeline import run
from curation.run.outputs import LOCK_FILE, ROOT_MARKER


def test_every_input_skipped_says_so_and_writes_stats(tmp_path: Path, kit: Any) -> None:
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.txt").write_text("  \n")
    (bad / "crawl.warcx").write_bytes(b"WARC/1.0\r\n")
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(bad)], tmp_path / "out"))
    with pytest.raises(NoUsablePagesError) as err:
        run(cfg)
    assert "every input was skipped" in str(err.value) and "empty: 1" in str(err.value)
    assert "prelabel/filter first" not in str(err.value)
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert {s["reason"] for s in stats["skipped"]} == {"empty", "unsupported_format"}
    cli = subprocess.run([sys.executable, "-m", "curation.cli", "run", str(tmp_path / "c.yaml"),
                          "--overwrite"], capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2 and "every input was skipped" in cli.stderr


def test_overwrite_never_deletes_what_curation_did_not_write(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(3))
    out = tmp_path / "out"
    (out / "dataset").mkdir(parents=True)
    (out / "dataset" / "important.csv").write_text("mine")
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], out))
    with pytest.raises(OutputExistsError, match="did not write"):
        run(cfg, overwrite=True)
    assert (out / "dataset" / "important.csv").read_text() == "mine"
    assert not (out / "pages").exists()

    user = tmp_path / "user"
    user.mkdir()
    (user / "stats.json").write_text('{"mine": true}')
    cfg = load_config(kit.write_config(tmp_path / "c2.yaml", [str(tmp_path / "in")], user))
    with pytest.raises(OutputExistsError, match=r"stats\.json"):
        run(cfg, overwrite=True)
    assert json.loads((user / "stats.json").read_text()) == {"mine": True}

    notes = tmp_path / "notes"  # other files beside our outputs are left alone
    notes.mkdir()
    (notes / "todo.txt").write_text("keep")
    cfg = load_config(kit.write_config(tmp_path / "c3.yaml", [str(tmp_path / "in")], notes))
    run(cfg)
    run(cfg, overwrite=True)
    assert (notes / "todo.txt").read_text() == "keep" and (notes / ROOT_MARKER).is_file()


def test_output_inside_an_input_folder_is_never_read_back(tmp_path: Path, kit: Any) -> None:
    inp = tmp_path / "in"
    kit.write_pages(inp, range(6))
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], inp / "out"))
    first = run(cfg)
    again = run(cfg, overwrite=True)
    assert again["summary"]["pages"] == first["summary"]["pages"] == 6
    assert again["summary"]["segments"] == first["summary"]["segments"]
    assert again["counts"]["ingest"]["skipped:inside_output"] > 0


def test_a_second_run_on_one_output_is_refused_and_named(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(3))
    out = tmp_path / "out"
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], out))
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out.mkdir()
        (out / LOCK_FILE).write_text(json.dumps({"pid": holder.pid, "host": socket.gethostname(),
                                                 "started": time.time(), "command": "run"}))
        with pytest.raises(OutputLockedError, match=f"pid {holder.pid} on host"):
            run(cfg)
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale and taken over
    assert run(cfg)["summary"]["pages"] == 3
    assert not (out / LOCK_FILE).exists()


def _workers(proc: psutil.Process) -> list[psutil.Process]:
    return [c for c in proc.children(recursive=True) if c.is_running()]


def test_workers_die_with_their_parent(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(400))
    cfg = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], tmp_path / "out")
    proc = kit.start_cli("run", str(cfg), "--workers", "2")
    parent = psutil.Process(proc.pid)
    kit.wait_for(lambda: len(_workers(parent)) >= 2, what="two workers")
    workers = _workers(parent)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive


def test_resume_notices_added_and_deleted_inputs(tmp_path: Path, kit: Any) -> None:
    inp = tmp_path / "in"
    paths = kit.write_pages(inp, range(30))
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], tmp_path / "out"))
    run(cfg)
    paths[0].unlink()
    kit.write_pages(inp, range(100, 104))
    again = run(cfg, resume=True)
    pages = pq.read_table(tmp_path / "out" / "pages")
    sources = {Path(s).name for s in pages["source"].to_pylist()}
    assert sources == {p.name for p in inp.iterdir()}
    assert again["summary"]["pages"] == 33
    assert 0 < again["shards"]["run"] < again["shards"]["total"]


def test_a_killed_overwrite_leaves_nothing_that_looks_current(tmp_path: Path, kit: Any) -> None:
    kit.write_pages(tmp_path / "in", range(300))
    out = tmp_path / "out"
    cfg = kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")], out)
    run(load_config(cfg))
    assert (out / "dataset" / "_SUCCESS").is_file() and (out / "stats.json").is_file()
    proc = kit.start_cli("run", str(cfg), "--overwrite")
    kit.wait_for(lambda: (out / "dataset" / "_STALE").exists()  # the old shards are gone then
                 and kit.committed_shards(out) >= 3, what="three new shards")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    for stage in ("pages", "segments", "filtered", "dataset"):
        assert not (out / stage / "_SUCCESS").exists(), stage
        assert "newer run" in json.loads((out / stage / "_STALE").read_text())["stale"]
    assert not (out / "stats.json").exists()
    with pytest.raises(OutputExistsError, match="--resume"):
        run(load_config(cfg))
    assert (run(load_config(cfg), resume=True)["summary"]["pages"]) == 300
    assert (out / "dataset" / "_SUCCESS").is_file() and not (out / "dataset" / "_STALE").exists()
