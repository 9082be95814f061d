"""The story's body versus its apparatus: main-text twins as body targets, the contextual body
stage, and `article_part` on the labelled segments."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from curation.config import load_config
from curation.gold import page_record, read_gold_pages
from curation.model.apply import apply_model, rule_weights_of
from curation.model.body import Rows, context_features, rows_of, stack_rows
from curation.model.cleaner import load
from curation.model.data import NOT_ARTICLE, STAGE, label_gold
from curation.model.features import DENSE_NAMES
from curation.model.run import train
from curation.pipeline import label_pages
from curation.stats import Stats


@pytest.fixture(scope="module")
def main_text_twin(synthetic_gold: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic taxonomy pages once more as main-text gold: the headline is not body."""
    out = tmp_path_factory.mktemp("twin") / "main.jsonl"
    lines = []
    for line in synthetic_gold.read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        title = next(s["text"] for s in page["segments"] if s["label"] == "article")
        page["annotation"] = "main_only"
        page["segments"] = [
            {"text": s["text"],
             "label": "article" if s["label"] == "article" and s["text"] != title else "other"}
            for s in page["segments"]
        ]
        lines.append(json.dumps(page))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_a_taxonomy_page_takes_body_targets_from_its_main_text_twin(
    synthetic_gold: Path, main_text_twin: Path
):
    cfg = load_config()
    stats = Stats()
    files = [main_text_twin, synthetic_gold]
    twin_file, tax_file = read_gold_pages(files, cfg.labels, stats, STAGE)
    assert twin_file == [] and stats.get("train", "duplicate_page_dropped") == 18
    page = tax_file[0]
    assert page.main_text is not None
    lab = label_gold([page], cfg)
    texts = lab.table.column("text").to_pylist()
    title = next(s.text for s in page.segments if s.label == "article")
    i = texts.index(title)
    assert lab.target[i] == "article" and lab.body is not None and lab.body[i] == NOT_ARTICLE
    body_rows = [k for k, t in enumerate(lab.target) if t == "article" and k != i]
    assert body_rows and all(lab.body[k] == "article" for k in body_rows)
    # a page without a twin: body targets are its own targets
    alone = label_gold(read_gold_pages([synthetic_gold], cfg.labels, Stats(), STAGE)[0][:1], cfg)
    assert alone.body == alone.target


def test_trained_body_stage_marks_the_headline_meta_and_the_paragraphs_body(
    synthetic_gold: Path, main_text_twin: Path, tmp_path: Path
):
    cfg = load_config()
    model = tmp_path / "cleaner.model"
    train(cfg, model, gold=[main_text_twin, synthetic_gold])
    cleaner = load(model)
    assert cleaner.body_head is not None and cleaner.body_stage is not None
    page = json.loads(synthetic_gold.read_text(encoding="utf-8").splitlines()[0])
    page.update(page_id="new:1", url="https://www.new-site.com/a/1")
    weights = rule_weights_of(cfg)
    table = apply_model(label_pages([_record(page)], cfg), cleaner, weights, "combined")
    got = dict(zip(table.column("text").to_pylist(),
                   zip(table.column("label").to_pylist(),
                       table.column("article_part").to_pylist(), strict=True), strict=True))
    title = next(s["text"] for s in page["segments"] if s["label"] == "article")
    paragraphs = [s["text"] for s in page["segments"] if s["label"] == "article"][1:]
    assert got[title] == ("article", "meta")
    assert all(got[p] == ("article", "body") for p in paragraphs)
    assert got["Home"][0] != "article" and got["Home"][1] is None


def _record(page: dict) -> dict:
    from curation.gold import GoldPage

    return page_record(GoldPage(page["page_id"], page["annotation"], "html", page["html"], (),
                                url=page["url"]))


def test_rows_number_pages_and_templates():
    import pyarrow as pa

    table = pa.table({
        "page_id": ["a", "a", "a", "b", "b"],
        "tag_path": ["p", "p", "h1", "p", "p"],
        "attrs": ["x", "x", "", "x", "y"],
    })
    rows = rows_of(table)
    assert rows.page.tolist() == [0, 0, 0, 1, 1]
    assert rows.template.tolist() == [0, 0, 1, 0, 1]
    both = stack_rows([rows, rows])
    assert both.page.tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 3, 3]


def test_rows_number_templates_within_each_page_and_read_no_attrs_as_empty():
    import pyarrow as pa

    table = pa.table({
        "page_id": ["a", "a", "b", "b", "b", "a", "a"],  # "a" again: a page of its own
        "tag_path": ["div", "p", "p", "div", "p", "p", None],
        "attrs": [None, "", "k", None, "k", "", ""],
    })
    rows = rows_of(table)
    assert rows.page.tolist() == [0, 0, 1, 1, 1, 2, 2]
    assert rows.template.tolist() == [0, 1, 0, 1, 0, 0, 1]
    empty = rows_of(table.slice(0, 0))
    assert len(empty) == 0 and empty.template.shape == (0,)


def test_context_features_see_neighbours_and_repeated_templates():
    # one page: a card template (0) repeated in three separate runs, one story paragraph (1)
    rows = Rows(np.zeros(6, dtype=np.int64), np.array([0, 2, 0, 2, 0, 1]))
    p = np.array([0.9, 0.1, 0.8, 0.1, 0.7, 0.95])
    dense = np.zeros((6, len(DENSE_NAMES)))
    dense[:, DENSE_NAMES.index("log_words")] = np.log1p(20) / np.log1p(1000)
    f = context_features(p, p, dense, rows)
    assert f.shape == (6, 2 + 6 + 8 + len(DENSE_NAMES))
    prev = f[:, 2 + 2]  # shift -1: the previous row's p
    assert prev[0] == -1.0 and prev[1] == pytest.approx(0.9)
    tmpl_p, tmpl_runs = f[:, 2 + 6 + 5], f[:, 2 + 6 + 7]
    assert tmpl_p[0] == pytest.approx(0.8)  # mean p of the three cards
    assert np.expm1(tmpl_runs[0]) == pytest.approx(3) and np.expm1(tmpl_runs[5]) == 1
