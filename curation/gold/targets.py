"""The gold label of each of OUR segments (gold pages are cut by another segmenter).

One core: `block_target` says what a gold block tells about its text at the granularity its
page's annotation has (the exact label; NOT_ARTICLE for a block known only to be boilerplate;
None when it must not be used), and `token_overlap` (curation.gold.align) says how many of our
segment's tokens fall in each gold block. Two readings of that overlap:

- `majority_targets` (training): the target covering at least half of the segment's tokens,
  summed over the gold blocks with that target; else None. A model learns only what gold
  clearly says.
- `largest_block_targets` (rule analysis): the target of the one gold block holding most of the
  segment's tokens, however few; on partial pages only when that block holds half of them (the
  rest of a partial page is unlisted). A rule's vote is judged wherever gold touches it."""

from __future__ import annotations

import dataclasses
from collections import Counter

from curation.gold.align import token_overlap
from curation.gold.read import GoldPage
from curation.taxonomy import ARTICLE, LABELS, NOT_ARTICLE, site_of


def label_target(annotation: str, label: str) -> str:
    """What a gold block labelled *label* says on a page with *annotation*: its label on a
    taxonomy page or for article; NOT_ARTICLE for another block of a main_only page or a
    partial page's "other" (boilerplate, kind not given)."""
    if annotation == "taxonomy" or label == ARTICLE:
        return label
    if annotation == "main_only" or label == "other":
        return NOT_ARTICLE
    return label  # a listed block of a partial page with a specific label (comment_ui)


def block_target(page: GoldPage, i: int) -> str | None:
    """label_target of gold block *i* of *page*; None for a block that is not scored."""
    if i in page.excluded:
        return None
    return label_target(page.annotation, page.segments[i].label)


def majority_targets(page: GoldPage, texts: list[str]) -> list[str | None]:
    """For training: the target covering at least half the tokens of each of our segments
    (*texts*, in page order), summed by target; None where none does."""
    owner, n_tok = token_overlap([seg.text for seg in page.segments], texts)
    targets = [block_target(page, i) for i in range(len(page.segments))]
    out: list[str | None] = []
    for counts, size in zip(owner, n_tok, strict=True):
        by_target: Counter[str] = Counter()
        for gi, n in counts.items():
            target = targets[gi]
            if target is not None:
                by_target[target] += n
        if not by_target:
            out.append(None)
            continue
        target, n = by_target.most_common(1)[0]
        out.append(target if 2 * n >= size else None)
    return out


def largest_block_targets(page: GoldPage, texts: list[str]
                          ) -> tuple[list[str | None], list[int]]:
    """For rule analysis: (target, token count) of each of our segments: the target of the
    gold block holding most of its tokens (None: no block, a block not scored or whose label
    is not a built-in one, or on a partial page a block holding less than half)."""
    owner, sizes = token_overlap([g.text for g in page.segments], texts)
    out: list[str | None] = []
    for counts, size in zip(owner, sizes, strict=True):
        if not counts:
            out.append(None)
            continue
        gi, n = counts.most_common(1)[0]
        if 2 * n < size and page.annotation == "partial_snippets":
            out.append(None)  # mostly unlisted text: gold does not say
        elif page.segments[gi].label not in LABELS:
            out.append(None)
        else:
            out.append(block_target(page, gi))
    return out, sizes


def body_targets(page: GoldPage, texts: list[str], targets: list[str | None]
                 ) -> list[str | None]:
    """Body targets of our segments: from the page's main-text twin when it has one (the
    twin's "article" is the body alone), else the page's own *targets*."""
    if page.main_text is None:
        return targets
    twin = dataclasses.replace(page, annotation="main_only", segments=page.main_text,
                               excluded=frozenset(), main_text=None)
    return majority_targets(twin, texts)


def page_site(page: GoldPage) -> str:
    """The page's site: the gold `group`, else from its URL, else the page itself."""
    return site_of(page.group or page.url) or page.page_id
