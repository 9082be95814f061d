"""Column-wise features of a batch of segments, computed once and shared by every rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from curation.words import is_unspaced_word_char

# the array types of the features, the rules' masks and the vote matrices
Mask = NDArray[np.bool_]
Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Codes = NDArray[np.int8]  # label codes, ABSTAIN (-1) where none
Column = NDArray[Any]  # a column read from Arrow (strings, objects or numbers)
Scalar = TypeVar("Scalar", bound=np.generic)

_WORD = r"[\p{L}\p{N}]+"
_WHOLE_TOKEN = {
    "attrs": re.compile(r"^\(\^\| \)\((.*)\)\( \|\$\)$"),
    "tag_path": re.compile(r"^\(\^\|>\)\((.*)\)\(>\|\$\)$"),
}
_SEPARATOR = {"attrs": " ", "tag_path": ">"}
CUE_MAX_WORDS = 80  # no cue rule looks at longer segments
DUP_MAX_WORDS = 30  # repetition is only used for title-like segments
# alternatives of word characters only: a match never holds a space (nor crosses a token)
_NO_SPACE = re.compile(r"(?:[A-Za-z0-9_|()?:*+{},]|\\[wd])*")


def _np(a: pa.ChunkedArray | pa.Array, fill: object = 0) -> Column:
    return np.asarray(pc.fill_null(a, fill).to_numpy(zero_copy_only=False))


@dataclass
class Frame:
    """Features of n segments, grouped by page in page order (pages are contiguous runs)."""

    n: int
    text: pa.ChunkedArray
    tag_path: pa.ChunkedArray
    attrs: pa.ChunkedArray
    lang: Column  # page language per segment
    n_chars: Ints
    n_words: Ints
    link_density: Floats
    is_html: Mask
    in_main: Mask
    after_image: Mask
    link_kind: Column  # "follow" | "share" | "ad" | "" (segment/links.py)
    page: Ints  # page ordinal per segment
    first: Mask  # first segment of its page
    last: Mask
    rel_pos: Floats  # position / page length, 0..1
    dup_in_page: Ints  # how many segments of the same page have the same text
    cue_patterns: dict[str, dict[str, str]]
    _cue_cache: dict[str, tuple[int, Mask]] = field(default_factory=dict)  # kind: bound, hits
    _bounded: dict[tuple[str, int], tuple[Ints, pa.Array]] = field(default_factory=dict)
    _match_cache: dict[tuple[str, str], Mask] = field(default_factory=dict)
    _dict_cache: dict[str, tuple[pa.Array, Column]] = field(default_factory=dict)
    _token_cache: dict[str, tuple[pa.Array, Column, Column, int]] = field(
        default_factory=dict)
    langs_without_cues: set[str] = field(default_factory=set)
    _groups: dict[str, tuple[Ints, pa.Array]] | None = None

    def cue(self, kind: str, max_words: int = CUE_MAX_WORDS) -> Mask:
        """Segments of at most *max_words* words (at most CUE_MAX_WORDS) whose text matches
        the cue phrases of *kind* for their page's language. A rule that bounds the length
        anyway passes its bound: the fewer the words, the fewer bytes RE2 searches."""
        bound = min(max_words, CUE_MAX_WORDS)
        cached = self._cue_cache.get(kind)
        if cached is not None and cached[0] >= bound:
            hit = cached[1]
            return hit if cached[0] == bound else hit & (self.n_words <= bound)
        hit = np.zeros(self.n, dtype=np.bool_)
        for lang, (idx, lower) in self._lang_groups().items():
            pats = self.cue_patterns.get(lang)
            if pats is None:  # no cue file: only the language-independent cues
                self.langs_without_cues.add(lang)
                pats = self.cue_patterns.get("*", {})
            pattern = pats.get(kind)
            if pattern:
                rows, texts = self._bounded_group(lang, idx, lower, bound)
                if rows.size:
                    hit[rows] = _np(pc.match_substring_regex(texts, pattern), False)
        self._cue_cache[kind] = (bound, hit)
        return hit

    def _bounded_group(self, lang: str, idx: Ints, lower: pa.Array,
                       bound: int) -> tuple[Ints, pa.Array]:
        """The segments of a language group with at most *bound* words, and their text."""
        if bound >= CUE_MAX_WORDS:
            return idx, lower
        found = self._bounded.get((lang, bound))
        if found is None:
            keep = self.n_words[idx] <= bound
            found = (idx[keep], lower.filter(pa.array(keep)))
            self._bounded[(lang, bound)] = found
        return found

    def _lang_groups(self) -> dict[str, tuple[Ints, pa.Array]]:
        """Per language: the short segments (cue rules never look at long paragraphs, which
        are most of the bytes) and their lower-cased text, computed once."""
        if self._groups is None:
            self._groups = {}
            short = self.n_words <= CUE_MAX_WORDS
            for lang in np.unique(self.lang).tolist():
                idx = np.flatnonzero((self.lang == lang) & short)
                if idx.size:
                    sub = self.text if idx.size == self.n else self.text.take(pa.array(idx))
                    self._groups[lang] = (idx, pc.utf8_lower(sub))
        return self._groups

    def match(self, column: str, pattern: str) -> Mask:
        """Regex search (RE2) in a string column: tag_path, attrs or text.

        tag_path and attrs repeat a lot (siblings share them), so they are matched once per
        distinct value and spread back with the dictionary indices. A whole-token pattern
        (`(^| )(a|b)( |$)` on attrs, `(^|>)(a|b)(>|$)` on tag_path) is matched once per distinct
        token instead, and spread to the values holding a matching token."""
        key = (column, pattern)
        hit = self._match_cache.get(key)
        if hit is None:
            if column in ("tag_path", "attrs"):
                values, indices = self._distinct(column)
                whole = _WHOLE_TOKEN[column].match(pattern)
                # attrs values are long ancestor chains (~50 tokens): splitting them costs more
                # than a regex pass, which finds the same tokens when no match holds a space
                by_token = whole and not (column == "attrs" and _NO_SPACE.fullmatch(whole[1]))
                if whole and by_token:
                    per_value = self._token_hits(column, whole.group(1))
                else:
                    per_value = _np(pc.match_substring_regex(values, pattern), False).astype(bool)
                hit = per_value[indices]
            else:
                col = getattr(self, column)
                hit = _np(pc.match_substring_regex(col, pattern), False).astype(bool)
            self._match_cache[key] = hit
        return hit

    def _token_hits(self, column: str, alternatives: str) -> Mask:
        """Per distinct value of *column*: does one of its tokens fully match *alternatives*."""
        found = self._token_cache.get(column)
        if found is None:
            values, _ = self._distinct(column)
            parts = pc.split_pattern(values, _SEPARATOR[column])
            flat = pc.list_flatten(parts)
            owner = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
            enc = pc.dictionary_encode(flat)
            found = (enc.dictionary, enc.indices.to_numpy(zero_copy_only=False), owner, len(values))
            self._token_cache[column] = found
        vocab, codes, owner, n_values = found
        tok_hit = _np(pc.match_substring_regex(vocab, f"^(?:{alternatives})$"), False).astype(bool)
        per_value = np.zeros(n_values, dtype=np.bool_)
        per_value[owner[tok_hit[codes]]] = True
        return per_value

    def near_attrs(self, pattern: str, tokens: int = 6) -> Mask:
        """Whole-token *pattern* (`(^| )(a|b)( |$)`) on only the last *tokens* class/id tokens:
        the block's own and its nearest ancestors', not a wrapper far up the tree. One RE2 pass
        per distinct attrs value: the token, then at most tokens-1 more, then the end."""
        whole = _WHOLE_TOKEN["attrs"].match(pattern)
        if whole is None:
            raise ValueError(f"near_attrs needs a whole-token pattern, got {pattern!r}")
        return self.match("attrs", f"(^| )({whole.group(1)})( [^ ]+){{0,{tokens - 1}}}$")

    def _distinct(self, column: str) -> tuple[pa.Array, Column]:
        found = self._dict_cache.get(column)
        if found is None:
            enc = pc.dictionary_encode(getattr(self, column)).combine_chunks()
            found = (enc.dictionary, enc.indices.to_numpy(zero_copy_only=False))
            self._dict_cache[column] = found
        return found

    def shift(self, values: NDArray[Scalar], by: int, fill: object) -> NDArray[Scalar]:
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


def _word_counts(text: pa.ChunkedArray) -> Ints:
    """Words (letter/digit runs) per segment: counted exactly for segments up to ~40 words,
    where the rules' thresholds are; longer ones (most of the bytes) get their space count."""
    spaces = _np(pc.count_substring(text, " ")).astype(np.int64)
    words = spaces + 1
    short = np.flatnonzero(spaces <= 40)
    if short.size:
        sub = text if short.size == len(spaces) else text.take(pa.array(short))
        words[short] = word_runs(sub.combine_chunks())
    return words


# bytes that are a _WORD character by themselves: ASCII letters and digits (a byte >= 0x80 is
# part of a multi-byte character, classified per character below)
_BYTE_WORD = np.zeros(256, dtype=np.bool_)
_BYTE_WORD[list(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")] = True


def word_runs(strings: pa.Array) -> Ints:
    """Per string, its words: the number of _WORD matches (RE2's count_substring_regex), each
    Chinese or Japanese character counted as a word by itself (curation/words.py). From the
    UTF-8 bytes with numpy: a regex call costs per match, and short segments are mostly
    matches. Each distinct non-ASCII character is classified by the same RE2 class, so outside
    Chinese and Japanese the counts are RE2's (null strings count 0)."""
    n = len(strings)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[
        strings.offset : strings.offset + n + 1].astype(np.int64)
    data = strings.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return np.zeros(n, dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    offsets -= offsets[0]
    word = _BYTE_WORD[raw]  # each byte: part of a word character
    unspaced = np.zeros(len(raw), dtype=np.bool_)  # part of a Chinese or Japanese character
    at = np.flatnonzero(raw >= 0xC0)  # the lead byte of each multi-byte character
    if at.size:
        padded = np.concatenate([raw, np.zeros(3, dtype=np.uint8)])
        b0, b1, b2, b3 = (padded[at + k].astype(np.int64) for k in range(4))
        c1, c2, c3 = b1 & 0x3F, b2 & 0x3F, b3 & 0x3F
        size = np.where(b0 < 0xE0, 2, np.where(b0 < 0xF0, 3, 4))
        code = np.where(size == 2, ((b0 & 0x1F) << 6) | c1,
                        np.where(size == 3, ((b0 & 0x0F) << 12) | (c1 << 6) | c2,
                                 ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3))
        distinct, inverse = np.unique(code, return_inverse=True)
        chars = [chr(c) for c in distinct.tolist()]
        is_word = _np(pc.match_substring_regex(pa.array(chars, pa.string()), f"^{_WORD}$"),
                      False).astype(bool)
        char_word = is_word[inverse.reshape(-1)]
        is_unspaced = np.array([is_unspaced_word_char(ch) for ch in chars], dtype=np.bool_)
        char_unspaced = is_unspaced[inverse.reshape(-1)]
        for k in range(4):  # every byte of the character gets its class
            part = size > k
            word[at[part] + k] = char_word[part]
            unspaced[at[part] + k] = char_unspaced[part]
    # a word starts at a character's first byte unless it and the character before are both
    # word characters of spaced scripts (a Chinese or Japanese character is a word by itself)
    spaced_word = word & ~unspaced
    run_start = word & ((raw & 0xC0) != 0x80)
    run_start[1:] &= ~(spaced_word[1:] & spaced_word[:-1])
    firsts = offsets[:-1][offsets[:-1] < len(raw)]  # a string's first byte starts a run too
    run_start[firsts] = word[firsts]
    before = np.concatenate([[0], np.cumsum(run_start, dtype=np.int64)])
    counts: Ints = before[offsets[1:]] - before[offsets[:-1]]
    return counts


def _repeats_in_page(text: pa.ChunkedArray, page: Ints, candidates: Mask) -> Ints:
    """How many segments of the same page have the same text (only for *candidates*, else 1)."""
    out = np.ones(len(page), dtype=np.int64)
    idx = np.flatnonzero(candidates)
    if idx.size:
        codes = pc.dictionary_encode(text.take(pa.array(idx))).combine_chunks().indices
        key = page[idx].astype(np.int64) * (len(idx) + 1) + codes.to_numpy().astype(np.int64)
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        out[idx] = counts[inverse]
    return out


def build_frame(table: pa.Table, cue_patterns: dict[str, dict[str, str]]) -> Frame:
    """Features for *table* (SEGMENT_SCHEMA, pages contiguous, positions ascending)."""
    n = table.num_rows
    text = table.column("text")
    page_ids = table.column("page_id")
    codes = pc.dictionary_encode(page_ids).combine_chunks().indices.to_numpy()
    boundary = np.ones(n, dtype=np.bool_)
    if n > 1:
        boundary[1:] = codes[1:] != codes[:-1]
    page = np.cumsum(boundary) - 1
    starts = np.flatnonzero(boundary)
    sizes = np.diff(np.append(starts, n))
    first = boundary
    last = np.zeros(n, dtype=np.bool_)
    if n:
        last[starts + sizes - 1] = True
    pos_in_page = np.arange(n) - np.repeat(starts, sizes)
    rel_pos = pos_in_page / np.maximum(np.repeat(sizes, sizes) - 1, 1)
    n_words = _word_counts(text)
    tag_path = table.column("tag_path")
    return Frame(
        n=n,
        text=text,
        tag_path=pc.fill_null(tag_path, ""),
        attrs=pc.fill_null(table.column("attrs"), ""),
        lang=_np(table.column("lang"), "unknown").astype(str),
        n_chars=_np(pc.utf8_length(text)).astype(np.int64),
        n_words=n_words,
        link_density=_np(table.column("link_density"), 0.0).astype(np.float64),
        is_html=_np(pc.is_valid(tag_path), False).astype(bool),
        in_main=_np(table.column("in_main"), False).astype(bool),
        after_image=_np(table.column("after_image"), False).astype(bool),
        link_kind=_np(pc.cast(table.column("link_kind"), pa.string()), "").astype(str),
        page=page,
        first=first,
        last=last,
        rel_pos=rel_pos,
        dup_in_page=_repeats_in_page(text, page, n_words <= DUP_MAX_WORDS),
        cue_patterns=cue_patterns,
    )


def codes_of(frame: Frame, column: str) -> Column:
    """Integer codes of a string column (equal strings, equal codes), for cheap comparisons."""
    return frame._distinct(column)[1]


def code_values(frame: Frame, column: str) -> list[str]:
    """The strings the codes of `codes_of(frame, column)` stand for (code k: item k)."""
    return [v or "" for v in frame._distinct(column)[0].to_pylist()]
