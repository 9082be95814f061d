"""The user's cache folder for what curation can rebuild (langdetect's profile array, the model's
CV inputs, the local staging copy of a run to a store): one place, one override."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def user_cache_dir() -> Path | None:
    """$CURATION_CACHE_DIR, else the platform's user cache folder for curation
    ($XDG_CACHE_HOME/curation or ~/.cache/curation on Linux); None when there is no home to
    put it in (callers then work without a cache)."""
    env = os.environ.get("CURATION_CACHE_DIR")
    if env:
        return Path(env)
    try:
        return Path(platformdirs.user_cache_dir("curation", appauthor=False))
    except (RuntimeError, KeyError, OSError):  # no home: no passwd entry, no $HOME
        return None
