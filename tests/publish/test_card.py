"""The dataset card: pages as well as sites, licence and provenance from the config, what each
label means, and the human labels' agreement."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from curation.config import RunConfig
from curation.publish import publish_dataset
from curation.publish.card import LABEL_DEFINITIONS
from curation.stats import Stats


def _card(out: Path) -> tuple[dict[str, object], str]:
    _, front, body = (out / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def test_card_counts_pages_and_names_licence_source_and_labels(
    segments_dir: Path, sites: dict[str, tuple[str | None, str, int]], tmp_path: Path
) -> None:
    cfg = RunConfig.model_validate({"output": str(tmp_path), "publish": {
        "license": "cc-by-4.0", "source": "news front pages crawled in May 2025"}})
    publish_dataset(segments_dir, tmp_path / "dataset", cfg, Stats())
    header, body = _card(tmp_path / "dataset")
    assert header["license"] == "cc-by-4.0"
    assert "- source: news front pages crawled in May 2025" in body
    total = re.search(r"^\| total \| (\d+) \| (\d+) \| (\d+) \|$", body, re.M)
    assert total and int(total.group(2)) == len(sites)  # every page, in one split each
    for label in cfg.labels:
        assert f"- `{label}`: {LABEL_DEFINITIONS[label]}" in body
    # one human-labelled segment a page, each by two annotators who agreed
    assert f"{len(sites)} segments carry a label given by people" in body
    assert f"{len(sites)} were labelled by two or more annotators, who agreed on 100.0%" in body
    assert "at the last pull" not in body


def test_card_without_licence_says_so_and_reads_the_pull_agreement(
    segments_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "labelstudio").mkdir()
    (tmp_path / "labelstudio" / "agreement.json").write_text(json.dumps(
        {"kappa_method": "fleiss", "kappa": 0.81, "krippendorff_alpha": 0.8, "annotators": 2}))
    cfg = RunConfig.model_validate({"output": str(tmp_path)})
    publish_dataset(segments_dir, tmp_path / "dataset", cfg, Stats())
    header, body = _card(tmp_path / "dataset")
    assert "license" not in header
    assert "- licence: not stated (publish.license in the config)" in body
    assert "kappa_method fleiss, kappa 0.81, krippendorff_alpha 0.8, annotators 2" in body
