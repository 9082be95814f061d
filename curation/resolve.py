"""Resolution: the step between reading a config and running it.

The config (`curation.config`) is pure data: names and paths. `resolve(cfg)` looks each of them
up once: the rules, their weights and calibration, the cue words, the filters and their params,
the model file. An unknown name or a missing file fails here, with the valid choices listed,
before any data is read; the commands and `pipeline.run` call it right after `load_config`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from curation.config import RunConfig
from curation.filter import Bound, bind_filters
from curation.label import RuleSet, rule_set

if TYPE_CHECKING:
    from curation.model.inference import ModelVoter


@dataclass(frozen=True)
class Resolved:
    """What a config names, looked up: each stage takes only its own part."""

    config: RunConfig
    rules: RuleSet
    filters: tuple[Bound, ...]  # each filter with its own validated params, no more
    model: ModelVoter | None  # the trained cleaner voting with the rules: its settings only


def resolve(cfg: RunConfig) -> Resolved:
    """Look up every rule, weight, calibration, cue folder, filter and model *cfg* names; a
    ConfigError (naming the valid choices) for the first that does not exist."""
    rules = rule_set(cfg)
    filters = bind_filters(cfg.filter.filters, cfg)
    model = None
    if cfg.prelabel.model:
        # scikit-learn loads only when a model is configured; its format, features and rules
        # are checked now, and it stays cached
        from curation.model.inference import model_voter

        model = model_voter(cfg)
    return Resolved(cfg, rules, filters, model)
