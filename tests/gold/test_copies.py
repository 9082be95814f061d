"""A page several gold files hold is used once, from its fullest annotation; a taxonomy copy
keeps its main_only copy as its main-text twin. The in-memory and the streamed reading agree."""

from __future__ import annotations

import json
from pathlib import Path

from curation.gold import best_copies_by_file, gold_pages_with_datasets, read_gold_pages
from curation.stats import Stats
from curation.taxonomy import LABELS

TEXT = "Budget approved after a long debate. Home News Sport"


def _file(path: Path, annotation: str, ids: list[str], dataset: str | None = None) -> Path:
    rows = []
    for pid in ids:
        segs = [{"text": "Budget approved after a long debate.", "label": "article"},
                {"text": "Home News Sport", "label": "other"}]
        row = {"page_id": pid, "text": TEXT, "annotation": annotation, "segments": segs}
        if dataset:
            row["dataset"] = dataset
        rows.append(json.dumps(row))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_fullest_copy_wins_and_keeps_its_twin(tmp_path: Path) -> None:
    main = _file(tmp_path / "main.jsonl", "main_only", ["a", "b"])
    tax = _file(tmp_path / "tax.jsonl", "taxonomy", ["a", "c"])
    stats = Stats()
    in_memory = read_gold_pages([main, tax], list(LABELS), stats, "train")
    assert [[p.page_id for p in pages] for pages in in_memory] == [["b"], ["a", "c"]]
    assert stats.get("train", "duplicate_page_dropped") == 1
    a = in_memory[1][0]
    assert a.annotation == "taxonomy" and a.main_text is not None
    assert [s.label for s in a.main_text] == ["article", "other"]
    assert in_memory[1][1].main_text is None  # c has no main_only copy
    streamed = [[(p.page_id, p.main_text) for p in pages]
                for pages in best_copies_by_file([main, tax], list(LABELS), Stats(), "train")]
    assert streamed == [[(p.page_id, p.main_text) for p in pages] for pages in in_memory]


def test_among_equal_annotations_the_first_file_wins(tmp_path: Path) -> None:
    one = _file(tmp_path / "one.jsonl", "taxonomy", ["a"], dataset="first")
    two = _file(tmp_path / "two.jsonl", "taxonomy", ["a", "b"])
    got = [(p.page_id, ds) for p, ds in gold_pages_with_datasets([one, two], list(LABELS),
                                                                  Stats())]
    assert got == [("a", "first"), ("b", "two")]  # no dataset field: the file's name
