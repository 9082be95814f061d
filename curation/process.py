"""The labelling step: segment + language + rules + the trained model's vote (the packaged
cleaner unless the config names another, or `prelabel.model: null` for the rules alone). The
pipeline's per-batch step and its `prelabel` stage call it; rule analysis, model training and
the rules' evaluation use the rules alone (`label.rule_label_pages`, `rules_labeller`), so the
model never votes on its own inputs and labelling never imports the model."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pyarrow as pa

from curation.config import RunConfig, rules_only
from curation.label import LabelReport, prelabel_table, rule_set
from curation.label.mapping import to_user_labels
from curation.schema import PAGE_SCHEMA
from curation.segment.pages import page_dicts, segment_with_language


def label_segments(segments: pa.Table, cfg: RunConfig, report: LabelReport | None = None
                   ) -> pa.Table:
    """Pre-label segmented pages: the rules' votes, then the model's when one votes under cfg
    (`inference.configured_voter`); the winner in the config's own label set."""
    table = prelabel_table(segments, rule_set(cfg), report)
    if cfg.prelabel.model:
        # scikit-learn loads only when a model votes; the model is loaded once per process
        from curation.model.inference import configured_voter

        voter, _ = configured_voter(cfg)
        if voter is not None:
            table = voter.vote(table)
    return to_user_labels(table, cfg)  # voters chose a built-in label; publish the user's


def label_pages(pages: Iterable[Mapping[str, Any]], cfg: RunConfig,
                report: LabelReport | None = None) -> pa.Table:
    """Segment, identify the language of, and label *pages* (PAGE_SCHEMA dicts)."""
    _, segments = segment_with_language(pages, cfg)
    return label_segments(segments, cfg, report)


def rules_labeller(cfg: RunConfig) -> Callable[[list[dict[str, Any]]], pa.Table]:
    """label_pages bound to *cfg* with the rules alone: the `predict` that `curation evaluate`
    (without --model/--cv) and the quality gate score. Never the model: the packaged cleaner
    was trained on the shared gold, so scoring it there would be a leak; a model is scored
    with `evaluate --model` or by site-grouped cross-validation (`--cv`)."""
    return partial(label_pages, cfg=rules_only(cfg))


@dataclass
class BatchResult:
    pages: pa.Table
    segments: pa.Table
    report: LabelReport = field(default_factory=LabelReport)
    segment_counts: Counter[str] = field(default_factory=Counter)  # cut or flattened by segment


def process_batch(batch: pa.RecordBatch | pa.Table, cfg: RunConfig) -> BatchResult:
    """The pure per-batch step of `curation run` (picklable: runs in worker processes)."""
    report, counts = LabelReport(), Counter[str]()
    pages, segments = segment_with_language(page_dicts(batch), cfg, counts)
    segments = label_segments(segments, cfg, report)
    return BatchResult(_with_langs(batch, pages), segments, report, counts)


def _with_langs(batch: pa.RecordBatch | pa.Table, pages: list[dict[str, Any]]) -> pa.Table:
    """The pages of *batch* with their identified languages. A PAGE_SCHEMA batch keeps its
    columns (the page contents are not copied again), only `lang` is replaced."""
    if not batch.schema.equals(PAGE_SCHEMA, check_metadata=True):
        return pa.Table.from_pylist(pages, schema=PAGE_SCHEMA)
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    lang = PAGE_SCHEMA.get_field_index("lang")
    return table.set_column(lang, PAGE_SCHEMA.field(lang),
                            pa.array([p["lang"] for p in pages], pa.string()))


# gen0 collections every 50,000 net allocations instead of 700, gen2 rarely: see settle_gc
_GC_THRESHOLDS = (50_000, 20, 100)


def settle_gc() -> None:
    """Tune the cyclic GC for a batch run (call once per process, after the imports; forked
    workers inherit it). A run allocates millions of small short-lived containers (nodes,
    lists, dicts) and keeps few: at the default thresholds collections re-scan everything
    alive, the modules and langdetect's ~180k profile lists included, ~0.5 CPU-s per 326
    pages. Objects alive now are frozen out of every collection; reference counting still
    frees what the run drops, cycles wait for a rarer collection."""
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)
