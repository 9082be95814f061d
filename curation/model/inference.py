"""The trained cleaner at inference: load a model file once per process and add its vote to a
pre-labelled batch. Nothing here trains, cross-validates or reads gold, so the labelling step
(`curation.process`) can use it without importing training code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.model.apply import apply_model
from curation.model.cleaner import Cleaner, load


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Cleaner:
    return load(Path(path))


def model_path(cfg: RunConfig, path: str | Path | None = None) -> Path:
    """The model file of *path* (default: the config's prelabel.model); a ConfigError when
    none is given or the file does not exist."""
    where = path if path is not None else cfg.prelabel.model
    if where is None:
        raise ConfigError("no model given: set prelabel.model in the config or pass --model")
    p = cfg.resolve(str(where)) if path is None else Path(where)
    if not p.is_file():
        raise ConfigError(f"model file {p} does not exist; make one with `curation train`")
    return p


def load_for(cfg: RunConfig, path: str | Path | None = None) -> Cleaner:
    """The model of *path* (default: the config's prelabel.model), checked against *cfg*;
    cached per process, so a pipeline loads it once and not once a batch."""
    p = model_path(cfg, path)
    cleaner = _cached(str(p.resolve()), p.stat().st_mtime)
    cleaner.check_usable(cfg)
    return cleaner


def model_vote(table: pa.Table, cfg: RunConfig, path: str | Path | None = None) -> pa.Table:
    """The model as one more voter on a pre-labelled batch (prelabel_table's output): adds the
    vote "model" and sets prelabel/confidence/label to the combined model + rules decision."""
    if table.num_rows == 0:
        return table
    return apply_model(table, load_for(cfg, path), cfg, "combined")
