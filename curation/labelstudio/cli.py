"""`curation tasks ...`: thin CLI over the Label Studio round trip (the library does the work)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from curation.config import load_config
from curation.errors import InputError

tasks_app = typer.Typer(
    help="Label Studio round trip: push pages as tasks with pre-labels, export them to a file, "
         "pull the annotations back as human labels. Server URL from the config or "
         "LABEL_STUDIO_URL, token from LABEL_STUDIO_API_KEY (scripts/labelstudio.sh start).",
    no_args_is_help=True,
)

# the CLI's one config option, as in curation/cli/options.py (this module is mounted there)
ConfigArg = Annotated[Path | None, typer.Argument(
    metavar="CONFIG", help="run config, the same as --config", show_default=False)]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="run config (YAML); default: the built-in defaults", show_default=False)]
Below = Annotated[float | None, typer.Option(
    "--unsure-below", help="hypertext or paragraphs layout: only segments less sure than this "
                           "go to review; the rest keep their pre-label")]


def _run(fn: Any) -> None:
    # a library error reaches curation/cli, which maps it to the exit code every command uses
    typer.echo(json.dumps(fn(), indent=2, ensure_ascii=False))


@tasks_app.command()
def push(
    config_arg: ConfigArg = None,
    config: ConfigOpt = None,
    select: Annotated[str, typer.Option(help="'all' in order, or 'uncertain' first")] = "all",
    limit: Annotated[int | None, typer.Option(help="push at most this many (new) pages")] = None,
    unsure_below: Below = None,
) -> None:
    """Create or reuse the project and import the pages not yet in it, with predictions."""
    from curation.labelstudio.client import push as do_push

    _run(lambda: do_push(load_config(config or config_arg), select, limit,  # type: ignore[arg-type]
                         below=unsure_below).to_dict())


@tasks_app.command()
def export(
    out: Annotated[Path, typer.Option(help="JSON file to write (the config XML goes beside it)")],
    config_arg: ConfigArg = None,
    config: ConfigOpt = None,
    select: Annotated[str, typer.Option(help="'all' in order, or 'uncertain' first")] = "all",
    limit: Annotated[int | None, typer.Option(help="at most this many pages")] = None,
    unsure_below: Below = None,
) -> None:
    """Write the tasks as a JSON file to import by hand in Label Studio (no server needed)."""
    from curation.labelstudio.tasks import export_tasks

    _run(lambda: export_tasks(load_config(config or config_arg), out, select, limit,  # type: ignore[arg-type]
                              unsure_below))


@tasks_app.command()
def pull(
    config_arg: ConfigArg = None,
    config: ConfigOpt = None,
    from_file: Annotated[Path | None, typer.Option(
        "--from-file", help="read a Label Studio JSON export instead of the server")] = None,
    full: Annotated[bool, typer.Option(help="print the whole agreement report")] = False,
) -> None:
    """Fetch annotations, validate, merge to human_labels/ and write agreement + review list."""
    from curation.labelstudio.pull_labels import pull as do_pull

    def go() -> dict[str, Any]:
        report = do_pull(load_config(config or config_arg), from_file).to_dict()
        if not full:
            a = report["agreement"]
            report["agreement"] = {k: a.get(k) for k in
                                   ("kappa_method", "kappa", "krippendorff_alpha", "annotators")}
        return report

    _run(go)


@tasks_app.command()
def forget(
    config_arg: ConfigArg = None,
    config: ConfigOpt = None,
    page: Annotated[list[str] | None,
                    typer.Option(help="a page_id whose labels go (repeatable)")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="delete every human label")] = False,
) -> None:
    """Delete human labels from the store (OUTPUT/human_labels/, or labelstudio.human_labels):
    the only command that does; pulls and `run --overwrite` never remove a human label."""
    from curation.human.store import forget as do_forget
    from curation.human.store import store_dir

    def go() -> dict[str, Any]:
        if bool(page) == all_pages:
            raise InputError("say which labels to delete: --page PAGE_ID (repeatable) or --all")
        cfg = load_config(config or config_arg)
        return do_forget(store_dir(cfg), None if all_pages else set(page or []))

    _run(go)
