"""Config values that would corrupt a dataset are refused when the config is read, before any
input is touched: a weight that makes confidence negative or NaN, a boolean where a count is
meant, a split name `datasets` cannot load."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from curation.cli import app
from curation.config import load_config
from curation.errors import ConfigError


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("weight", ["-1000", ".nan", ".inf", "1.0e+9"])
def test_rule_weights_out_of_range_are_refused(tmp_path: Path, weight: str) -> None:
    cfg = _config(tmp_path, f"prelabel:\n  weights:\n    ad.cue.v1: {weight}\n")
    with pytest.raises(ConfigError, match="rule weights must be finite numbers"):
        load_config(cfg)


def test_a_zero_weight_is_allowed(tmp_path: Path) -> None:
    name = "ad.cue.v1"
    cfg = load_config(_config(tmp_path, f"prelabel:\n  weights:\n    {name}: 0\n"))
    assert cfg.prelabel.weights[name] == 0.0


@pytest.mark.parametrize("text", ["batch_pages: true\n", "workers: '2'\n",
                                  "segment:\n  max_segment_chars: 1.5\n"])
def test_a_count_must_be_an_integer(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="invalid config"):
        load_config(_config(tmp_path, text))


def test_a_bad_split_name_fails_before_ingest(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "output: out\npublish:\n  splits: {train: 0.5, dev set: 0.5}\n")
    res = CliRunner().invoke(app, ["run", "--config", str(cfg)])
    assert res.exit_code == 2, res.output
    assert "not valid split names" in res.output
    assert not (tmp_path / "out").exists()  # nothing was ingested
