"""Pre-labelling: registered rules vote column-wise over a batch; votes combine into
`prelabel` and `confidence`. Every vote is stored (rule, label) so rules can be re-weighted
and analysed without re-running them.

Labelling never imports the trained model: `curation.process` adds the model's vote on top."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.label.combine import (
    Calibration,
    load_calibration,
    weighted_vote,
    weights_of,
)
from curation.label.cues import load_cues
from curation.label.features import Codes, Column, Floats, Ints, Mask, build_frame
from curation.label.parts import rule_parts
from curation.label.rules import ABSTAIN, RULES, Rule, Stage1
from curation.label.rules.plugins import available_rules
from curation.segment.pages import segment_with_language
from curation.taxonomy import LABELS


@dataclass
class LabelReport:
    """What a prelabel call did: votes per rule, crashed rules, languages without cue words."""

    votes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    langs_without_cues: Counter[str] = field(default_factory=Counter)


def cues_folder(cfg: RunConfig) -> Path:
    """The configured cue folder (by default the packaged one, builtin:cues)."""
    return cfg.resolve(cfg.prelabel.cues_dir)


def rule_names(cfg: RunConfig) -> tuple[str, ...]:
    """The names of the rules the config selects (its plugins' rules included, imported now);
    an unknown name, or one only another config's plugin holds, lists the valid ones."""
    available = available_rules(cfg)
    names = available if cfg.prelabel.rules == "all" else list(cfg.prelabel.rules)
    for name in [*names, *cfg.prelabel.weights]:
        if name not in available:
            # a rule's version changes with its behaviour: name the one this install has
            base = name.rsplit(".v", 1)[0]
            now = [a for a in available if a.rsplit(".v", 1)[0] == base]
            hint = f" (this version of curation has {', '.join(now)})" if now else ""
            raise ConfigError(f"unknown rule {name!r}{hint}; valid rules: {', '.join(available)}")
    return tuple(names)


def active_rules(cfg: RunConfig) -> list[Rule]:
    """The rules the config selects, in order; an unknown name lists the valid ones."""
    return [RULES.get(n) for n in rule_names(cfg)]


@dataclass(frozen=True)
class RuleSet:
    """What labelling needs from the config, looked up once: the rules, their weights (inline,
    fitted file, rule default), the calibration, the cue words and the label set."""

    rules: tuple[Rule, ...]
    weights: Floats
    calibration: Calibration | None
    cues: dict[str, dict[str, str]]
    labels: tuple[str, ...]
    fault_tolerant: bool


def rule_set(cfg: RunConfig) -> RuleSet:
    """The RuleSet of *cfg* (cached per process: a batch does no lookups); every rule name,
    weight name and file is checked here, so a bad one fails before any data is read."""
    p = cfg.prelabel
    return _rule_set(
        rule_names(cfg),
        tuple(sorted(p.weights.items())),
        str(cfg.resolve(p.weights_file)) if p.weights_file else None,
        str(cfg.resolve(p.calibration)) if p.calibration else None,
        str(cues_folder(cfg)),
        tuple(cfg.voter_labels),
        p.fault_tolerant,
    )


@lru_cache(maxsize=8)
def _rule_set(names: tuple[str, ...], weights: tuple[tuple[str, float], ...],
              weights_file: str | None, calibration: str | None, cues: str,
              labels: tuple[str, ...], fault_tolerant: bool) -> RuleSet:
    chosen = tuple(RULES.get(n) for n in names)
    return RuleSet(
        rules=chosen,
        weights=weights_of(chosen, dict(weights), weights_file),
        calibration=load_calibration(calibration) if calibration else None,
        cues=load_cues(cues),
        labels=labels,
        fault_tolerant=fault_tolerant,
    )


def _run(
    rule: Rule, args: tuple[object, ...], n: int, fault_tolerant: bool, report: LabelReport
) -> Mask:
    try:
        mask = np.asarray(rule.fn(*args), dtype=np.bool_)
    except Exception:
        if not fault_tolerant:
            raise
        report.faults[rule.name] += 1
        return np.zeros(n, dtype=np.bool_)
    return mask


def prelabel_table(table: pa.Table, rs: RuleSet, report: LabelReport | None = None) -> pa.Table:
    """Add votes, prelabel, confidence (and label = prelabel, label_source = rule) to *table*,
    by the rules of *rs* (`rule_set(cfg)`: the rules' own settings, looked up once)."""
    report = report if report is not None else LabelReport()
    n = table.num_rows
    rules, weights = rs.rules, rs.weights
    frame = build_frame(table, rs.cues)
    allowed = np.array([name in rs.labels for name in LABELS])
    votes = np.full((n, len(rules)), ABSTAIN, dtype=np.int8)
    code = {name: i for i, name in enumerate(LABELS)}
    stage1 = [i for i, r in enumerate(rules) if r.stage == 1]
    stage2 = [i for i, r in enumerate(rules) if r.stage == 2]
    for i in stage1:
        mask = _run(rules[i], (frame,), n, rs.fault_tolerant, report)
        votes[mask, i] = code[rules[i].label]
    pre, _, scores = weighted_vote(votes, weights, len(LABELS))
    s1 = Stage1(pre=pre, decided=scores.max(axis=1, initial=0.0) >= 1.0)
    for i in stage2:
        mask = _run(rules[i], (frame, s1), n, rs.fault_tolerant, report)
        votes[mask, i] = code[rules[i].label]
    # a vote for a label outside the configured label set is dropped (custom label sets)
    votes[(votes >= 0) & ~allowed[np.clip(votes, 0, None)]] = ABSTAIN
    winner, confidence, _ = weighted_vote(votes, weights, len(LABELS))
    if rs.calibration is not None:
        confidence = rs.calibration.apply(confidence, winner)
    for lang in frame.langs_without_cues:
        report.langs_without_cues[lang] += int((frame.lang == lang).sum())
    parts = rule_parts(frame, votes, [r.name for r in rules], winner == code["article"])
    return attach_votes(table, votes, list(rules), winner, confidence, report,
                        list(rs.labels), parts)


def rule_label_pages(pages: Iterable[Mapping[str, Any]], cfg: RunConfig,
                     report: LabelReport | None = None) -> pa.Table:
    """Segment, identify the language of, and pre-label *pages* (PAGE_SCHEMA dicts) with the
    rules alone: what rule analysis scores and what a trained model learns from."""
    _, segments = segment_with_language(pages, cfg)
    return prelabel_table(segments, rule_set(cfg), report)


def attach_votes(
    table: pa.Table,
    votes: Codes,
    rules: list[Rule],
    winner: Ints,
    confidence: Floats,
    report: LabelReport,
    labels: list[str] | None = None,
    parts: Column | None = None,
) -> pa.Table:
    """Write the votes (column-wise: no per-segment Python), the combined label and, for
    article segments, their part (*parts*: "body"/"meta"/None per segment)."""
    from curation.schema import SEGMENT_SCHEMA, VOTE_TYPE

    cast = votes >= 0
    rows, cols = np.nonzero(cast)  # row-major: each segment's votes together, in rule order
    offsets = np.zeros(len(votes) + 1, dtype=np.int32)
    np.cumsum(cast.sum(axis=1), out=offsets[1:])
    names = pa.array([r.name for r in rules], pa.string())
    label_names = pa.array(LABELS, pa.string())
    struct = pa.StructArray.from_arrays(
        [names.take(pa.array(cols)),
         label_names.take(pa.array(votes[rows, cols].astype(np.int64)))],
        fields=list(VOTE_TYPE),
    )
    vote_lists = pa.ListArray.from_arrays(pa.array(offsets), struct)
    for j, n in enumerate(cast.sum(axis=0).tolist()):
        report.votes[rules[j].name] += int(n)
    # no vote at all: the catch-all label when the label set has one (lowest confidence)
    fallback = "other" if labels is None or "other" in labels else None
    codes = pa.array(np.where(winner >= 0, winner, 0).astype(np.int64))
    prelabel = pc.if_else(pa.array(winner >= 0), label_names.take(codes),
                          pa.scalar(fallback, pa.string()))
    source = pc.if_else(pc.is_valid(prelabel), pa.scalar("rule"), pa.scalar(None, pa.string()))

    def put(t: pa.Table, name: str, arr: pa.Array) -> pa.Table:
        field = SEGMENT_SCHEMA.field(name)
        return t.set_column(t.schema.get_field_index(name), field, arr.cast(field.type))

    table = put(table, "votes", vote_lists)
    table = put(table, "prelabel", prelabel)
    table = put(table, "confidence", pa.array(confidence.astype(np.float32)))
    table = put(table, "label", prelabel)
    if parts is not None:
        table = put(table, "article_part", pa.array(parts.tolist(), pa.string()))
    return put(table, "label_source", source)
