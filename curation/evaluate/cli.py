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
    model: Annotated[
        Path | None, typer.Option("--model", help="score a trained cleaner (`curation train`)")
    ] = None,
    cv: Annotated[
        int | None,
        typer.Option("--cv", help="train and score a cleaner with K folds grouped by site"),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="with --model/--cv: rules, model, combined, or all")
    ] = "combined",
    train_gold: Annotated[
        list[Path] | None,
        typer.Option("--train-gold", help="with --cv: more gold files to train on (pages of a "
                     "test site are left out of every fold's training)"),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--only", help="score only pages whose page_id starts with this")
    ] = None,
) -> None:
    """Score the pre-labels (or a trained cleaner) against hand-labelled gold pages."""
    from curation.config import load_config
    from curation.evaluate import evaluate_gold, format_table

    modes = ("rules", "model", "combined")
    if mode not in (*modes, "all") or (mode == "all" and not json_out):
        typer.echo(f"error: --mode must be one of {', '.join(modes)} (or all, with --json)",
                   err=True)
        raise typer.Exit(2)
    if model is not None and cv is not None:
        typer.echo("error: give --model (score a trained file) or --cv K (train per fold)",
                   err=True)
        raise typer.Exit(2)
    try:
        if config is None and DEFAULT_CONFIG.is_file():
            config = DEFAULT_CONFIG
        cfg = load_config(config)
        if cv is not None:
            from curation.model.cv import cross_validate

            results = cross_validate(
                gold, cfg, cv, modes if mode == "all" else (mode,),  # type: ignore[arg-type]
                train_extra=train_gold or [], page_prefix=only,
            )
        elif model is not None:
            from curation.model.cv import model_predictor
            from curation.model.run import load_for

            cleaner = load_for(cfg, model)
            results = {
                m: evaluate_gold(gold, cfg, predict=model_predictor(cfg, cleaner, m),
                                 batch_pages=batch_pages, page_prefix=only, confusion=confusion)
                for m in (modes if mode == "all" else (mode,))
            }
        else:
            results = {"rules": evaluate_gold(
                gold, cfg, batch_pages=batch_pages, per_page=per_page, confusion=confusion,
                page_prefix=only,
            )}
    except CurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    first = next(iter(results.values()))
    result = first if len(results) == 1 else {
        "pages": first["pages"], "problems": first["problems"], "modes": results,
    }
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
