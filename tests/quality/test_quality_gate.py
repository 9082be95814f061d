"""The quality gate: figures on the gold files must stay above configs/quality_floors.yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml


def _gate(root: Path, floors: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "quality_gate.py"), "--floors", str(floors)],
        cwd=root, capture_output=True, text=True, timeout=900,
    )


@pytest.mark.shared_data
def test_quality_floors_hold(repo_root: Path) -> None:
    res = _gate(repo_root, repo_root / "configs" / "quality_floors.yaml")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "quality gate: ok" in res.stdout


@pytest.mark.shared_data
def test_gate_fails_naming_the_figure(repo_root: Path, shared_data: Path, tmp_path: Path) -> None:
    floors = tmp_path / "floors.yaml"
    seed = (shared_data / "gold-seed.jsonl").resolve()
    floors.write_text(yaml.safe_dump({"config": "configs/default.yaml", "files": {"seed": {
        "path": str(seed),
        "min": {"labels.teaser.token_f1": 0.5, "labels.joke.token_f1": 1.01},
        "max": {"leak.teaser": -0.1}}}}))
    res = _gate(repo_root, floors)
    assert res.returncode == 1
    assert "seed: labels.joke.token_f1 = 1.0000 is below its floor 1.01" in res.stderr
    assert "leak.teaser" in res.stderr and "labels.teaser.token_f1" not in res.stderr


@pytest.mark.shared_data
def test_gate_fails_when_the_gold_file_changed(
    repo_root: Path, shared_data: Path, tmp_path: Path
) -> None:
    floors = tmp_path / "floors.yaml"
    seed = (shared_data / "gold-seed.jsonl").resolve()
    floors.write_text(yaml.safe_dump({"config": "configs/default.yaml", "files": {"seed": {
        "path": str(seed), "sha256": "0" * 64, "min": {"labels.article.token_f1": 0.5}}}}))
    res = _gate(repo_root, floors)
    assert res.returncode == 1
    assert "seed: gold-seed.jsonl changed" in res.stderr and "re-pin" in res.stderr
