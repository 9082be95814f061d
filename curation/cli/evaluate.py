"""`curation evaluate`: score the pre-labels (or a trained cleaner) against gold pages."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer

from curation.cli.options import EXIT_FAILED, EXIT_USAGE, ConfigOpt, read_config

Mode = Literal["rules", "model", "combined"]
MODES: tuple[Mode, ...] = ("rules", "model", "combined")


def evaluate_command(
    gold: Annotated[
        Path, typer.Option("--gold", help="gold file, JSONL or JSONL.gz (shared/data/SOURCES.md)")
    ],
    config: ConfigOpt = None,
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
    from curation.evaluate import evaluate_gold, format_table

    if mode not in (*MODES, "all"):
        raise typer.BadParameter(f"must be one of {', '.join(MODES)} or all", param_hint="--mode")
    if model is not None and cv is not None:
        typer.echo("error: give --model (score a trained file) or --cv K (train per fold)",
                   err=True)
        raise typer.Exit(EXIT_USAGE)
    cfg = read_config(config)
    modes = MODES if mode == "all" else (cast(Mode, mode),)
    if cv is not None:
        from curation.model.cv import cross_validate

        results = cross_validate(gold, cfg, cv, modes,
                                 train_extra=train_gold or [], page_prefix=only)
    elif model is not None:
        from curation.model.cv import model_predictor
        from curation.model.run import load_for

        cleaner = load_for(cfg, model)
        results = {
            m: evaluate_gold(gold, cfg, predict=model_predictor(cfg, cleaner, m),
                             batch_pages=batch_pages, page_prefix=only, confusion=confusion)
            for m in modes
        }
    else:
        from curation.process import rules_labeller

        results = {"rules": evaluate_gold(
            gold, cfg, rules_labeller(cfg), batch_pages=batch_pages, per_page=per_page,
            confusion=confusion,
            page_prefix=only,
        )}
    first = next(iter(results.values()))
    result: dict[str, Any] = first if len(results) == 1 else {
        "pages": first["pages"], "problems": first["problems"], "modes": results,
    }
    for p in result["problems"]:
        typer.echo(f"gold problem ({p['reason']}) at {p['source']}: {p['detail']}", err=True)
    if json_out:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:  # one table per mode, each under its name when there are several
        typer.echo("\n\n".join(
            (f"mode: {m}\n" if len(results) > 1 else "") + format_table(r)
            for m, r in results.items()))
    if result["pages"] == 0:
        typer.echo(f"error: no page of {gold} could be scored", err=True)
        raise typer.Exit(EXIT_FAILED)
