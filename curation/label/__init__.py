"""Pre-labelling: registered rules vote column-wise over a batch; votes combine into
`prelabel` and `confidence`. Every vote is stored (rule, label) so rules can be re-weighted
and analysed without re-running them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from curation.config import RunConfig
from curation.label.combine import calibrated_confidence, rule_weights, weighted_vote
from curation.label.cues import load_cues
from curation.label.features import build_frame
from curation.label.rules import ABSTAIN, LABELS, RULES, Rule, Stage1


@dataclass
class LabelReport:
    """What a prelabel call did: votes per rule, crashed rules, languages without cue words."""

    votes: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    langs_without_cues: Counter[str] = field(default_factory=Counter)


_PROJECT_CUES = Path(__file__).resolve().parents[2] / "configs" / "cues"


def cues_folder(cfg: RunConfig) -> Path:
    """The configured cue folder; a config outside the project that keeps the default name
    falls back to the project's configs/cues."""
    folder = cfg.resolve(cfg.prelabel.cues_dir)
    if not folder.is_dir() and cfg.prelabel.cues_dir == "cues" and _PROJECT_CUES.is_dir():
        return _PROJECT_CUES
    return folder


def active_rules(cfg: RunConfig) -> list[Rule]:
    names = RULES.names() if cfg.prelabel.rules == "all" else list(cfg.prelabel.rules)
    return [RULES.get(n) for n in names]


def _run(
    rule: Rule, args: tuple[object, ...], n: int, fault_tolerant: bool, report: LabelReport
) -> np.ndarray:
    try:
        mask = np.asarray(rule.fn(*args), dtype=bool)
    except Exception:
        if not fault_tolerant:
            raise
        report.faults[rule.name] += 1
        return np.zeros(n, dtype=bool)
    return mask


def prelabel_table(table: pa.Table, cfg: RunConfig, report: LabelReport | None = None) -> pa.Table:
    """Add votes, prelabel, confidence (and label = prelabel, label_source = rule) to *table*."""
    report = report if report is not None else LabelReport()
    n = table.num_rows
    rules = active_rules(cfg)
    frame = build_frame(table, load_cues(str(cues_folder(cfg))))
    allowed = np.array([name in cfg.labels for name in LABELS])
    votes = np.full((n, len(rules)), ABSTAIN, dtype=np.int8)
    weights = rule_weights(cfg, rules)
    code = {name: i for i, name in enumerate(LABELS)}
    stage1 = [i for i, r in enumerate(rules) if r.stage == 1]
    stage2 = [i for i, r in enumerate(rules) if r.stage == 2]
    for i in stage1:
        mask = _run(rules[i], (frame,), n, cfg.prelabel.fault_tolerant, report)
        votes[mask, i] = code[rules[i].label]
    pre, _, scores = weighted_vote(votes, weights, len(LABELS))
    s1 = Stage1(pre=pre, decided=scores.max(axis=1, initial=0.0) >= 1.0)
    for i in stage2:
        mask = _run(rules[i], (frame, s1), n, cfg.prelabel.fault_tolerant, report)
        votes[mask, i] = code[rules[i].label]
    # a vote for a label outside the configured label set is dropped (custom label sets)
    votes[(votes >= 0) & ~allowed[np.clip(votes, 0, None)]] = ABSTAIN
    winner, confidence, _ = weighted_vote(votes, weights, len(LABELS))
    confidence = calibrated_confidence(cfg, confidence, winner)
    for lang in frame.langs_without_cues:
        report.langs_without_cues[lang] += int((frame.lang == lang).sum())
    return attach_votes(table, votes, rules, winner, confidence, report)


def attach_votes(
    table: pa.Table,
    votes: np.ndarray,
    rules: list[Rule],
    winner: np.ndarray,
    confidence: np.ndarray,
    report: LabelReport,
) -> pa.Table:
    """Write the votes and the combined label into the table's columns."""
    names = [r.name for r in rules]
    rows: list[list[dict[str, str]]] = []
    for row in votes:
        cast = [{"rule": names[j], "label": LABELS[c]} for j, c in enumerate(row) if c >= 0]
        rows.append(cast)
    for j, name in enumerate(names):
        report.votes[name] += int((votes[:, j] >= 0).sum())
    # no vote at all: the catch-all label when the label set has one, with the lowest confidence
    fallback = "other" if "other" in LABELS else None
    labels = [LABELS[c] if c >= 0 else fallback for c in winner]
    from curation.schema import SEGMENT_SCHEMA

    def put(t: pa.Table, name: str, values: object) -> pa.Table:
        arr = pa.array(values, type=SEGMENT_SCHEMA.field(name).type)
        return t.set_column(t.schema.get_field_index(name), name, arr)

    table = put(table, "votes", rows)
    table = put(table, "prelabel", labels)
    table = put(table, "confidence", confidence.astype(np.float32))
    table = put(table, "label", labels)
    table = put(table, "label_source", ["rule" if x is not None else None for x in labels])
    return table
