"""Shared fixtures. Tests that read ../shared/data are marked `shared_data`: CI (CI=true) fails
when that folder is missing; a user's plain run without it deselects them with a message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DATA.is_dir():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI run, but the shared data folder {SHARED_DATA} is missing")
    marked = [it for it in items if it.get_closest_marker("shared_data")]
    if marked:
        items[:] = [it for it in items if not it.get_closest_marker("shared_data")]
        config.hook.pytest_deselected(items=marked)
        print(
            f"\nnote: {SHARED_DATA} not found: deselected {len(marked)} tests that read gold data"
        )


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with the gold files (../shared/data from the repository root)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


# Property tests: no per-example deadline (CI machines are shared and timing is noisy; speed
# is measured by benchmarks/, not by tests), a fixed number of examples.
from hypothesis import settings  # noqa: E402

settings.register_profile("curation", deadline=None, max_examples=100)
settings.load_profile("curation")
