"""The labelling benchmarks: how actions are counted, and a short real run of each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from annotation_effort import new_actions, old_actions  # noqa: E402
from label_durability import insert_line  # noqa: E402


def test_actions_per_screen() -> None:
    pre = ["other", "other", "other", "article", "ad", "ad", "teaser", "teaser"]
    gold = ["teaser", "teaser", "teaser", "article", "ad", "teaser", "teaser", None]
    # old: 4 wrong clicks (0, 1, 2, 5) + Submit; new: run 0..2 (teaser), run 5..6 (teaser,
    # one of them already right) + Submit; the unknown gold of 7 needs nothing
    assert old_actions(pre, gold) == 5
    assert new_actions(pre, gold) == 3
    assert new_actions(gold[:7], gold[:7]) == 1  # all right: only Submit


def test_insert_line_goes_into_the_body() -> None:
    assert insert_line("<html><BODY class=x><p>a</p>").startswith("<html><BODY class=x><p>Breaking")
    assert insert_line("<p>a</p>").startswith("<p>Breaking")


@pytest.mark.shared_data
@pytest.mark.parametrize("script", ["label_durability.py", "annotation_effort.py"])
def test_benchmark_runs(script: str, tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, f"benchmarks/{script}", "--limit", "3", "--json",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={"CURATION_SHARED_DATA": str(shared_data), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())
    if script == "label_durability.py":
        assert result["pass"] is True
        assert all(r["wrongly_attached"] == 0 and r["kept_pct"] >= 99 for r in result["results"])
    else:
        s = result["summary"]
        assert s["pages"] == 3 and s["new_actions"]["total"] <= s["old_actions"]["total"]
