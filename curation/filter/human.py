"""Human labels from Label Studio joined onto segments: the final `label` column.

The labels come from the content-keyed store (curation.human.store): each finds its segment by
page and text, so a re-crawled or re-segmented run keeps the labels of unchanged text and
reports (never misplaces) the ones whose text changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import SchemaError
from curation.filter.base import as_segments
from curation.human.store import read_store, resolve, run_pages
from curation.stats import Stats
from curation.taxonomy import MODEL_VOTER

STAGE = "filter"


def load_human_labels(folder: Path, segments_dir: Path, stats: Stats | None = None
                      ) -> pa.Table | None:
    """The store under *folder* matched to the segments under *segments_dir*: HUMAN_LABEL_SCHEMA
    rows keyed by the run's segment_id; None when there is no label. Labels whose text is gone
    are counted and listed in *stats*."""
    labels = read_store(folder)
    if not labels:
        return None
    res = resolve(labels, run_pages(segments_dir, labels))
    if stats is not None:
        stats.add(STAGE, "human_labels_applied", res.applied)
        stats.add(STAGE, "human_labels_unmatched", len(res.unmatched))
        for u in res.unmatched:
            stats.skip(STAGE, f"human_label_{u['reason']}", f"page {u['page_id']}",
                       f"{u['label']!r} was on {u['text'][:80]!r}")
    return res.table if res.table.num_rows else None


def prelabel_sources(table: pa.Table) -> pa.Array:
    """"model" where only the model's vote backs the prelabel, "rule" otherwise, null without
    one."""
    n = table.num_rows
    votes = table["votes"].combine_chunks()
    prelabel = table["prelabel"].combine_chunks()
    flat = pc.list_flatten(votes)
    rule_backed = np.zeros(n, dtype=bool)
    model_backed = np.zeros(n, dtype=bool)
    if len(flat):
        parents = pc.list_parent_indices(votes).to_numpy()
        agrees = pc.fill_null(
            pc.equal(flat.field("label"), pc.take(prelabel, pa.array(parents))), False
        ).to_numpy(zero_copy_only=False)
        is_model = pc.fill_null(pc.equal(flat.field("rule"), MODEL_VOTER), False)
        is_model_np = is_model.to_numpy(zero_copy_only=False)
        model_backed[parents[agrees & is_model_np]] = True
        rule_backed[parents[agrees & ~is_model_np]] = True
    source = np.where(model_backed & ~rule_backed, MODEL_VOTER, "rule")
    return pc.if_else(pc.is_null(prelabel), pa.scalar(None, pa.string()),
                      pa.array(source, pa.string()))


def apply_human_labels(table: pa.Table, human: pa.Table | None) -> pa.Table:
    """Set label/label_source/annotators/agreement: the human label where one exists, else the
    prelabel. A human row with a null label (annotators tied) keeps the prelabel but records
    annotators and agreement, so `min_agreement.v1` can drop it."""
    table = as_segments(table)
    n = table.num_rows
    prelabel = table["prelabel"].combine_chunks()
    label: pa.Array = prelabel
    source = prelabel_sources(table)
    annotators: pa.Array = pa.array(np.zeros(n, dtype=np.int32), pa.int32())
    agreement: pa.Array = pa.nulls(n, pa.float32())
    if human is not None and human.num_rows:
        ids = human["segment_id"]
        if pc.count_distinct(ids).as_py() != len(ids):
            raise SchemaError("human labels hold a segment_id twice; re-run the Label Studio "
                              "merge, which writes one row per segment")
        idx = pc.index_in(table["segment_id"], value_set=ids.combine_chunks())
        h_label = pc.take(human["label"].combine_chunks(), idx)
        has_label = pc.is_valid(h_label)
        label = pc.if_else(has_label, h_label, prelabel)
        source = pc.if_else(has_label, "human", source)
        annotators = pc.fill_null(pc.take(human["annotators"].combine_chunks(), idx), 0)
        agreement = pc.take(human["agreement"].combine_chunks(), idx)
    # the part of the story is known only where the final label is the pre-label's article
    same_article = pc.and_(pc.equal(label, "article"), pc.equal(prelabel, "article"))
    part = pc.if_else(pc.fill_null(same_article, False), table["article_part"].combine_chunks(),
                      pa.scalar(None, pa.string()))
    for name, values in (("label", label), ("label_source", source), ("article_part", part),
                         ("annotators", annotators), ("agreement", agreement)):
        i = table.schema.get_field_index(name)
        table = table.set_column(i, table.schema.field(i), values)
    return table
