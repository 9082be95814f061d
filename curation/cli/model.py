"""`curation train` and `curation clean`: fit the trained cleaner, and use it on raw pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from curation.cli.options import EXIT_USAGE, ConfigOpt, RulesOnly, read_config


def train_command(
    out: Annotated[Path, typer.Option("--out", help="model file to write, e.g. cleaner.model")],
    gold: Annotated[
        list[Path] | None, typer.Option("--gold", help="gold JSONL(.gz) file; repeatable")
    ] = None,
    dataset: Annotated[
        list[Path] | None,
        typer.Option("--dataset", help="dataset folder from `curation publish`; repeatable"),
    ] = None,
    config: ConfigOpt = None,
    from_model: Annotated[
        str | None,
        typer.Option("--from-model", help="adapt this model file (DEFAULT: the packaged "
                     "cleaner) to the labelled pages' sites instead of training anew"),
    ] = None,
) -> None:
    """Fit the segment classifier on labelled pages and save a versioned model file."""
    from curation.model.run import base_model_path, train

    # both learn from the rules' votes on the labelled pages: the config's own model (often
    # the one being replaced, and unusable after a rule changed) plays no part and is not loaded
    cfg = read_config(config, rules_alone=True)
    if from_model is not None:
        from curation.model.adapt import adapt_model

        got = adapt_model(cfg, base_model_path(from_model), out, gold or [], dataset or [])
        typer.echo(f"adapted {from_model} to {len(got['sites'])} sites ({got['keys']} "
                   f"templates and texts): {got['model']}")
        return
    res = train(cfg, out, gold or [], dataset or [])
    for run in res["runs"]:
        typer.echo(f"pages {run['pages']}  sites {run['sites']}  segments {run['segments']}  "
                   f"targets {json.dumps(run['targets'])}")
    typer.echo(f"model: {res['model']}  ({json.dumps(res['seconds'])})")


def clean_command(
    inputs: Annotated[list[str], typer.Argument(help="files, folders or globs of raw pages")],
    out: Annotated[Path, typer.Option("--out", help="JSONL to write: {page_id, url, text}")],
    model: Annotated[
        Path | None, typer.Option("--model", help="model file (default: the packaged cleaner)")
    ] = None,
    config: ConfigOpt = None,
    mode: Annotated[
        str, typer.Option(help="combined (model + rules) or model (the model alone)")
    ] = "combined",
    rules: RulesOnly = False,
) -> None:
    """Write the main text of raw pages, as labelled by the trained cleaner."""
    from curation.model.run import clean
    from curation.stats import Stats

    if mode not in ("combined", "model"):
        typer.echo("error: --mode must be combined or model", err=True)
        raise typer.Exit(EXIT_USAGE)
    if rules and (model is not None or mode == "model"):
        raise typer.BadParameter("--rules-only takes neither --model nor --mode model")
    cfg = read_config(config, rules_alone=rules)
    # inputs are relative to the working folder, not to the config file
    paths = [p if p.startswith("builtin:") else str(Path(p).resolve()) for p in inputs]
    cfg = cfg.model_copy(update={"input": cfg.input.model_copy(update={"paths": paths})})
    stats = Stats()
    res = clean(cfg, model, out, "model" if mode == "model" else "combined", stats)
    skipped = sum(v for k, v in stats.counts.get("ingest", {}).items() if k.startswith("skip"))
    typer.echo(f"pages: {res['pages']}  without main text: {res['pages_without_main_text']}  "
               f"skipped inputs: {skipped}  output: {out}")
