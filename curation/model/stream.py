"""Training matrices built as a stream, so memory stays flat as the gold grows.

Gold pages are read, segmented and pre-labelled in chunks of pages; each chunk's segment table
is spilled to a temporary Arrow file while the run's cross-page counts (SiteCounts: ints, not
strings) are gathered. A second pass reads the chunks back one at a time and hashes them into
sparse rows (the hashers are stateless, so chunks featurise apart and stack to the same matrix),
keeping every row (unlabelled ones are context for the body stage). No page, per-segment string
list or whole-run table is held."""

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
from curation.gold import GoldPage, best_copies_by_file
from curation.model.arrays import Floats, Labels
from curation.model.body import Rows, rows_of, stack_rows
from curation.model.data import STAGE, Labelled, label_gold
from curation.model.features import DENSE_NAMES, FeatureConfig, SiteCounts, featurize
from curation.model.stacker import vote_indicators
from curation.stats import Stats

# a multiple of label_gold's 64-page batches: the rules see the same batches as one whole run
CHUNK_PAGES = 256
CHUNK_ROWS = 50_000


@dataclass
class Matrix:
    """Every row of one or more runs (unlabelled rows too: they are the labelled rows' page
    context): features, targets ("" unknown), body targets, weights, sites, page places; run
    summaries."""

    x: sp.csr_matrix
    target: Labels  # labels, NOT_ARTICLE or ""
    weight: Floats
    group: Labels  # sites
    body: Labels  # "article" (the story's body), another label or "": unknown
    rows: Rows
    votes: Floats  # (rows, rules) the rules' vote indicators (the combiner's inputs)
    runs: list[dict[str, Any]] = field(default_factory=list)


def empty_matrix(fcfg: FeatureConfig) -> Matrix:
    """A matrix with no rows and the feature width of *fcfg*."""
    width = fcfg.token_features + fcfg.char_features + len(DENSE_NAMES)
    z = np.zeros(0)
    return Matrix(sp.csr_matrix((0, width)), z.astype(object), z, z.astype(object),
                  z.astype(object), stack_rows([]), np.zeros((0, 0), dtype=np.float32))


def stack(parts: Sequence[Matrix], fcfg: FeatureConfig) -> Matrix:
    """One matrix from several (rows in order, summaries concatenated). The parts' feature
    matrices are moved, not copied: each part's x is emptied once it is in the result."""
    parts = [p for p in parts if p.x.shape[0]] or [empty_matrix(fcfg)]
    return Matrix(
        _vstack_moving(parts),
        np.concatenate([p.target for p in parts]),
        np.concatenate([p.weight for p in parts]),
        np.concatenate([p.group for p in parts]),
        np.concatenate([p.body for p in parts]),
        stack_rows([p.rows for p in parts]),
        np.concatenate([p.votes for p in parts]),
        [r for p in parts for r in p.runs],
    )


def _vstack_moving(parts: Sequence[Matrix]) -> sp.csr_matrix:
    """sp.vstack of the parts' CSR matrices that frees each part as it is copied: the peak is
    the result plus one part, not twice the result (training matrices run to gigabytes)."""
    if len(parts) == 1:
        return parts[0].x
    width = parts[0].x.shape[1]
    nnz = sum(p.x.nnz for p in parts)
    n = sum(p.x.shape[0] for p in parts)
    index = np.int64 if nnz >= 2**31 else np.int32
    data = np.empty(nnz, dtype=parts[0].x.dtype)
    indices = np.empty(nnz, dtype=index)
    indptr = np.zeros(n + 1, dtype=index)
    row = at = 0
    for p in parts:
        x = p.x
        k, m = x.nnz, x.shape[0]
        data[at : at + k] = x.data
        indices[at : at + k] = x.indices
        indptr[row + 1 : row + m + 1] = x.indptr[1:].astype(index) + at
        row, at = row + m, at + k
        p.x = sp.csr_matrix((0, width))
        del x
    return sp.csr_matrix((data, indices, indptr), shape=(n, width))


def _matrix(lab: Labelled, x: sp.csr_matrix, table: pa.Table, names: list[str]) -> Matrix:
    return Matrix(
        x,
        np.array([t or "" for t in lab.target], dtype=object),
        lab.weight,
        np.array(lab.group, dtype=object),
        np.array([t or "" for t in lab.body or []], dtype=object),
        rows_of(table),
        vote_indicators(table, names).astype(np.float32),
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
    """The rows of one run held in memory (a published dataset), featurised by chunks."""
    from curation.model.data import summary

    m = _matrix(lab, featurize_chunked(lab.table, fcfg, names), lab.table, names)
    m.runs = [summary(lab)]
    return m


def _chunks(pages: Iterator[GoldPage], size: int) -> Iterator[list[GoldPage]]:
    chunk: list[GoldPage] = []
    for page in pages:
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
    """The rows of gold files, one run per file; a page held by several files is used once,
    from the file with the fuller annotation (a taxonomy page keeps its main-text twin's
    labels as body targets)."""
    out: list[Matrix] = []
    files = best_copies_by_file(paths, cfg.labels, stats, STAGE)
    with tempfile.TemporaryDirectory(prefix="curation-train-") as tmp:
        for fi, file_pages in enumerate(files):
            counts = SiteCounts()
            spilled: list[tuple[Path, Labelled]] = []
            targets: Counter[str] = Counter()
            sites: set[str] = set()
            n_pages = 0
            for k, pages in enumerate(_chunks(file_pages, chunk_pages)):
                lab = label_gold(pages, cfg)
                counts.add(lab.table)
                f = Path(tmp) / f"{fi}-{k}.arrow"
                feather.write_feather(lab.table, f)
                n_pages += len(pages)
                sites.update(lab.group)
                targets.update(t if t is not None else "(unknown)" for t in lab.target)
                # the table is on disk; keep targets/sites only
                spilled.append((f, Labelled(lab.table.slice(0, 0), lab.target, lab.group,
                                            body=lab.body)))
                del lab, pages
            parts = []
            for f, lab in spilled:
                table = feather.read_table(f)
                parts.append(_matrix(lab, featurize(table, fcfg, names, counts), table, names))
                f.unlink()
            m = stack(parts, fcfg)
            m.runs = [{"segments": sum(targets.values()), "pages": n_pages,
                       "sites": len(sites), "targets": dict(targets.most_common())}]
            out.append(m)
    return stack(out, fcfg)
