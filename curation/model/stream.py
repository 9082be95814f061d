"""Training matrices built as a stream, so memory stays flat as the gold grows.

Gold pages are read, segmented and pre-labelled in chunks of pages; each chunk's segment table
is spilled to a temporary Arrow file while the run's cross-page counts (SiteCounts: ints, not
strings) are gathered. A second pass reads the chunks back one at a time and hashes them into
sparse rows (the hashers are stateless, so chunks featurise apart and stack to the same matrix),
keeping only the labelled rows. No page, per-segment string list or whole-run table is held."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import scipy.sparse as sp

from curation.config import RunConfig
from curation.evaluate.gold import GoldPage, iter_gold
from curation.model.data import _RANK, STAGE, Labelled, label_gold
from curation.model.features import DENSE_NAMES, FeatureConfig, SiteCounts, featurize
from curation.stats import Stats

# a multiple of label_gold's 64-page batches: the rules see the same batches as one whole run
CHUNK_PAGES = 256
CHUNK_ROWS = 50_000


@dataclass
class Matrix:
    """Labelled rows of one or more runs: features, targets, weights, sites; run summaries."""

    x: sp.csr_matrix
    target: np.ndarray  # object array of labels or NOT_ARTICLE
    weight: np.ndarray
    group: np.ndarray
    runs: list[dict[str, Any]] = field(default_factory=list)


def empty_matrix(fcfg: FeatureConfig) -> Matrix:
    """A matrix with no rows and the feature width of *fcfg*."""
    width = fcfg.token_features + fcfg.char_features + len(DENSE_NAMES)
    z = np.zeros(0)
    return Matrix(sp.csr_matrix((0, width)), z.astype(object), z, z.astype(object))


def stack(parts: Sequence[Matrix], fcfg: FeatureConfig) -> Matrix:
    """One matrix from several (rows in order, summaries concatenated)."""
    parts = [p for p in parts if p.x.shape[0]] or [empty_matrix(fcfg)]
    return Matrix(
        sp.vstack([p.x for p in parts], format="csr"),
        np.concatenate([p.target for p in parts]),
        np.concatenate([p.weight for p in parts]),
        np.concatenate([p.group for p in parts]),
        [r for p in parts for r in p.runs],
    )


def _labelled_rows(lab: Labelled, x: sp.csr_matrix) -> Matrix:
    keep = np.array([t is not None for t in lab.target], dtype=bool)
    return Matrix(
        x[keep],
        np.array([t for t in lab.target if t is not None], dtype=object),
        lab.weight[keep],
        np.array(lab.group, dtype=object)[keep],
    )


def page_slices(table: pa.Table, max_rows: int = CHUNK_ROWS) -> Iterator[tuple[int, int]]:
    """Row ranges of about *max_rows* rows that never split a page (pages contiguous)."""
    pids = table.column("page_id").to_pylist()
    start = 0
    while start < len(pids):
        end = min(start + max_rows, len(pids))
        while end < len(pids) and pids[end] == pids[end - 1]:
            end += 1
        yield start, end
        start = end


def featurize_chunked(
    table: pa.Table, fcfg: FeatureConfig, names: list[str], max_rows: int = CHUNK_ROWS
) -> sp.csr_matrix:
    """featurize(*table*) computed over page-aligned chunks (same matrix, flat memory)."""
    counts = SiteCounts().add(table)
    xs = [
        featurize(table.slice(a, b - a), fcfg, names, counts)
        for a, b in page_slices(table, max_rows)
    ]
    if not xs:
        return featurize(table, fcfg, names)
    return sp.vstack(xs, format="csr")


def labelled_matrix(lab: Labelled, fcfg: FeatureConfig, names: list[str]) -> Matrix:
    """The labelled rows of one run held in memory (a published dataset), featurised by chunks."""
    from curation.model.data import summary

    m = _labelled_rows(lab, featurize_chunked(lab.table, fcfg, names))
    m.runs = [summary(lab)]
    return m


def _best_files(paths: Sequence[Path], cfg: RunConfig) -> dict[str, int]:
    """page_id -> the file whose annotation of it is fullest (a cheap pass: ids only)."""
    best: dict[str, tuple[int, int]] = {}
    for fi, path in enumerate(paths):
        for page in iter_gold(Path(path), cfg.labels, Stats()):
            rank = (_RANK.get(page.annotation, 3), fi)
            if page.page_id not in best or rank < best[page.page_id]:
                best[page.page_id] = rank
    return {pid: fi for pid, (_, fi) in best.items()}


def _page_chunks(
    path: Path, fi: int, best: dict[str, int] | None, cfg: RunConfig, stats: Stats, size: int
) -> Iterator[list[GoldPage]]:
    chunk: list[GoldPage] = []
    for page in iter_gold(Path(path), cfg.labels, stats):
        if best is not None and best.get(page.page_id, fi) != fi:
            stats.add(STAGE, "duplicate_page_dropped")
            continue
        chunk.append(page)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def gold_matrix(
    paths: Sequence[Path],
    cfg: RunConfig,
    fcfg: FeatureConfig,
    names: list[str],
    stats: Stats,
    chunk_pages: int = CHUNK_PAGES,
) -> Matrix:
    """The labelled rows of gold files, one run per file; a page held by several files is used
    once, from the file with the fuller annotation."""
    best = _best_files(paths, cfg) if len(paths) > 1 else None
    out: list[Matrix] = []
    with tempfile.TemporaryDirectory(prefix="curation-train-") as tmp:
        for fi, path in enumerate(paths):
            counts = SiteCounts()
            spilled: list[tuple[Path, Labelled]] = []
            targets: Counter[str] = Counter()
            sites: set[str] = set()
            n_pages = 0
            chunks = _page_chunks(Path(path), fi, best, cfg, stats, chunk_pages)
            for k, pages in enumerate(chunks):
                lab = label_gold(pages, cfg)
                counts.add(lab.table)
                f = Path(tmp) / f"{fi}-{k}.arrow"
                feather.write_feather(lab.table, f)
                n_pages += len(pages)
                sites.update(lab.group)
                targets.update(t if t is not None else "(unknown)" for t in lab.target)
                # the table is on disk; keep targets/sites only
                spilled.append((f, Labelled(lab.table.slice(0, 0), lab.target, lab.group)))
                del lab, pages
            parts = []
            for f, lab in spilled:
                table = feather.read_table(f)
                parts.append(_labelled_rows(lab, featurize(table, fcfg, names, counts)))
                f.unlink()
            m = stack(parts, fcfg)
            m.runs = [{"segments": sum(targets.values()), "pages": n_pages,
                       "sites": len(sites), "targets": dict(targets.most_common())}]
            out.append(m)
    return stack(out, fcfg)
