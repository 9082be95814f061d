"""Learning a site from a few labelled pages: what its labelled pages say about its templates.

Pages of one site repeat their furniture: the same block templates (tag path and class/id
tokens) and the same short texts (menu items, footers, "Read more") come back on every page.
From a user's labelled pages, each site's templates and short texts remember the labels they
got; on that site's other pages a segment whose template or text was labelled consistently
takes that label, mixed with the cleaner's own probabilities (a template seen once weighs less
than one seen ten times). Stored in the model file's JSON metadata, keyed by site: a site
nobody labelled is labelled by the default cleaner alone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.model.arrays import Bools, Floats
from curation.stats import Stats
from curation.taxonomy import site_of

Memory = dict[str, dict[str, dict[str, float]]]  # site -> key -> label -> count
_SHORT_TEXT = 80  # longer texts are the story's own, never repeated furniture
MIN_SHARE = 0.9  # a key labelled less consistently than this says nothing


def _keys(table: pa.Table) -> tuple[list[str], list[str], list[str | None]]:
    """Per row: its site, its template key and (short texts only) its text key."""
    domains = table.column("domain").to_pylist()
    urls = table.column("url").to_pylist()
    tpath = table.column("tag_path").to_pylist()
    attrs = table.column("attrs").to_pylist()
    text = table.column("text").to_pylist()
    sites = [site_of(d or u) for d, u in zip(domains, urls, strict=True)]
    tmpl = [f"t:{p or ''}|{a or ''}" for p, a in zip(tpath, attrs, strict=True)]
    texts = [f"x:{' '.join((t or '').lower().split())}" if len(t or "") <= _SHORT_TEXT else None
             for t in text]
    return sites, tmpl, texts


def site_memory(table: pa.Table, targets: Sequence[str | None], labels: Sequence[str]) -> Memory:
    """The label counts of each site's templates and short texts on the labelled rows."""
    allowed = set(labels)
    out: Memory = {}
    sites, tmpl, texts = _keys(table)
    for i, target in enumerate(targets):
        if target is None or target not in allowed or not sites[i]:
            continue
        site = out.setdefault(sites[i], {})
        for key in (tmpl[i], texts[i]):
            if key is not None:
                counts = site.setdefault(key, {})
                counts[target] = counts.get(target, 0.0) + 1.0
    return out


def merge(a: Memory, b: Memory) -> Memory:
    """Both memories' counts added (a model adapted twice keeps what it learned first)."""
    out: Memory = {s: {k: dict(v) for k, v in keys.items()} for s, keys in a.items()}
    for s, keys in b.items():
        site = out.setdefault(s, {})
        for k, counts in keys.items():
            mine = site.setdefault(k, {})
            for lab, n in counts.items():
                mine[lab] = mine.get(lab, 0.0) + n
    return out


def recall(table: pa.Table, proba: Floats, labels: Sequence[str], memory: Memory,
           prior: float = 1.0) -> tuple[Floats, Bools]:
    """*proba* mixed, where a row's site remembers its text or template, with the remembered
    labels: (counts + prior * proba) / (n + prior); the text key wins over the template.
    Also returns which rows were remembered."""
    hit = np.zeros(len(proba), dtype=bool)
    if not memory or not len(proba):
        return proba, hit
    col = {lab: k for k, lab in enumerate(labels)}
    out = proba.copy()
    sites, tmpl, texts = _keys(table)
    for i, site in enumerate(sites):
        known = memory.get(site)
        if not known:
            continue
        for key in (texts[i], tmpl[i]):
            counts = known.get(key) if key is not None else None
            if not counts:
                continue
            n = sum(counts.values())
            if max(counts.values()) < MIN_SHARE * n:
                continue
            dist = np.zeros(len(labels))
            for lab, c in counts.items():
                if lab in col:
                    dist[col[lab]] = c
            out[i] = (dist + prior * proba[i]) / (dist.sum() + prior)
            hit[i] = True
            break
    return out, hit


def adapt_model(
    cfg: RunConfig, base: Path, out: Path, gold: Sequence[Path] = (),
    datasets: Sequence[Path] = (), stats: Stats | None = None,
) -> dict[str, Any]:
    """The model of *base* taught the sites of *gold* files and published *datasets* (their
    templates and repeated texts, see module doc); written to *out*. The heads and the
    combiner stay as trained: a site nobody labelled is labelled as before."""
    from curation.gold import read_gold_pages
    from curation.model.cleaner import load, save
    from curation.model.data import STAGE, label_dataset, label_gold

    if not gold and not datasets:
        raise ConfigError("nothing to adapt to: give --gold FILE or --dataset DIR")
    stats = stats if stats is not None else Stats()
    cleaner = load(Path(base))
    cleaner.check_usable(cfg)
    files = read_gold_pages(list(gold), cfg.labels, stats, STAGE)
    runs = [label_gold(pages, cfg) for pages in files]
    runs += [label_dataset(Path(d), cfg, stats) for d in datasets]
    learned: Memory = {}
    for run in runs:
        learned = merge(learned, site_memory(run.table, run.target, cleaner.labels))
    cleaner.site_memory = merge(cleaner.site_memory, learned)
    cleaner.trained_on = {**cleaner.trained_on, "adapted_from": str(base),
                          "adapted_on": {"gold": [str(p) for p in gold],
                                         "datasets": [str(d) for d in datasets]}}
    save(cleaner, Path(out))
    return {"model": str(out), "sites": sorted(learned),
            "keys": sum(len(v) for v in learned.values())}
