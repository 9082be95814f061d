"""The `curation` command: a thin shell over the library (parse -> load_config -> call).

Only this module prints summaries and exits; every command is a library function too."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from curation.config import dump_config, load_config
from curation.errors import CurationError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Raw scraped pages -> segments -> pre-labels -> labelled Parquet datasets.",
)


def _version(value: bool) -> None:
    if value:
        from curation import __version__

        typer.echo(f"curation {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="print the version and exit")] = False,
) -> None:
    """Raw scraped pages -> segments -> pre-labels -> labelled Parquet datasets."""


rules_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Labelling rules.")
app.add_typer(rules_app, name="rules")

ConfigArg = Annotated[Path, typer.Argument(help="run config, e.g. configs/default.yaml")]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="replace existing outputs")]


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def _summary(stats: dict[str, Any]) -> str:
    s = stats.get("summary", {})
    ds = s.get("dataset", {})
    skipped = {
        k: v for k, v in stats["counts"].get("ingest", {}).items() if k.startswith("skipped")
    }
    lines = [
        f"pages: {s.get('pages', 0)}   segments: {s.get('segments', 0)}   "
        f"kept after filters: {s.get('kept', 0)}   rejected: {s.get('rejected', 0)}",
        f"skipped inputs: {sum(skipped.values())} {skipped if skipped else ''}".rstrip(),
    ]
    for key in ("splits", "labels", "langs"):
        if key in ds:
            lines.append(f"{key}: {json.dumps(ds[key], ensure_ascii=False)}")
    return "\n".join(lines)


@app.command()
def run(
    config: ConfigArg,
    overwrite: Overwrite = False,
    resume: Annotated[bool, typer.Option(help="keep stages already finished")] = False,
    workers: Annotated[int | None, typer.Option(help="processes (default: config)")] = None,
    engine: Annotated[str | None, typer.Option(help="local or ray (default: config)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the config")] = False,
) -> None:
    """Run every stage: ingest, segment, pre-label, filter, publish."""
    from curation.pipeline import out_dir
    from curation.pipeline import run as run_all

    try:
        cfg = load_config(config, workers=workers, engine=engine)
        if dry_run:
            typer.echo(dump_config(cfg))
            return
        stats = run_all(cfg, overwrite=overwrite, resume=resume)
    except CurationError as exc:
        _fail(exc)
        return
    out = out_dir(cfg)
    typer.echo(_summary(stats))
    typer.echo(f"dataset: {out / 'dataset'}   stats: {out / 'stats.json'}")


@app.command()
def ingest(config: ConfigArg, overwrite: Overwrite = False) -> None:
    """Read raw inputs into pages/ (PAGE_SCHEMA Parquet, language identified)."""
    _stage("ingest_stage", config, overwrite, "pages")


@app.command()
def segment(config: ConfigArg, overwrite: Overwrite = False) -> None:
    """Split pages/ into segmented/ (offsets, tag paths, link density)."""
    _stage("segment_stage", config, overwrite, "segments")


@app.command()
def prelabel(
    config: ConfigArg,
    overwrite: Overwrite = False,
    model: Annotated[
        Path | None, typer.Option("--model", help="trained cleaner: one more voter")
    ] = None,
) -> None:
    """Pre-label segmented/ into segments/ with every rule's vote, prelabel and confidence."""
    _stage("prelabel_stage", config, overwrite, "segments", model)


def _stage(name: str, config: Path, overwrite: bool, what: str, model: Path | None = None) -> None:
    import curation.pipeline as pipeline
    from curation.stats import Stats

    try:
        cfg = load_config(config)
        if model is not None:  # the command line's model replaces the config's prelabel.model
            pre = cfg.prelabel.model_copy(update={"model": str(model.resolve())})
            cfg = cfg.model_copy(update={"prelabel": pre})
        stats = Stats()
        n = getattr(pipeline, name)(cfg, stats, overwrite=overwrite)
        stats.write(pipeline.out_dir(cfg) / f"stats.{name.removesuffix('_stage')}.json")
    except CurationError as exc:
        _fail(exc)
        return
    skipped = sum(v for c in stats.counts.values() for k, v in c.items() if k.startswith("skip"))
    typer.echo(f"{what}: {n}   skipped: {skipped}   output: {pipeline.out_dir(cfg)}")


@app.command("filter")
def filter_cmd(config: ConfigArg, overwrite: Overwrite = False) -> None:
    """Filter segments/ (with human labels where pulled) into filtered/ and rejects/."""
    from curation.pipeline import filter_stage, out_dir
    from curation.stats import Stats

    try:
        cfg = load_config(config)
        stats = Stats()
        res = filter_stage(cfg, stats, overwrite=overwrite)
        stats.write(out_dir(cfg) / "stats.filter.json")
    except CurationError as exc:
        _fail(exc)
        return
    reasons = json.dumps(dict(stats.counts.get("filter", {})))
    typer.echo(f"kept: {res['kept']}   rejected: {res['rejected']}   reasons: {reasons}")


@app.command()
def publish(config: ConfigArg, overwrite: Overwrite = False) -> None:
    """Publish filtered/ as a Hugging Face dataset folder (dataset/) with a card."""
    from curation.pipeline import out_dir
    from curation.publish import publish_dataset
    from curation.stats import Stats

    try:
        cfg = load_config(config)
        out, stats = out_dir(cfg), Stats()
        summary = publish_dataset(out / "filtered", out / "dataset", cfg, stats, overwrite)
        stats.write(out / "stats.publish.json")
    except CurationError as exc:
        _fail(exc)
        return
    typer.echo(json.dumps(summary, ensure_ascii=False))


@rules_app.command("list")
def rules_list() -> None:
    """List the registered rules: name, label, weight, stage, what it does."""
    from curation.label.rules import RULES

    for name in RULES:
        r = RULES.get(name)
        doc = r.doc.splitlines()[0] if r.doc else ""
        typer.echo(f"{name:38s} {r.label:11s} w={r.weight:<4} stage {r.stage}  {doc}")


def _mount() -> None:
    from curation.evaluate.cli import evaluate_command
    from curation.label.cli import calibrate_command, fit_command, report_command
    from curation.labelstudio.cli import tasks_app
    from curation.model.cli import clean_command, train_command

    app.command("evaluate")(evaluate_command)
    app.command("train")(train_command)
    app.command("clean")(clean_command)
    app.add_typer(tasks_app, name="tasks")
    rules_app.command("report")(report_command)
    rules_app.command("fit")(fit_command)
    rules_app.command("calibrate")(calibrate_command)


_mount()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except CurationError as exc:  # a library error that escaped a command
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
