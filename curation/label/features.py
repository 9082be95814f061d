"""Column-wise features of a batch of segments, computed once and shared by every rule."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_WORD = r"[\p{L}\p{N}]+"
CUE_MAX_WORDS = 80  # no cue rule looks at longer segments


def _np(a: pa.ChunkedArray | pa.Array, fill: object = 0) -> np.ndarray:
    return pc.fill_null(a, fill).to_numpy(zero_copy_only=False)  # type: ignore[arg-type]


@dataclass
class Frame:
    """Features of n segments, grouped by page in page order (pages are contiguous runs)."""

    n: int
    text: pa.ChunkedArray
    lower: pa.ChunkedArray
    tag_path: pa.ChunkedArray
    attrs: pa.ChunkedArray
    lang: np.ndarray  # page language per segment
    n_chars: np.ndarray
    n_words: np.ndarray
    link_density: np.ndarray
    is_html: np.ndarray
    in_main: np.ndarray
    page: np.ndarray  # page ordinal per segment
    first: np.ndarray  # first segment of its page
    last: np.ndarray
    rel_pos: np.ndarray  # position / page length, 0..1
    dup_in_page: np.ndarray  # how many segments of the same page have the same text
    cue_patterns: dict[str, dict[str, str]]
    _cue_cache: dict[str, np.ndarray] = field(default_factory=dict)
    _match_cache: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    langs_without_cues: set[str] = field(default_factory=set)

    def cue(self, kind: str) -> np.ndarray:
        """Segments whose text matches the cue phrases of *kind* for their page's language."""
        hit = self._cue_cache.get(kind)
        if hit is None:
            hit = np.zeros(self.n, dtype=bool)
            for lang in np.unique(self.lang):
                pats = self.cue_patterns.get(str(lang))
                if pats is None:  # no cue file: only the language-independent cues
                    self.langs_without_cues.add(str(lang))
                    pats = self.cue_patterns.get("*", {})
                pattern = pats.get(kind)
                if not pattern:
                    continue
                # cue rules are for short blocks: long paragraphs are never matched (and are
                # most of the bytes, so leaving them out is most of the regex time)
                idx = np.flatnonzero((self.lang == lang) & (self.n_words <= CUE_MAX_WORDS))
                sub = self.lower if len(idx) == self.n else self.lower.take(pa.array(idx))
                hit[idx] = _np(pc.match_substring_regex(sub, pattern), False)
            self._cue_cache[kind] = hit
        return hit

    def match(self, column: str, pattern: str) -> np.ndarray:
        """Regex search (RE2) in a string column: tag_path, attrs or lower."""
        key = (column, pattern)
        hit = self._match_cache.get(key)
        if hit is None:
            hit = _np(pc.match_substring_regex(getattr(self, column), pattern), False).astype(bool)
            self._match_cache[key] = hit
        return hit

    def shift(self, values: np.ndarray, by: int, fill: object) -> np.ndarray:
        """values of the segment *by* places later (by > 0) or earlier, within the same page."""
        out = np.full(self.n, fill, dtype=values.dtype)
        if by > 0 and self.n > by:
            out[:-by] = values[by:]
            same = self.page[:-by] == self.page[by:]
            out[:-by][~same] = fill
        elif by < 0 and self.n > -by:
            k = -by
            out[k:] = values[:-k]
            same = self.page[k:] == self.page[:-k]
            out[k:][~same] = fill
        return out


def build_frame(table: pa.Table, cue_patterns: dict[str, dict[str, str]]) -> Frame:
    """Features for *table* (SEGMENT_SCHEMA, pages contiguous, positions ascending)."""
    n = table.num_rows
    text = table.column("text")
    lower = pc.utf8_lower(text)
    page_ids = table.column("page_id")
    codes = pc.dictionary_encode(page_ids).combine_chunks().indices.to_numpy()
    boundary = np.ones(n, dtype=bool)
    if n > 1:
        boundary[1:] = codes[1:] != codes[:-1]
    page = np.cumsum(boundary) - 1
    starts = np.flatnonzero(boundary)
    sizes = np.diff(np.append(starts, n))
    first = boundary
    last = np.zeros(n, dtype=bool)
    if n:
        last[starts + sizes - 1] = True
    pos_in_page = np.arange(n) - np.repeat(starts, sizes)
    rel_pos = pos_in_page / np.maximum(np.repeat(sizes, sizes) - 1, 1)
    text_codes = pc.dictionary_encode(text).combine_chunks().indices.to_numpy().astype(np.int64)
    key = page.astype(np.int64) * (int(text_codes.max(initial=0)) + 1) + text_codes
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    tag_path = table.column("tag_path")
    return Frame(
        n=n,
        text=text,
        lower=lower,
        tag_path=pc.fill_null(tag_path, ""),
        attrs=pc.fill_null(table.column("attrs"), ""),
        lang=_np(table.column("lang"), "unknown").astype(str),
        n_chars=_np(pc.utf8_length(text)).astype(np.int64),
        n_words=_np(pc.count_substring_regex(text, _WORD)).astype(np.int64),
        link_density=_np(table.column("link_density"), 0.0).astype(np.float64),
        is_html=_np(pc.is_valid(tag_path), False).astype(bool),
        in_main=_np(table.column("in_main"), False).astype(bool),
        page=page,
        first=first,
        last=last,
        rel_pos=rel_pos,
        dup_in_page=counts[inverse],
        cue_patterns=cue_patterns,
    )
