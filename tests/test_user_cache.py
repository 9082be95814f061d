"""One user cache folder: $CURATION_CACHE_DIR wins, else the platform's (XDG on Linux); a store
run's staging folder lives under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.config import RunConfig
from curation.user_cache import user_cache_dir


def test_env_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "mine"


def test_xdg_cache_home_on_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # XDG_CACHE_HOME is the Linux convention (the platform curation is built and tested on)
    monkeypatch.delenv("CURATION_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "curation"


def test_staging_of_a_store_output_is_under_the_cache(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "cache"))
    cfg = RunConfig.model_validate({"output": "memory://bucket/run-a", "base_dir": str(tmp_path)})
    other = RunConfig.model_validate({"output": "memory://bucket/run-b",
                                      "base_dir": str(tmp_path)})
    staging = cfg.staging_dir()
    assert staging.parent == tmp_path / "cache" / "staging"
    assert staging != other.staging_dir()  # one staging folder per store url

