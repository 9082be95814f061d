"""The trained cleaner at inference: load a model file once per process and add its vote to a
pre-labelled batch. Nothing here trains, cross-validates or reads gold, so the labelling step
(`curation.process`) can use it without importing training code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.model.apply import RuleWeights, apply_model, rule_weights_of
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


@dataclass(frozen=True)
class ModelVoter:
    """The model's part of a config, looked up once: the checked model and the rules'
    weights its vote is mixed with. It votes with these and nothing else of the config."""

    path: Path
    cleaner: Cleaner
    weights: RuleWeights

    def vote(self, table: pa.Table) -> pa.Table:
        """The model as one more voter on a pre-labelled batch (prelabel_table's output): adds
        the vote "model" and sets prelabel/confidence/label to the combined decision."""
        if table.num_rows == 0:
            return table
        return apply_model(table, self.cleaner, self.weights, "combined")


def model_voter(cfg: RunConfig, path: str | Path | None = None) -> ModelVoter:
    """The ModelVoter of *path* (default: the config's prelabel.model) under *cfg*."""
    return ModelVoter(model_path(cfg, path), load_for(cfg, path), rule_weights_of(cfg))


def configured_voter(cfg: RunConfig) -> tuple[ModelVoter | None, str | None]:
    """The model voting under *cfg* (None: the rules alone), and why none votes when the config
    did not ask for the rules alone. A model the config names must serve it (a ConfigError
    otherwise); the packaged default that cannot (the config runs a subset of the rules, or
    narrows the labels) leaves the rules alone, with the reason."""
    pre = cfg.prelabel
    if pre.model is None:
        return None, pre.no_model_note
    try:
        return model_voter(cfg), None
    except ConfigError as exc:
        if not pre.model_by_default:
            raise
        return None, (f"the packaged cleaner does not vote: {exc}; pre-labels come from the "
                      "rules alone")


def model_vote(table: pa.Table, cfg: RunConfig, path: str | Path | None = None) -> pa.Table:
    """`model_voter(cfg, path).vote(table)`."""
    return model_voter(cfg, path).vote(table)
