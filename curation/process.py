"""The labelling step: segment + language + rules (+ the trained model's vote, when the config
names a model). The pipeline's per-batch step and its `prelabel` stage call it; rule analysis
and model training use the rules alone (`label.rule_label_pages`), so the model never votes on
its own inputs and labelling never imports the model."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa

from curation.config import RunConfig
from curation.label import LabelReport, prelabel_table
from curation.label.mapping import to_user_labels
from curation.schema import PAGE_SCHEMA
from curation.segment.pages import segment_with_language


def label_segments(segments: pa.Table, cfg: RunConfig, report: LabelReport | None = None
                   ) -> pa.Table:
    """Pre-label segmented pages: the rules' votes, then the model's when cfg names one; the
    winner in the config's own label set."""
    table = prelabel_table(segments, cfg, report)
    if cfg.prelabel.model:
        from curation.model.inference import model_vote  # scikit-learn loads only when it votes

        table = model_vote(table, cfg)
    return to_user_labels(table, cfg)  # voters chose a built-in label; publish the user's


def label_pages(pages: Iterable[Mapping[str, Any]], cfg: RunConfig,
                report: LabelReport | None = None) -> pa.Table:
    """Segment, identify the language of, and label *pages* (PAGE_SCHEMA dicts)."""
    _, segments = segment_with_language(pages, cfg)
    return label_segments(segments, cfg, report)


def pages_labeller(cfg: RunConfig) -> Callable[[list[dict[str, Any]]], pa.Table]:
    """label_pages bound to *cfg*: the `predict` that `curation.evaluate` scores."""
    return partial(label_pages, cfg=cfg)


@dataclass
class BatchResult:
    pages: pa.Table
    segments: pa.Table
    report: LabelReport = field(default_factory=LabelReport)
    segment_counts: Counter[str] = field(default_factory=Counter)  # cut or flattened by segment


def process_batch(batch: pa.RecordBatch | pa.Table, cfg: RunConfig) -> BatchResult:
    """The pure per-batch step of `curation run` (picklable: runs in worker processes)."""
    report, counts = LabelReport(), Counter[str]()
    pages, segments = segment_with_language(batch.to_pylist(), cfg, counts)
    segments = label_segments(segments, cfg, report)
    return BatchResult(pa.Table.from_pylist(pages, schema=PAGE_SCHEMA), segments, report, counts)
