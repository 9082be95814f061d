"""The benchmark scripts run end to end on a few pages (a check that they work, not a timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[1]
MODES = {"html/lang-given", "html/fasttext", "html/langdetect", "html/run-langdetect",
         "html/run-rules-only", "html/run-fasttext", "text/no-langid",
         "text/fasttext", "justext", "trafilatura", "lexbor-parse"}


@pytest.mark.shared_data
def test_throughput_runs_every_mode(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "throughput.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--limit", "5", "--repeat", "1",
         "--min-seconds", "0", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"CURATION_SHARED_DATA": str(shared_data), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert set(result["modes"]) == MODES
    for name, mode in result["modes"].items():
        assert mode["pages"] == 5, name
        assert len(mode["samples_pps"]) == 1 and mode["best_pps"] > 0, name
        assert mode["tracemalloc_peak_mb"] > 0, name
    assert "html/lang-given / justext" in result["ratios"]
    # the default run has the packaged cleaner voting, the rules-only run none
    assert result["modes"]["html/run-langdetect"]["model"] is not None
    assert result["modes"]["html/run-rules-only"]["model"] is None
    assert {b["bar"] for b in result["bars"]} >= {"text/no-langid >= 3000 pages/s"}
    assert "[PASS]" in proc.stdout or "[FAIL]" in proc.stdout  # the printed table


@pytest.mark.shared_data
def test_throughput_cycles_pages_up_to_n(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "throughput.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/throughput.py", "--limit", "3", "--pages", "7",
         "--modes", "html/run-langdetect,justext", "--repeat", "1", "--min-seconds", "0",
         "--no-memory", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"CURATION_SHARED_DATA": str(shared_data), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    modes = json.loads(out.read_text())["modes"]
    assert {name: m["pages"] for name, m in modes.items()} == {"html/run-langdetect": 7,
                                                               "justext": 7}
    assert modes["html/run-langdetect"]["run_pages"] == 7  # the copies were not deduplicated


@pytest.mark.shared_data
def test_memory_runs_the_cli_on_generated_pages(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "memory.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/memory.py", "--sizes", "30,60", "--detector", "none",
         "--workdir", str(tmp_path / "work"), "--keep", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={"CURATION_SHARED_DATA": str(shared_data), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert [r["pages"] for r in result["runs"]] == [30, 60]
    for run in result["runs"]:
        assert run["returncode"] == 0 and run["peak_rss_mb"] > 50
        stats = json.loads(Path(run["output"], "stats.json").read_text())
        assert stats["counts"]["segment"]["pages"] == run["pages"]
        rows = sum(pq.read_metadata(p).num_rows
                   for p in Path(run["output"], "segments").glob("*.parquet"))
        assert rows == stats["counts"]["segment"]["segments"] >= 20 * run["pages"]
    assert result["ratio"] > 0
