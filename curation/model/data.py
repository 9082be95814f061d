"""Training examples: OUR segments (with features and rule votes) and the label each one gets
from a gold page or a published dataset.

Gold pages are cut by another segmenter, so each of our segments takes the gold label that
covers most of its tokens (`curation.gold.majority_targets`). Partial annotations stay
partial: a segment whose tokens are mostly unlabelled gets no target, and a gold block known
only to be "not article" gives the target NOT_ARTICLE (it trains the article head, not the
label-type head)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curation.config import RunConfig
from curation.gold import GoldPage, body_targets, majority_targets, page_record, page_site
from curation.label import prelabel_table, rule_label_pages, rule_set
from curation.model.arrays import Floats
from curation.stats import Stats
from curation.taxonomy import ARTICLE, META, NOT_ARTICLE, site_of

STAGE = "train"


@dataclass
class Labelled:
    """Pre-labelled segments of one run (pages contiguous) plus a target per segment."""

    table: pa.Table
    target: list[str | None]
    group: list[str]  # site of each segment's page: CV folds never split one
    weight: Floats = field(default_factory=lambda: np.zeros(0))
    body: list[str | None] | None = None  # "is it the story's body" targets; default: target

    def __post_init__(self) -> None:
        if len(self.weight) != len(self.target):
            self.weight = np.ones(len(self.target))
        if self.body is None:
            self.body = list(self.target)


def label_gold(pages: list[GoldPage], cfg: RunConfig, batch_pages: int = 64) -> Labelled:
    """Label gold pages with the rules (one run: cross-page features see them all) and give
    each segment its gold target."""
    tables: list[pa.Table] = []
    for k in range(0, len(pages), batch_pages):
        batch = [page_record(p) for p in pages[k : k + batch_pages]]
        tables.append(rule_label_pages(batch, cfg))
    if not tables:
        from curation.schema import SEGMENT_SCHEMA

        return Labelled(SEGMENT_SCHEMA.empty_table(), [], [])
    table = pa.concat_tables(tables)
    by_page: dict[str, list[int]] = {}
    for i, pid in enumerate(table.column("page_id").to_pylist()):
        by_page.setdefault(pid, []).append(i)
    texts = table.column("text").to_pylist()
    target: list[str | None] = [None] * table.num_rows
    body: list[str | None] = [None] * table.num_rows
    group = [""] * table.num_rows
    for page in pages:
        rows = by_page.get(page.page_id, [])
        page_texts = [texts[r] for r in rows]
        page_targets = majority_targets(page, page_texts)
        page_body = body_targets(page, page_texts, page_targets)
        for r, t, b in zip(rows, page_targets, page_body, strict=True):
            target[r] = t
            body[r] = b
            group[r] = page_site(page)
    return Labelled(table, target, group, body=body)


def label_dataset(folder: Path, cfg: RunConfig, stats: Stats) -> Labelled:
    """Segments of a published dataset folder (`curation publish`) with their labels as targets.

    The dataset keeps no class/id tokens or main-container flag, so those features are empty
    and the rules are re-run on what is kept; human labels weigh more than rule labels."""
    import pyarrow.parquet as pq

    from curation.errors import InputError
    from curation.io.parquet import conform
    from curation.schema import DATASET_SCHEMA, SEGMENT_SCHEMA, check_schema

    files = sorted((Path(folder) / "data").glob("train-*.parquet")) or sorted(
        (Path(folder) / "data").glob("*.parquet")
    )
    if not files:
        raise InputError(f"{folder} holds no data/*.parquet: is it a `curation publish` folder?")
    parts = []
    for f in files:
        t = pq.read_table(f)
        check_schema(t.schema, DATASET_SCHEMA, str(f))
        parts.append(t)
    table = pa.concat_tables(parts).sort_by([("page_id", "ascending"), ("position", "ascending")])
    labels = table.column("label").to_pylist()
    sources = table.column("label_source").to_pylist()
    seg = conform(table.drop_columns(["label", "label_source", "article_part"]), SEGMENT_SCHEMA)
    seg = prelabel_table(seg, rule_set(cfg))
    target = [lab if lab in cfg.labels else None for lab in labels]
    parts = table.column("article_part").to_pylist()
    # an article row marked "meta" (headline, byline) is not body; other article rows are
    body = [NOT_ARTICLE if t == ARTICLE and part == META else t
            for t, part in zip(target, parts, strict=True)]
    stats.add(STAGE, "dataset_rows", len(target))
    weight = np.array([1.0 if s == "human" else 0.5 for s in sources])
    doms = table.column("domain").to_pylist()
    urls = table.column("url").to_pylist()
    pids = table.column("page_id").to_pylist()
    group = [site_of(d or u) or p for d, u, p in zip(doms, urls, pids, strict=True)]
    return Labelled(seg, target, group, weight, body)


def summary(data: Labelled) -> dict[str, Any]:
    """Counts of targets, for the model file and the train command's output."""
    c = Counter(t if t is not None else "(unknown)" for t in data.target)
    return {
        "segments": len(data.target),
        "pages": len(set(data.table.column("page_id").to_pylist())),
        "sites": len(set(data.group)),
        "targets": dict(c.most_common()),
    }
