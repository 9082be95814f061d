"""Resolution: the step between reading a config and running it.

The config (`curation.config`) is pure data: names and paths. `resolve(cfg)` looks each of them
up once: the rules, their weights and calibration, the cue words, the filters and their params,
the model file. An unknown name or a missing file fails here, with the valid choices listed,
before any data is read; the commands and `pipeline.run` call it right after `load_config`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from curation.config import RunConfig
from curation.filter import Bound, bind_filters
from curation.label import RuleSet, rule_set

if TYPE_CHECKING:
    from curation.model.inference import ModelVoter

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    """What a config names, looked up: each stage takes only its own part."""

    config: RunConfig
    rules: RuleSet
    filters: tuple[Bound, ...]  # each filter with its own validated params, no more
    model: ModelVoter | None  # the trained cleaner voting with the rules: its settings only
    model_note: str | None = None  # why no model votes, when the config did not say null

    def model_summary(self) -> dict[str, Any]:
        """What labels the segments, for stats.json: the model file voting (None: the rules
        alone) and, when the packaged one does not vote, why."""
        got: dict[str, Any] = {"file": str(self.model.path) if self.model else None}
        return got | ({"note": self.model_note} if self.model_note else {})


def resolve(cfg: RunConfig) -> Resolved:
    """Look up every rule, weight, calibration, cue folder, filter and model *cfg* names; a
    ConfigError (naming the valid choices) for the first that does not exist."""
    rules = rule_set(cfg)
    filters = bind_filters(cfg.filter.filters, cfg)
    model, note = None, cfg.prelabel.no_model_note
    if cfg.prelabel.model:
        # scikit-learn loads only when a model votes; its format, features and rules are
        # checked now, and it stays cached (forked workers inherit it)
        from curation.model.inference import configured_voter

        model, note = configured_voter(cfg)
    if note is not None:
        _log.warning(note)
    return Resolved(cfg, rules, filters, model, note)
