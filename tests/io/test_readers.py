"""Every input format read back into PAGE_SCHEMA dicts: txt, html, jsonl(.gz), parquet, HF."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.config import InputConfig
from curation.errors import InputError
from curation.io.readers import content_id, iter_pages
from curation.schema import PAGE_SCHEMA
from curation.stats import Stats

BG = "Руският президент заяви, че двете страни ще подпишат документ. Преди 3 часа"
DE = "Straße, Größe und Café: Müller fährt über die Brücke nach Zürich."


def read(paths: list[Path | str], **cfg: Any) -> tuple[list[dict[str, Any]], Stats]:
    stats = Stats()
    pages = list(iter_pages([str(p) for p in paths], InputConfig(**cfg), stats))
    return pages, stats


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def test_txt_page_fields(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text("First block.\n\nSecond block.\n", encoding="utf-8")
    (page,), stats = read([path])
    assert set(page) == set(PAGE_SCHEMA.names)
    assert page == {
        "page_id": content_id("First block.\n\nSecond block.\n"), "url": None, "domain": None,
        "source": str(path), "lang": None, "format": "text",
        "content": "First block.\n\nSecond block.\n", "fetched": None,
    }
    assert len(page["page_id"]) == 16
    assert stats.get("ingest", "pages") == 1 and stats.get("ingest", "kept") == 1


def test_html_url_from_canonical_then_og_url(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<html><head><link rel="canonical" href="https://WWW.News.Example/a">'
        '<meta property="og:url" content="https://other.example/a"></head>'
        "<body><p>Text</p></body></html>", encoding="utf-8")
    (tmp_path / "b.htm").write_text(
        '<html><head><meta property="og:url" content="https://blog.example/b"></head>'
        "<body><p>Text b</p></body></html>", encoding="utf-8")
    (tmp_path / "c.html").write_text(
        '<html><head><link rel="canonical" href="/relative/only"></head>'
        "<body><p>Text c</p></body></html>", encoding="utf-8")
    pages, _ = read([tmp_path])
    by_name = {Path(p["source"]).name: p for p in pages}
    assert by_name["a.html"]["url"] == "https://WWW.News.Example/a"
    assert by_name["a.html"]["domain"] == "news.example"
    assert by_name["b.htm"]["domain"] == "blog.example"
    assert by_name["c.html"]["url"] is None and by_name["c.html"]["domain"] is None
    assert {p["format"] for p in pages} == {"html"}


def test_windows_1251_html_honours_meta_charset(tmp_path: Path) -> None:
    html = f'<html><head><meta charset="windows-1251"></head><body><p>{BG}</p></body></html>'
    (tmp_path / "bg.html").write_bytes(html.encode("cp1251"))
    (page,), _ = read([tmp_path / "bg.html"])
    assert BG in page["content"]


def test_windows_1251_without_meta_is_detected(tmp_path: Path) -> None:
    text = (BG + "\n") * 5
    (tmp_path / "bg.txt").write_bytes(text.encode("cp1251"))
    (page,), _ = read([tmp_path / "bg.txt"])
    assert page["content"] == text


def test_latin1_page(tmp_path: Path) -> None:
    text = f"{DE}\nLe garçon a mangé une crème brûlée à côté de l'hôtel.\n"
    (tmp_path / "de.txt").write_bytes(text.encode("latin-1"))
    (page,), _ = read([tmp_path / "de.txt"])
    assert page["content"] == text


def test_meta_charset_that_lies_falls_back_to_detection(tmp_path: Path) -> None:
    html = f'<html><head><meta charset="utf-8"></head><body><p>{BG}</p><p>{BG}</p></body></html>'
    (tmp_path / "bg.html").write_bytes(html.encode("cp1251"))
    (page,), _ = read([tmp_path / "bg.html"])
    assert BG in page["content"]


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
def test_byte_order_marks(tmp_path: Path, codec: str) -> None:
    (tmp_path / "p.txt").write_bytes(f"{DE}\n{BG}\n".encode(codec))
    (page,), _ = read([tmp_path / "p.txt"])
    assert page["content"] == f"{DE}\n{BG}\n"


def test_txt_that_looks_like_html_stays_text(tmp_path: Path) -> None:
    (tmp_path / "dump.txt").write_text("<!DOCTYPE html><html><body>x</body></html>")
    (page,), stats = read([tmp_path / "dump.txt"])
    assert page["format"] == "text" and page["content"].startswith("<!DOCTYPE")
    assert stats.get("ingest", "txt_looks_like_html") == 1


@pytest.mark.parametrize("name", ["pages.jsonl", "pages.jsonl.gz"])
def test_jsonl_fields(tmp_path: Path, name: str) -> None:
    path = write_jsonl(tmp_path / name, [
        {"id": "p1", "url": "https://www.site.example/x", "lang": "bg", "text": BG},
        {"html": '<html><head><link rel="canonical" href="https://canon.example/"></head>'
                 "<body><p>Body</p></body></html>", "url": "http://given.example/y"},
        {"id": 42, "text": DE, "extra": [1, 2]},
    ])
    pages, stats = read([path])
    assert [p["page_id"] for p in pages] == ["p1", pages[1]["page_id"], "42"]
    assert pages[0] | {"content": None} == {
        "page_id": "p1", "url": "https://www.site.example/x", "domain": "site.example",
        "source": f"{path}:1", "lang": "bg", "format": "text", "content": None,
        "fetched": None,
    }
    # a url given by the input wins over the page's own canonical link
    assert pages[1]["domain"] == "given.example" and pages[1]["format"] == "html"
    assert pages[1]["page_id"] == content_id(pages[1]["content"])
    assert pages[2]["source"] == f"{path}:3" and pages[2]["lang"] is None
    assert stats.get("ingest", "kept") == 3


def test_parquet_rows(tmp_path: Path) -> None:
    table = pa.table({
        "id": ["a", None, "c"],
        "url": ["https://a.example/1", None, None],
        "text": [BG, DE, None],
        "html": [None, None, "<html><body><p>Hi there</p></body></html>"],
        "ignored": [1, 2, 3],
    })
    pq.write_table(table, tmp_path / "pages.parquet")
    pages, stats = read([tmp_path / "pages.parquet"])
    assert [p["page_id"] for p in pages] == ["a", content_id(DE), "c"]
    assert [p["format"] for p in pages] == ["text", "text", "html"]
    assert pages[0]["domain"] == "a.example" and pages[0]["content"] == BG
    assert pages[1]["source"] == f"{tmp_path / 'pages.parquet'}:1"
    assert stats.get("ingest", "pages") == 3


def test_page_schema_shards_read_back(tmp_path: Path) -> None:
    """Our own pages/ output (content + format columns) is a valid input too."""
    first, _ = read(["builtin:samples"])
    pq.write_table(pa.Table.from_pylist(first, schema=PAGE_SCHEMA), tmp_path / "part.parquet")
    again, _ = read([tmp_path / "part.parquet"])
    assert [(p["page_id"], p["format"], p["content"], p["url"]) for p in again] == [
        (p["page_id"], p["format"], p["content"], p["url"]) for p in first
    ]


def test_hf_dataset_saved_to_disk(tmp_path: Path) -> None:
    ds = datasets.Dataset.from_dict({
        "id": [f"hf-{i}" for i in range(150)],
        "text": [f"Page number {i}. {DE}" for i in range(150)],
        "lang": ["de"] * 150,
    })
    ds.save_to_disk(str(tmp_path / "hf"))
    pages, stats = read([tmp_path / "hf"])
    assert [p["page_id"] for p in pages] == [f"hf-{i}" for i in range(150)]  # order kept
    assert pages[149]["source"] == f"{tmp_path / 'hf'}:149" and pages[0]["lang"] == "de"
    assert stats.get("ingest", "kept") == 150


def test_hf_dataset_dict_inside_a_folder(tmp_path: Path) -> None:
    dd = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"html": ["<p>Train page</p>"]}),
        "test": datasets.Dataset.from_dict({"html": ["<p>Test page</p>"]}),
    })
    dd.save_to_disk(str(tmp_path / "in" / "dd"))
    (tmp_path / "in" / "z.txt").write_text("A plain page")
    pages, _ = read([tmp_path / "in"])
    assert [p["source"].rsplit("/", 1)[-1] for p in pages] == ["dd[test]:0", "dd[train]:0", "z.txt"]


def test_folders_recurse_sorted_and_globs(tmp_path: Path) -> None:
    for rel in ["b/2.txt", "b/1.txt", "a.txt", "c/deep/3.html", ".hidden.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"<p>page {rel}</p>")
    pages, _ = read([tmp_path])
    names = [str(Path(p["source"]).relative_to(tmp_path)) for p in pages]
    assert names == ["a.txt", "b/1.txt", "b/2.txt", "c/deep/3.html"]
    globbed, _ = read([f"{tmp_path}/**/*.txt"])
    assert [Path(p["source"]).name for p in globbed] == ["a.txt", "1.txt", "2.txt"]
    # the same file named twice is read once
    twice, stats = read([tmp_path / "a.txt", tmp_path / "a.txt"])
    assert len(twice) == 1 and stats.get("ingest", "pages") == 1


def test_unsupported_extension_is_a_counted_skip(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# not a page format")
    (tmp_path / "ok.txt").write_text("kept")
    pages, stats = read([tmp_path])
    assert [Path(p["source"]).name for p in pages] == ["ok.txt"]
    assert stats.get("ingest", "skipped:unsupported_format") == 1


def test_missing_inputs_raise_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        iter_pages([str(tmp_path / "nope.jsonl")], InputConfig(), Stats())
    with pytest.raises(InputError, match="matches nothing"):
        iter_pages([str(tmp_path / "*.jsonl")], InputConfig(), Stats())
    with pytest.raises(InputError, match="builtin:samples"):
        iter_pages(["builtin:nothing"], InputConfig(), Stats())


def test_page_ids_are_stable_across_runs_and_paths(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text(BG, encoding="utf-8")
    first, _ = read([tmp_path / "x.txt"])
    second, _ = read([tmp_path / "x.txt"])
    assert first[0]["page_id"] == second[0]["page_id"] == content_id(BG)
    assert content_id("hello") == "a7b6eda801e5347d"  # pinned: ids must not change between versions
