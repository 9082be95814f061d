"""Site-grouped split assignment: every segment of a site (or of a page without one)
lands in one split, so a cleaner is never tested on a site it was trained on."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curation.taxonomy import site_of


def _sites(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """site_of per row, computed once per distinct value."""
    flat = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    enc = pc.dictionary_encode(flat)
    sites = pa.array([site_of(v) for v in enc.dictionary.to_pylist()], pa.string())
    return pc.fill_null(sites.take(enc.indices), "")


def group_keys(batch: pa.RecordBatch | pa.Table) -> pa.Array:
    """Per-row group: "site:<site>" (`taxonomy.site_of` of the page's domain), else
    "page:<page_id>"."""
    site = _sites(batch["domain"])
    keys = pc.if_else(pc.not_equal(site, ""), pc.binary_join_element_wise("site:", site, ""),
                      pc.binary_join_element_wise("page:", batch["page_id"], ""))
    return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys


def encoded_group_keys(batch: pa.RecordBatch | pa.Table) -> pa.DictionaryArray:
    """`group_keys` as a dictionary array whose dictionary holds each key once: the keys are
    built per distinct domain (and per distinct page of the rows without a site), so the
    per-row work is two takes and no string is made per row."""
    domains = _flat(pc.dictionary_encode(_flat(batch["domain"])))
    index_of: dict[str, int] = {}  # key -> its place in the dictionary (insertion order)

    def code(key: str) -> int:
        return index_of.setdefault(key, len(index_of))

    sites = [site_of(v) for v in domains.dictionary.to_pylist()]
    by_domain = pa.array([code(f"site:{s}") if s else None for s in sites], pa.int32())
    codes = by_domain.take(domains.indices)
    if codes.null_count:  # rows without a site: their page is the group
        pages = _flat(pc.dictionary_encode(_flat(batch["page_id"])))
        by_page = pa.array([code(f"page:{p}") for p in pages.dictionary.to_pylist()],
                           pa.int32())
        codes = pc.coalesce(codes, by_page.take(pages.indices))
    return pa.DictionaryArray.from_arrays(codes, pa.array(list(index_of), pa.string()))


def _flat(values: Any) -> Any:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def apply_merges(keys: pa.Array, merges: Mapping[str, str] | None) -> pa.Array:
    """*keys* (split groups) with each merged group replaced by the group it joins (sites that
    share a near-duplicate cluster go to one split)."""
    if not merges:
        return keys
    idx = pc.index_in(keys, value_set=pa.array(list(merges), pa.string()))
    joined = pa.array(list(merges.values()), pa.string()).take(idx)
    out = pc.if_else(pc.is_null(idx), keys, joined)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _order(key: str) -> str:
    # a stable hash (Python's hash() is salted per process) spreads sites without bias
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def assign_splits(group_rows: Mapping[str, int], fractions: Mapping[str, float]) -> dict[str, str]:
    """Group -> split. Groups go in hash order to the split furthest below its row target;
    once only as many groups remain as splits are still empty, each goes to an empty one,
    so with at least as many groups as non-zero splits, every such split gets a group.

    >>> assign_splits({"site:a": 5, "site:b": 1, "site:c": 1}, {"train": .8, "test": .2})
    {'site:c': 'train', 'site:a': 'train', 'site:b': 'test'}
    """
    active = [s for s, f in fractions.items() if f > 0]
    total = sum(group_rows.values())
    rows = dict.fromkeys(active, 0)
    groups = dict.fromkeys(active, 0)
    out: dict[str, str] = {}
    order = sorted(group_rows, key=lambda k: (_order(k), k))
    for i, key in enumerate(order):
        empty = [s for s in active if groups[s] == 0]
        candidates = empty if len(order) - i <= len(empty) else active
        # ties go to the split listed first in the config
        best = max(candidates, key=lambda s: (fractions[s] * total - rows[s], -active.index(s)))
        out[key] = best
        rows[best] += group_rows[key]
        groups[best] += 1
    return out
