"""`curation evaluate`: the command (mounted by curation/cli.py); the only place that prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from curation.errors import CurationError

DEFAULT_CONFIG = Path("configs/default.yaml")


def evaluate_command(
    gold: Annotated[
        Path, typer.Option("--gold", help="gold file, JSONL or JSONL.gz (shared/data/SOURCES.md)")
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", help="run config; default configs/default.yaml if it exists"),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON object on stdout")
    ] = False,
    confusion: Annotated[
        bool, typer.Option("--confusion", help="add the gold x predicted token confusion matrix")
    ] = False,
    per_page: Annotated[
        Path | None, typer.Option("--per-page", help="write per-page scores and errors as JSONL")
    ] = None,
    batch_pages: Annotated[int, typer.Option(help="pages per pipeline call")] = 64,
) -> None:
    """Score the pre-labels against hand-labelled gold pages."""
    from curation.config import load_config
    from curation.evaluate import evaluate_gold, format_table

    try:
        if config is None and DEFAULT_CONFIG.is_file():
            config = DEFAULT_CONFIG
        cfg = load_config(config)
        result = evaluate_gold(
            gold, cfg, batch_pages=batch_pages, per_page=per_page, confusion=confusion
        )
    except CurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for p in result["problems"]:
        typer.echo(f"gold problem ({p['reason']}) at {p['source']}: {p['detail']}", err=True)
    if json_out:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        typer.echo(format_table(result))
    if result["pages"] == 0:
        typer.echo(f"error: no page of {gold} could be scored", err=True)
        raise typer.Exit(1)


app = typer.Typer(add_completion=False, help="Evaluate pre-labels against gold pages.")
app.command("evaluate")(evaluate_command)
