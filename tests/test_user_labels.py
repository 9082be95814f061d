"""A user's own label set: `labels:` mapping the user's labels to the built-in ones, from the
config through pre-labels, filters, the Label Studio screen, the dataset and its card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from curation.cli import app
from curation.cli.options import EXIT_USAGE
from curation.config import RunConfig, dump_config, load_config
from curation.errors import ConfigError
from curation.labelstudio.labelconfig import config_labels, label_config
from curation.resolve import resolve
from curation.taxonomy import LABELS

ROOT = Path(__file__).resolve().parents[1]
BOILERPLATE = ["caption", "ad", "comment_ui", "joke", "teaser", "other"]
MAPPED = {"main": ["article"], "boilerplate": BOILERPLATE}


def _config(tmp_path: Path, labels: Any, **extra: Any) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({
        "labels": labels,
        "input": {"paths": [str(ROOT / "curation" / "samples")]},
        "output": str(tmp_path / "out"),
        **extra,
    }, sort_keys=False), encoding="utf-8")  # the order of the labels is the ClassLabel order
    return path


def test_a_mapped_label_set_runs_end_to_end(tmp_path: Path) -> None:
    filters = {"filters": [{"name": "labels.v1", "params": {"drop": ["boilerplate"]}}]}
    res = CliRunner().invoke(app, ["run", str(_config(tmp_path, MAPPED, filter=filters))])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"

    segs = pq.read_table(out / "segments")
    assert set(segs.column("prelabel").to_pylist()) == {"main", "boilerplate"}
    assert segs.column("label").to_pylist() == segs.column("prelabel").to_pylist()
    # the votes stay in the built-in labels: rules can be re-weighted and analysed as before
    voted = {v["label"] for row in segs.column("votes").to_pylist() for v in row}
    assert voted <= set(LABELS) and "article" in voted
    for row in segs.select(["prelabel", "votes"]).to_pylist():
        if not row["votes"]:
            assert row["prelabel"] == "boilerplate"  # no vote: the catch-all "other"

    # the filter's drop list is checked against, and applied in, the user's labels
    rejects = pq.read_table(out / "rejects")
    assert set(rejects.column("label").to_pylist()) == {"boilerplate"}

    ds = datasets.load_dataset(str(out / "dataset"))
    names = ds["train"].features["label"].names
    assert names == ["main", "boilerplate"]
    assert {names[i] for split in ds for i in ds[split]["label"]} == {"main"}

    card = (out / "dataset" / "README.md").read_text(encoding="utf-8")
    assert "- `boilerplate`: covers `caption`, `ad`, `comment_ui`, `joke`, `teaser`, `other`" \
        in card
    assert "- `main`: covers `article`" in card
    # run_config.yaml keeps the mapping in the form a user writes it, and loads again
    kept = load_config(out / "run_config.yaml")
    assert kept.labels == ["main", "boilerplate"] and kept.label_map == MAPPED


def test_the_labelling_screen_lists_the_users_labels() -> None:
    cfg = RunConfig.model_validate({"labels": MAPPED})
    for layout in ("paragraphs", "page", "segment"):
        xml = label_config(cfg.labels, layout)
        assert config_labels(xml) == (layout, ["main", "boilerplate"])
        assert "comment_ui" not in xml
    # each of the user's labels has a colour of its own on the screen
    xml = label_config(cfg.labels, "paragraphs")
    assert 'value="main" background="#2e7d32"' in xml
    assert 'value="boilerplate" background="#c62828"' in xml


def test_a_filter_naming_a_built_in_label_under_a_mapping_is_a_config_error() -> None:
    cfg = RunConfig.model_validate({"labels": MAPPED, "filter": {"filters": [
        {"name": "labels.v1", "params": {"keep": ["article"]}}]}})
    with pytest.raises(ConfigError, match=r"unknown labels \['article'\].*main, boilerplate"):
        resolve(cfg)


@pytest.mark.parametrize(("labels", "message"), [
    (["main", "boilerplate"], r"unknown labels \['main', 'boilerplate'\].*built-in ones "
                              r"\(article, caption.*labels: \{main: \[article\]"),
    ({"main": ["article", "headline"], "rest": BOILERPLATE},
     r"labels.main: unknown built-in label 'headline'; valid: article, caption, ad"),
    ({"main": ["article", "caption"], "rest": BOILERPLATE},
     r"built-in label 'caption' is mapped twice \(to 'main' and 'rest'\)"),
    ({"main": ["article"], "rest": ["ad", "other"]},
     r"built-in labels \['caption', 'comment_ui', 'joke', 'teaser'\] are not mapped"),
    ({"main": ["article"], "my label": BOILERPLATE}, r"letters, digits, _ \. - only"),
])
def test_a_bad_label_set_fails_before_any_data_is_read(tmp_path: Path, labels: Any,
                                                       message: str) -> None:
    path = _config(tmp_path, labels)
    with pytest.raises(ConfigError, match=message):
        load_config(path)
    res = CliRunner().invoke(app, ["run", str(path)])
    assert res.exit_code == EXIT_USAGE
    assert not (tmp_path / "out").exists()


def test_the_plain_list_form_still_narrows_the_built_in_set() -> None:
    cfg = RunConfig.model_validate({"labels": ["article", "other"]})
    assert cfg.label_map == {} and cfg.voter_labels == ["article", "other"]
    assert cfg.user_label_of == {"article": "article", "other": "other"}
    assert "label_map" not in yaml.safe_load(dump_config(cfg))


def test_the_trained_models_vote_is_mapped_too() -> None:
    from curation.process import label_pages

    cfg = RunConfig.model_validate({"labels": MAPPED,
                                    "prelabel": {"model": "builtin:models/cleaner.model"}})
    resolve(cfg)  # the model's built-in labels are checked against the voters', not the user's
    html = (ROOT / "curation" / "samples" / "en_news_article.html").read_text(encoding="utf-8")
    t = label_pages([{"page_id": "p", "format": "html", "content": html, "lang": "en"}], cfg)
    assert set(t.column("label").to_pylist()) == {"main", "boilerplate"}
    assert set(t.column("label_source").to_pylist()) == {"model"}
