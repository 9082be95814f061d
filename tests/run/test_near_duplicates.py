"""Near-duplicate pages (issue 9 item 6): found with MinHash LSH before splitting, counted in
stats.json, and never spread over two splits, even when the copies sit on different sites."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from curation.config import load_config
from curation.dedup import page_signature
from curation.pipeline import run


def test_signatures_tell_copies_from_other_pages(kit: Any) -> None:
    a = " ".join(kit.story(1))
    b = a.replace(a.split()[100], "changed", 1)
    same = (page_signature(a) == page_signature(b)).mean()
    other = (page_signature(a) == page_signature(" ".join(kit.story(2)))).mean()
    assert same > 0.8 and other < 0.2


def test_near_copies_on_two_sites_share_one_split(tmp_path: Path, kit: Any) -> None:
    inp = kit.near_copy_sites(tmp_path / "in")
    cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], tmp_path / "out",
                                       batch_pages=2, workers=2))
    stats = run(cfg)
    assert stats["near_duplicates"]["clusters"] == 1
    assert stats["near_duplicates"]["pages_in_clusters"] == 2
    assert stats["counts"]["near_duplicates"] == {"clusters": 1, "pages_in_clusters": 2}
    clusters = pq.read_table(tmp_path / "out" / "near_duplicates").to_pylist()
    pages = {p["page_id"]: p["source"] for p in
             pq.read_table(tmp_path / "out" / "pages").to_pylist()}
    assert sorted(Path(pages[c["page_id"]]).name for c in clusters) == [
        "a-original.html", "b-copy.html"]
    assert len({c["cluster"] for c in clusters}) == 1
    splits_of = {}
    for split, table in kit.dataset_rows(tmp_path / "out").items():
        for domain in table["domain"].to_pylist():
            splits_of.setdefault(domain, set()).add(split)
    assert splits_of["alpha.example"] == splits_of["beta.example"]
    assert len(splits_of["alpha.example"]) == 1 and len(set().union(*splits_of.values())) >= 2
    written = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert written["near_duplicates"]["clusters"] == 1
    card = (tmp_path / "out" / "dataset" / "README.md").read_text()
    assert "Jaccard >= 0.8): 1, holding 2 pages" in card
    # publishing again from the kept shards (new split fractions) keeps the copies together
    for fractions in ({"train": 0.5, "test": 0.5}, {"train": 0.34, "validation": 0.33,
                                                     "test": 0.33}):
        cfg = load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], tmp_path / "out",
                                           batch_pages=2, publish={"splits": fractions}))
        again = run(cfg, resume=True)
        assert again["shards"]["run"] == 0 and "assemble" not in again["timing"]
        split_of = {d: s for s, t in kit.dataset_rows(tmp_path / "out").items()
                    for d in t["domain"].to_pylist()}
        assert split_of["alpha.example"] == split_of["beta.example"]


def test_a_filter_keeps_one_page_per_cluster(tmp_path: Path, kit: Any) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    story = kit.story(11)
    for i in range(3):  # three copies, one word apart, on three sites
        copy = list(story)
        copy[40 * i] = f"edit{i}"
        (inp / f"copy-{i}.html").write_text(kit.article_page(f"copy{i}.example", copy))
    (inp / "other.html").write_text(kit.article_page("other.example", kit.story(12)))
    path = kit.write_config(tmp_path / "c.yaml", [str(inp)], tmp_path / "out", filter={
        "filters": [{"name": "near_duplicates.v1"}]})
    stats = run(load_config(path))
    assert stats["near_duplicates"]["clusters"] == 1
    assert stats["near_duplicates"]["pages_in_clusters"] == 3
    kept = {d for t in kit.dataset_rows(tmp_path / "out").values()
            for d in t["domain"].to_pylist()}
    assert kept == {"copy0.example", "other.example"}  # the first copy in input order stays
    rejects = pq.read_table(tmp_path / "out" / "rejects")
    assert set(rejects["reason"].to_pylist()) == {"near_duplicates.v1:copy"}
    assert set(rejects["domain"].to_pylist()) == {"copy1.example", "copy2.example"}


def test_a_sites_shared_furniture_does_not_make_its_pages_copies(tmp_path: Path,
                                                                 kit: Any) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    menu, footer = kit.story(98, 500), kit.story(99, 500)  # on every page of the site
    stories = [kit.story(200 + i, 80) for i in range(4)]
    for i, story in enumerate(stories):
        links = ["".join(f"<li><a href=/x{k}>{w}</a></li>" for k, w in enumerate(words))
                 for words in (menu, footer)]
        (inp / f"p{i}.html").write_text(
            f'<html><head><link rel="canonical" href="https://one.example/{i}"></head><body>'
            f"<nav><ul>{links[0]}</ul></nav><article><p>{' '.join(story)}.</p></article>"
            f"<footer><ul>{links[1]}</ul></footer></body></html>")
    # on all their text, two pages of the site would look like copies
    whole = [page_signature(" ".join(menu + s + footer)) for s in stories[:2]]
    assert (whole[0] == whole[1]).mean() > 0.8
    stats = run(load_config(kit.write_config(tmp_path / "c.yaml", [str(inp)], tmp_path / "out")))
    assert stats["near_duplicates"]["clusters"] == 0
