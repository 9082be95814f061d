"""Which copy of a gold page to use when several gold files hold it.

The fullest annotation wins (taxonomy over main_only over partial_snippets), the first file
among equals. A taxonomy copy that wins keeps its main_only copy's segments as its main-text
twin: they tell the story's body from its headline and byline (`GoldPage.main_text`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from curation.gold.read import STAGE, GoldPage, GoldSegment, dataset_names, iter_gold
from curation.stats import Stats

# a page annotated more fully wins when two gold files hold the same page_id
ANNOTATION_RANK = {"taxonomy": 0, "main_only": 1, "partial_snippets": 2}
DROPPED = "duplicate_page_dropped"  # the stats counter of a copy not used
Twins = dict[str, tuple[GoldSegment, ...]]  # page_id -> its main-text twin's segments
FilePages = Callable[[], Iterable[tuple[int, GoldPage]]]  # (file index, page), re-readable


def copy_rank(annotation: str, file_index: int) -> tuple[int, int]:
    """Sort key of one file's copy of a page: the fuller annotation first, then the first file."""
    return ANNOTATION_RANK.get(annotation, len(ANNOTATION_RANK)), file_index


def best_files(pages: Iterable[tuple[int, GoldPage]]) -> dict[str, tuple[int, int]]:
    """page_id -> the copy_rank of its best copy among (file index, page) pairs; the rank's
    second item is that copy's file."""
    best: dict[str, tuple[int, int]] = {}
    for fi, page in pages:
        rank = copy_rank(page.annotation, fi)
        if page.page_id not in best or rank < best[page.page_id]:
            best[page.page_id] = rank
    return best


def is_main_text_twin(annotation: str, best: tuple[int, int]) -> bool:
    """Whether a page copy with *annotation* is the main-text twin of a fuller copy ranked
    *best*: its labels then give the fuller copy its body targets."""
    return annotation == "main_only" and best[0] < ANNOTATION_RANK["main_only"]


def main_text_twins(pages: Iterable[tuple[int, GoldPage]],
                    best: dict[str, tuple[int, int]]) -> Twins:
    """The segments of every main_only copy that is the twin of a fuller best copy."""
    return {p.page_id: p.segments for _, p in pages
            if is_main_text_twin(p.annotation, best[p.page_id])}


def with_twin(page: GoldPage, twins: Twins) -> GoldPage:
    """*page* with its main-text twin's segments attached, when *twins* holds one."""
    twin = twins.get(page.page_id)
    if twin is None or page.annotation != "taxonomy":
        return page
    return dataclasses.replace(page, main_text=twin)


def best_copies(read: FilePages) -> tuple[dict[str, int], Twins]:
    """page_id -> the file of its best copy, and the main-text twins of the taxonomy copies
    that won. *read* gives the (file index, page) pairs afresh on each call: a second pass
    keeps only the twins' segments, so a stream of files holds no more than that."""
    best = best_files(read())
    wanted = any(rank[0] < ANNOTATION_RANK["main_only"] for rank in best.values())
    twins = main_text_twins(read(), best) if wanted else {}
    return {pid: fi for pid, (_, fi) in best.items()}, twins


def read_gold_pages(paths: Sequence[Path], labels: Sequence[str], stats: Stats,
                    stage: str) -> list[list[GoldPage]]:
    """Gold pages of each file, in memory; a page_id held by several files is kept once, from
    its best copy (with its main-text twin attached); each copy not used is counted in *stats*
    under *stage*."""
    files = [list(iter_gold(Path(p), labels, stats)) for p in paths]
    best, twins = best_copies(lambda: ((fi, p) for fi, pages in enumerate(files) for p in pages))
    out = []
    for fi, pages in enumerate(files):
        out.append([with_twin(p, twins) for p in pages if best[p.page_id] == fi])
        for _ in range(sum(best[p.page_id] != fi for p in pages)):
            stats.add(stage, DROPPED)
    return out


def best_copies_by_file(paths: Sequence[Path], labels: Sequence[str], stats: Stats,
                        stage: str = STAGE, twins: bool = True
                        ) -> Iterator[Iterator[GoldPage]]:
    """For each file in order, its pages that are the best copy, streamed (a cheap first pass
    ranks the copies; consume each file's pages before the next). With *twins*, a taxonomy
    copy carries its main-text twin. Each copy not used is counted in *stats* under *stage*."""
    def read() -> Iterator[tuple[int, GoldPage]]:
        return ((fi, p) for fi, path in enumerate(paths)
                for p in iter_gold(Path(path), labels, Stats()))

    best: dict[str, int] = {}
    found: Twins = {}
    if len(paths) > 1 and twins:
        best, found = best_copies(read)
    elif len(paths) > 1:
        best = {pid: fi for pid, (_, fi) in best_files(read()).items()}

    def kept(fi: int, path: Path) -> Iterator[GoldPage]:
        for page in iter_gold(Path(path), labels, stats):
            if best.get(page.page_id, fi) != fi:
                stats.add(stage, DROPPED)
                continue
            yield with_twin(page, found)

    for fi, path in enumerate(paths):
        yield kept(fi, path)


def gold_pages_with_datasets(paths: Sequence[Path], labels: Sequence[str], stats: Stats
                             ) -> Iterator[tuple[GoldPage, str]]:
    """Every gold page once, from its best copy, with the name of the data set it comes from
    (the line's `dataset`, else the file's name)."""
    names = [dataset_names(Path(p)) for p in paths]
    for fi, pages in enumerate(best_copies_by_file(paths, labels, stats, twins=False)):
        for page in pages:
            yield page, names[fi].get(page.page_id, ("?", ""))[0]
