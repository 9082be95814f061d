"""Alignment of gold text to our segments: both sides cut into word tokens, the token streams
aligned, and each of our segments told how many of its tokens fall in each gold block. Scoring
(curation.evaluate) and targets (curation.gold.targets) both stand on it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

_WORD = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Word tokens: Unicode `\\w+` runs, lower-cased."""
    return _WORD.findall(text.lower())


def align(gold: Sequence[str], pred: Sequence[str]) -> list[int]:
    """For each gold token, the index of the equal predicted token it aligns to, or -1.

    A monotone alignment (difflib, no junk heuristic) first; then gold runs left unaligned are
    looked up as whole runs among the unused predicted tokens, which catches blocks that the
    predicted segmentation emits in another order (alt texts, floated boxes).
    """
    out = [-1] * len(gold)
    used = [False] * len(pred)
    sm = SequenceMatcher(None, list(gold), list(pred), autojunk=False)
    for a, b, size in sm.get_matching_blocks():
        for k in range(size):
            out[a + k] = b + k
            used[b + k] = True
    positions: dict[str, list[int]] = {}
    for j, tok in enumerate(pred):
        positions.setdefault(tok, []).append(j)
    i = 0
    while i < len(gold):
        if out[i] != -1:
            i += 1
            continue
        end = i
        while end < len(gold) and out[end] == -1:
            end += 1
        _place_run(gold, pred, i, end, out, used, positions)
        i = end
    return out


def _place_run(
    gold: Sequence[str], pred: Sequence[str], i: int, end: int,
    out: list[int], used: list[bool], positions: dict[str, list[int]],
) -> None:
    """Greedily place the longest prefixes of gold[i:end] on unused runs of pred."""
    while i < end:
        best_j, best_len = -1, 0
        for j in positions.get(gold[i], ()):
            n = 0
            while (
                i + n < end and j + n < len(pred) and not used[j + n]
                and pred[j + n] == gold[i + n]
            ):
                n += 1
            if n > best_len:
                best_j, best_len = j, n
        if best_len < 2:  # a lone common word matched out of order says nothing
            i += 1
            continue
        for k in range(best_len):
            out[i + k] = best_j + k
            used[best_j + k] = True
        i += best_len


def token_stream(texts: Iterable[str]) -> tuple[list[str], list[int]]:
    """The tokens of *texts* one after another, and for each the index of its text."""
    tokens: list[str] = []
    source: list[int] = []
    for i, text in enumerate(texts):
        toks = tokenize(text)
        tokens.extend(toks)
        source.extend([i] * len(toks))
    return tokens, source


def token_overlap(gold_texts: list[str], pred_texts: list[str]
                  ) -> tuple[list[Counter[int]], list[int]]:
    """For each predicted segment: how many of its tokens align to each gold segment (by gold
    index), and its token count. The shared step of every "gold label of our segment" map."""
    g_tok, g_seg = token_stream(gold_texts)
    p_tok, p_seg = token_stream(pred_texts)
    sizes = [0] * len(pred_texts)
    for j in p_seg:
        sizes[j] += 1
    owner: list[Counter[int]] = [Counter() for _ in pred_texts]
    for gi, pj in enumerate(align(g_tok, p_tok)):
        if pj >= 0:
            owner[p_seg[pj]][g_seg[gi]] += 1
    return owner, sizes
