"""The cleaner's library entry points: train a model file and clean pages with it (the model
as one more pre-label voter is `curation.model.inference`)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.label import rule_label_pages
from curation.model.apply import Mode, apply_model, rule_weights_of
from curation.model.cleaner import Cleaner, fit_matrix, rule_names, save
from curation.model.data import label_dataset
from curation.model.features import FeatureConfig
from curation.model.inference import load_for as load_for
from curation.model.stream import gold_matrix, labelled_matrix, stack
from curation.stats import Stats
from curation.taxonomy import ARTICLE, META


def train(
    cfg: RunConfig,
    out: Path,
    gold: Sequence[Path] = (),
    datasets: Sequence[Path] = (),
    feature_config: FeatureConfig | None = None,
    stats: Stats | None = None,
) -> dict[str, Any]:
    """Fit a cleaner on gold files and/or published dataset folders; write the model file.

    Each gold file and each dataset is one run (cross-page features are counted within it);
    a page held by several gold files is used once, with its fullest annotation."""
    if not gold and not datasets:
        raise ConfigError("nothing to train on: give --gold FILE or --dataset DIR")
    stats = stats if stats is not None else Stats()
    fcfg = feature_config or FeatureConfig()
    names = rule_names(cfg)
    t0 = time.perf_counter()
    # gold is streamed in chunks of pages (flat memory); a dataset folder is one table
    parts = [gold_matrix(list(gold), cfg, fcfg, names, stats)] if gold else []
    parts += [labelled_matrix(label_dataset(Path(d), cfg, stats), fcfg, names) for d in datasets]
    m = stack(parts, fcfg)
    t1 = time.perf_counter()
    cleaner = fit_matrix(m.x, m.target, m.weight, cfg, fcfg, group=m.group, rows=m.rows,
                         body_target=m.body, votes=m.votes)
    t2 = time.perf_counter()
    info = {
        "gold": [str(p) for p in gold],
        "datasets": [str(d) for d in datasets],
        "runs": m.runs,
        "rows": int(m.x.shape[0]),
        "seconds": {"segment_rules_features": round(t1 - t0, 1), "fit": round(t2 - t1, 1)},
    }
    cleaner.trained_on = info
    save(cleaner, Path(out))
    return {"model": str(out), "labels": cleaner.labels, **info}


def base_model_path(name: str | Path) -> Path:
    """A model file, or the packaged default cleaner for "DEFAULT"."""
    if str(name) != "DEFAULT":
        return Path(name)
    from curation.defaults import default_model_path

    path = default_model_path()
    if path is None:
        raise ConfigError("this install ships no default cleaner; train one with `curation "
                          "train` and pass it with --model / prelabel.model")
    return path


def article_texts(table: pa.Table) -> dict[str, tuple[str, str]]:
    """Per page (in table order), its article segments joined by newlines: the story's body,
    and its apparatus (headline, byline: `article_part` "meta")."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    for pid, text, label, part in zip(
        table.column("page_id").to_pylist(),
        table.column("text").to_pylist(),
        table.column("prelabel").to_pylist(),
        table.column("article_part").to_pylist(),
        strict=True,
    ):
        body, meta = out.setdefault(pid, ([], []))
        if label == ARTICLE:
            (meta if part == META else body).append(text)
    return {k: ("\n".join(b), "\n".join(m)) for k, (b, m) in out.items()}


def clean(
    cfg: RunConfig, model: Path | None, out: Path, mode: Mode = "combined",
    stats: Stats | None = None,
) -> dict[str, int]:
    """Ingest cfg's inputs, segment, label with the model, write one JSON line a page:
    {page_id, url, text, meta}: text is the main text (the story's body), meta its headline,
    byline and dateline lines. Written atomically. Without *model*, the config's
    prelabel.model (by default the packaged cleaner; null: the rules alone)."""
    from curation.io.ingest import ingest
    from curation.model.inference import configured_voter

    stats = stats if stats is not None else Stats()
    if model is not None:
        cleaner: Cleaner | None = load_for(cfg, model)
    else:
        voter, note = configured_voter(cfg)
        cleaner = voter.cleaner if voter is not None else None
        stats.notes["model"] = {"file": str(voter.path) if voter else None} | (
            {"note": note} if note else {})
    if cleaner is None and mode == "model":
        raise ConfigError("--mode model needs a model: this config labels with the rules "
                          "alone (prelabel.model is null, or no packaged cleaner); pass --model")
    weights = rule_weights_of(cfg)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    pages = empty = 0
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for batch in ingest(cfg, stats):
                rows = batch.to_pylist()
                table = rule_label_pages(rows, cfg)
                if cleaner is not None:
                    table = apply_model(table, cleaner, weights, mode)
                texts = article_texts(table)
                for page in rows:
                    text, meta = texts.get(page["page_id"], ("", ""))
                    empty += not text
                    pages += 1
                    rec = {"page_id": page["page_id"], "url": page.get("url"), "text": text,
                           "meta": meta}
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    stats.add("clean", "pages", pages)
    stats.add("clean", "pages_without_main_text", empty)
    return {"pages": pages, "pages_without_main_text": empty}
