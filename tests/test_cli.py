"""The command line as a user types it (a real subprocess for the main job)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from curation.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_run_prints_a_summary_and_refuses_to_overwrite(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "input": {"paths": [str(ROOT / "curation" / "samples")]},
                "output": str(tmp_path / "out"),
                "prelabel": {"cues_dir": "builtin:cues"},
            }
        ),
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "curation.cli", "run", str(cfg)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "pages: 5" in done.stdout and "splits:" in done.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    assert (tmp_path / "out" / "dataset" / "README.md").is_file()


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("filter: {filters: [{name: lenght.v1}]}\n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(cfg)])
    assert res.exit_code == 2
    assert "unknown filter 'lenght.v1'" in res.output and "min_chars.v1" in res.output


def test_rules_list_and_dry_run() -> None:
    res = runner.invoke(app, ["rules", "list"])
    assert res.exit_code == 0 and "teaser.time_ago.v1" in res.output
    res = runner.invoke(app, ["run", str(ROOT / "configs" / "default.yaml"), "--dry-run"])
    assert res.exit_code == 0 and "builtin:samples" in res.output
