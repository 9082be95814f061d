"""max_lines: pages shorter in characters than the limit are not counted (they cannot pass it),
and the limit holds exactly at its edge."""

from __future__ import annotations

from pathlib import Path

from curation.config import InputConfig
from curation.io.readers import iter_pages
from curation.stats import Stats


def test_line_limit_at_its_edge(tmp_path: Path) -> None:
    texts = {"ten.txt": "\n".join(["a"] * 10), "eleven.txt": "\n".join(["a"] * 11),
             "short.txt": "a\n", "ten_newlines.txt": "a" + "\n" * 9 + "b"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    stats = Stats()
    pages = list(iter_pages([str(tmp_path)], InputConfig(max_lines=10), stats))
    assert sorted(Path(p["source"]).name for p in pages) == [
        "short.txt", "ten.txt", "ten_newlines.txt"]
    assert [(s["reason"], Path(s["source"]).name) for s in stats.skipped] == [
        ("too_many_lines", "eleven.txt")]
