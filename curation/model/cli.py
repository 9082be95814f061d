"""`curation train` and `curation clean`: command functions (mounted by curation/cli.py) and a
typer sub-app with both, for use on its own (`python -m curation.model.cli`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from curation.config import RunConfig
from curation.errors import CurationError

DEFAULT_CONFIG = Path("configs/default.yaml")


def _config(config: Path | None) -> RunConfig:
    from curation.config import load_config

    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    return load_config(config)


def train_command(
    out: Annotated[Path, typer.Option("--out", help="model file to write, e.g. cleaner.joblib")],
    gold: Annotated[
        list[Path] | None, typer.Option("--gold", help="gold JSONL(.gz) file; repeatable")
    ] = None,
    dataset: Annotated[
        list[Path] | None,
        typer.Option("--dataset", help="dataset folder from `curation publish`; repeatable"),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="run config; default configs/default.yaml")
    ] = None,
) -> None:
    """Fit the segment classifier on labelled pages and save a versioned model file."""
    from curation.model.run import train

    try:
        res = train(_config(config), out, gold or [], dataset or [])
    except CurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for run in res["runs"]:
        typer.echo(f"pages {run['pages']}  sites {run['sites']}  segments {run['segments']}  "
                   f"targets {json.dumps(run['targets'])}")
    typer.echo(f"model: {res['model']}  ({json.dumps(res['seconds'])})")


def clean_command(
    inputs: Annotated[list[str], typer.Argument(help="files, folders or globs of raw pages")],
    model: Annotated[Path, typer.Option("--model", help="model file from `curation train`")],
    out: Annotated[Path, typer.Option("--out", help="JSONL to write: {page_id, url, text}")],
    config: Annotated[
        Path | None, typer.Option("--config", help="run config; default configs/default.yaml")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="combined (model + rules) or model (the model alone)")
    ] = "combined",
) -> None:
    """Write the main text of raw pages, as labelled by the trained cleaner."""
    from curation.model.run import clean
    from curation.stats import Stats

    if mode not in ("combined", "model"):
        typer.echo("error: --mode must be combined or model", err=True)
        raise typer.Exit(2)
    try:
        cfg = _config(config)
        # inputs are relative to the working folder, not to the config file
        paths = [p if p.startswith("builtin:") else str(Path(p).resolve()) for p in inputs]
        cfg = cfg.model_copy(update={"input": cfg.input.model_copy(update={"paths": paths})})
        stats = Stats()
        res = clean(cfg, model, out, "model" if mode == "model" else "combined", stats)
    except CurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    skipped = sum(v for k, v in stats.counts.get("ingest", {}).items() if k.startswith("skip"))
    typer.echo(f"pages: {res['pages']}  without main text: {res['pages_without_main_text']}  "
               f"skipped inputs: {skipped}  output: {out}")


app = typer.Typer(add_completion=False, no_args_is_help=True, help="The trained cleaner.")
app.command("train")(train_command)
app.command("clean")(clean_command)

if __name__ == "__main__":
    app()
