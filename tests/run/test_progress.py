"""Progress people can follow (issue 9 item 7): a bar with total and rate on a terminal, log lines
with pages, pages/s and ETA otherwise; per-stage wall/CPU time, pages/s and memory in stats."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from curation.config import load_config
from curation.pipeline import run
from curation.run.progress import Progress


def test_log_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress("segment", shards=4, total_bytes=400, stream=out, log_every_s=0)
    assert not progress.terminal
    time.sleep(0.01)
    progress.update(pages=10, nbytes=100)
    progress.update(pages=30, nbytes=300)
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"segment: 10 pages, [\d.]+ pages/s, 1/4 shards, ETA 0:00:\d\d", lines[0])
    assert lines[1].startswith("segment: 40 pages") and lines[1].endswith("ETA 0:00:00")


def test_lines_are_spaced_by_the_interval() -> None:
    out = io.StringIO()
    progress = Progress("segment", shards=100, total_bytes=100, stream=out, log_every_s=3600)
    for _ in range(99):
        progress.update(pages=1, nbytes=1)
    assert out.getvalue() == ""  # not yet due, not finished
    progress.update(pages=1, nbytes=1)
    assert "100/100 shards" in out.getvalue()  # the last shard always reports


def test_a_bar_with_total_and_rate_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress("segment", shards=3, total_bytes=3, stream=out, terminal=True)
    for _ in range(3):
        progress.update(pages=5, nbytes=1)
    progress.close()
    text = out.getvalue()
    assert "3/3" in text and "pages/s" in text and "15 pages" in text


def test_stats_hold_timings_per_stage(tmp_path: Path, kit: Any,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    kit.write_pages(tmp_path / "in", range(20))
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(tmp_path / "in")],
                                       tmp_path / "out", workers=2))
    run(cfg)
    assert re.search(r"segment \+ pre-label: 20 pages, [\d.]+ pages/s, (\d+)/\1 shards, ETA",
                     capsys.readouterr().err)
    timing = json.loads((tmp_path / "out" / "stats.json").read_text())["timing"]
    assert set(timing) == {"segment+prelabel", "assemble", "filter", "publish", "total"}
    for stage in timing.values():
        assert stage["wall_s"] > 0 and stage["cpu_s"] >= 0 and stage["peak_rss_mb"] > 10
        assert stage["pages_per_s"] > 0
    seg = timing["segment+prelabel"]
    assert seg["workers"] == 2 and seg["engine"] == "local" and seg["peak_rss_mb_per_worker"] > 10
    # measured in the workers (20 small pages take well under a CPU-second there)
    assert seg["worker_cpu_s"] > 0 and seg["cpu_s"] > seg["worker_cpu_s"]
    assert timing["total"]["cpu_s"] > seg["cpu_s"]  # the workers' CPU time is counted too
    # the phases run on the engine take most of the run, never more than all of it
    stage_walls = seg["wall_s"] + timing["filter"]["wall_s"] + timing["publish"]["wall_s"]
    assert 0 < timing["total"]["tasks_wall_s"] <= stage_walls <= timing["total"]["wall_s"]
    # per stage, its phases on the busiest worker: an even share of the workers' CPU or more
    for name in ("segment+prelabel", "filter", "publish"):
        cpu, busiest = timing[name]["worker_cpu_s"], timing[name]["busiest_worker_cpu_s"]
        assert cpu / 2 - 0.002 <= busiest <= cpu + 0.001, name
    assert timing["total"]["busiest_worker_cpu_s"] == pytest.approx(sum(
        timing[n]["busiest_worker_cpu_s"] for n in ("segment+prelabel", "filter", "publish")),
        abs=0.004)
