"""End to end on the shared gold files with our own pipeline (curation.pipeline.label_pages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curation.cli import app

runner = CliRunner()


@pytest.mark.shared_data
def test_seed_gold_json_shape(shared_data: Path) -> None:
    res = runner.invoke(app, ["evaluate", "--gold", str(shared_data / "gold-seed.jsonl"), "--json"])
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)  # exactly one JSON object on stdout
    assert out["pages"] == 1 and out["problems"] == []
    assert {"article", "caption", "ad", "comment_ui", "joke", "teaser"} <= set(out["labels"])
    for figures in out["labels"].values():
        for key in ("token_p", "token_r", "token_f1", "segment_f1"):
            assert 0.0 <= figures[key] <= 1.0
    assert set(out["leak"]) == {"caption", "ad", "comment_ui", "joke", "teaser"}
    assert all(0.0 <= v <= 1.0 for v in out["leak"].values())
