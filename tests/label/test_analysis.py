"""Rule analysis: gold labels for our segments, the vote matrix, the LF summary, the CLI,
and cue words per language (with the structural fallback counted in stats.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from curation.cli import app
from curation.config import load_config, rules_only
from curation.gold import GoldPage, GoldSegment
from curation.label.analysis import (
    NOT_ARTICLE,
    UNKNOWN,
    _segment_gold,
    collect_gold_votes,
    format_summary,
    lf_summary,
)
from curation.label.rules import ABSTAIN, CODE, RULES
from curation.label.votes import votes_matrix
from curation.model.stacker import vote_indicators
from curation.pipeline import label_pages

CFG = rules_only(load_config("configs/default.yaml"))  # the rules' own votes and labels
PARA = ("The council voted on Tuesday to approve the new budget, which includes funding for "
        "schools, roads and the public library, after a debate that lasted most of the day.")


def _page(annotation: str, segs: list[tuple[str, str]]) -> GoldPage:
    return GoldPage(page_id="p", annotation=annotation, format="html", content="",
                    segments=tuple(GoldSegment(t, lab) for t, lab in segs), group="example.com")


def test_segment_gold_by_annotation() -> None:
    ours = [PARA, "Home News Sport", "Comments are closed", "unlisted words here"]
    main = _page("main_only", [(PARA, "article"), ("Home News Sport", "other"),
                               ("Comments are closed", "other")])
    codes, toks = _segment_gold(main, ours)
    assert codes == [CODE["article"], NOT_ARTICLE, NOT_ARTICLE, UNKNOWN]
    assert toks[1] == 3
    partial = _page("partial_snippets", [(PARA, "article"), ("Comments are closed", "comment_ui")])
    assert _segment_gold(partial, ours)[0] == [CODE["article"], UNKNOWN, CODE["comment_ui"],
                                               UNKNOWN]
    tax = _page("taxonomy", [(PARA, "article"), ("Home News Sport", "other"),
                             ("Comments are closed", "comment_ui")])
    assert _segment_gold(tax, ours)[0][:3] == [CODE["article"], CODE["other"], CODE["comment_ui"]]


def test_votes_matrix_matches_votes_column() -> None:
    html = (f"<html><body><nav><a href=/>Home</a></nav><div class=story><h1>Budget</h1>"
            f"<p>{PARA}</p></div><footer>© 2024 Example</footer></body></html>")
    t = label_pages([{"page_id": "h", "format": "html", "content": html, "lang": "en"}], CFG)
    names = list(RULES.names())
    m = votes_matrix(t, names)
    for i, row in enumerate(t.column("votes").to_pylist()):
        got = {(names[j], int(c)) for j, c in enumerate(m[i]) if c >= 0}
        assert got == {(v["rule"], CODE[v["label"]]) for v in row}
    # the model's combiner reads the same column through the same reader
    assert (vote_indicators(t, names) == (m != ABSTAIN)).all()
    # a voter outside the given rules (the model's vote, a rule no longer run) is left out
    assert (votes_matrix(t, names[1:]) == m[:, 1:]).all()


@pytest.mark.shared_data
def test_lf_summary_on_seed(shared_data: Path) -> None:
    gv = collect_gold_votes([shared_data / "gold-seed.jsonl"], CFG)
    assert gv.n > 50 and gv.exact_page.all()
    assert (gv.gold >= 0).mean() > 0.9  # a taxonomy text page: nearly every segment is known
    rows = lf_summary(gv)
    assert [r["rule"] for r in rows] == gv.rules
    voted = (gv.votes >= 0).sum(axis=0)
    for r, v in zip(rows, voted, strict=True):
        assert r["votes"] == v
        assert 0 <= r["conflicts"] <= r["overlaps"] <= r["coverage"] <= 1
        assert r["correct"] + r["incorrect"] <= r["votes"]
        if r["correct"] + r["incorrect"]:
            assert r["emp_accuracy"] == round(r["correct"] / (r["correct"] + r["incorrect"]), 4)
            assert sum(sum(x) for x in r["by_group"].values()) == r["correct"] + r["incorrect"]
    time_ago = next(r for r in rows if r["rule"] == "teaser.time_ago.v1")
    assert time_ago["correct"] > 0 and time_ago["by_dataset"]["seed"][0] == time_ago["correct"]
    assert "teaser.time_ago.v1" in format_summary(rows)


@pytest.mark.shared_data
def test_rules_report_cli(shared_data: Path) -> None:
    gold = str(shared_data / "gold-seed.jsonl")
    res = CliRunner().invoke(app, ["rules", "report", "--gold", gold, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["overall"]["gold_known"] > 0 and len(out["rules"]) == len(RULES.names())
    assert {r["confidence"] for r in out["calibration"]} >= {"raw", "calibrated"}
    table = CliRunner().invoke(app, ["rules", "report", "--gold", gold, "--sort", "conflicts"])
    assert table.exit_code == 0 and "emp" not in table.stdout and "confl" in table.stdout
    bad = CliRunner().invoke(app, ["rules", "report", "--gold", "missing.jsonl"])
    assert bad.exit_code == 2 and "does not exist" in bad.output


@pytest.mark.parametrize(("lang", "lines", "labels"), [
    ("de", ["Foto: dpa", "Alle Rechte vorbehalten ©", "Folgen Sie uns auf Facebook",
            "Welt vor 2 Stunden", "Ihre E-Mail-Adresse wird nicht veröffentlicht."],
     ["caption", "other", "ad", "teaser", "comment_ui"]),
    ("ru", ["Фото: РИА Новости", "© Все права защищены", "Подписывайтесь на наш канал",
            "Мир 2 часа назад", "Оставить комментарий"],
     ["caption", "other", "ad", "teaser", "comment_ui"]),
])
def test_cue_words(lang: str, lines: list[str], labels: list[str]) -> None:
    page = {"page_id": lang, "format": "text", "lang": lang,
            "content": "\n".join([PARA, PARA, PARA, *[x for s in lines for x in (s, PARA)]])}
    t = label_pages([page], CFG)
    got = dict(zip(t.column("text").to_pylist(), t.column("prelabel").to_pylist(), strict=True))
    assert [got[s] for s in lines] == labels


def test_no_cue_words_language_falls_back_and_is_counted(tmp_path: Path) -> None:
    """A French page: no cue file, so only structural (and common) rules label it, and
    stats.json says how many segments that was."""
    src = tmp_path / "in"
    src.mkdir()
    para = ("Le conseil municipal a approuvé mardi le nouveau budget, qui prévoit des fonds pour "
            "les écoles, les routes et la bibliothèque publique, après un long débat.")
    (src / "fr.html").write_text(
        f"<html lang=fr><body><nav><a href=/>Accueil</a><a href=/n>Actualités</a></nav>"
        f"<article><h1>Le budget est approuvé</h1><p>{para}</p><p>{para}</p></article>"
        f"<footer><a href=/c>Contact</a></footer></body></html>", encoding="utf-8")
    cfg = load_config("configs/default.yaml", input={"paths": [str(src)]},
                      output=str(tmp_path / "out"))
    from curation.pipeline import run

    run(cfg)
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    counts = stats["counts"]["prelabel"]
    assert counts.get("no_cue_words:fr", 0) >= 3, counts
    assert not any(k.startswith("no_cue_words:en") for k in counts)
    import pyarrow.parquet as pq

    seg = pq.ParquetDataset(sorted((tmp_path / "out" / "segments").glob("*.parquet"))).read()
    got = dict(zip(seg.column("text").to_pylist(), seg.column("prelabel").to_pylist(),
                   strict=True))
    assert got[para] == "article" and got["Contact"] == "other", got
    assert np.all(seg.column("lang").to_numpy(zero_copy_only=False) == "fr")
