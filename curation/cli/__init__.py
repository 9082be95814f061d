"""The `curation` command: one typer app, a thin shell over the library
(parse -> config -> call -> print). Only this package prints summaries and exits.

Exit codes, the same for every command (curation/cli/options.py): 0 done; 1 the command failed
while working (a Label Studio error, no gold page scored, or a bug: with a traceback);
2 a usage or setup error (bad option, invalid config, unusable input, output in the way)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from curation.cli.options import exit_code
from curation.errors import CurationError


def _skip_pyarrows_pandas_probe() -> None:
    """pyarrow imports pandas (~0.3 CPU-s) the first time it converts a Python list, only to
    ask whether the list is a pandas object; no command hands it one. That first probe runs
    with pandas out of reach, so it answers "no pandas"; pyarrow still imports pandas itself
    when pandas is asked for (`to_pandas`)."""
    import sys

    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    class _Unreachable:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name == "pandas":
                raise ImportError("pandas is not needed for this probe")

    finder = _Unreachable()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(finder)


_skip_pyarrows_pandas_probe()


class _Commands(TyperGroup):
    """Every subcommand runs through here: a library error becomes its message and exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CurationError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exit_code(exc)) from None


app = typer.Typer(
    cls=_Commands,
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


def _mount() -> None:
    from curation.cli import catalog, evaluate, model, rules, stages
    from curation.labelstudio.cli import tasks_app

    for fn in (stages.run, stages.ingest, stages.segment, stages.prelabel):
        app.command()(fn)
    app.command("filter")(stages.filter_cmd)
    app.command()(stages.publish)
    app.command("evaluate")(evaluate.evaluate_command)
    app.command("train")(model.train_command)
    app.command("clean")(model.clean_command)
    app.add_typer(tasks_app, name="tasks")
    rules_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Labelling rules.")
    rules_app.command("list")(catalog.rules_list)
    rules_app.command("report")(rules.report_command)
    rules_app.command("fit")(rules.fit_command)
    rules_app.command("calibrate")(rules.calibrate_command)
    app.add_typer(rules_app, name="rules")
    filters_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Filters.")
    filters_app.command("list")(catalog.filters_list)
    app.add_typer(filters_app, name="filters")


_mount()


def main() -> None:
    """Console-script entry point."""
    app()
