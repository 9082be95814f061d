"""`curation tasks ...`: thin CLI over the Label Studio round trip (the library does the work)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from curation.config import load_config
from curation.errors import CurationError

tasks_app = typer.Typer(
    help="Label Studio round trip: push pages as tasks with pre-labels, export them to a file, "
         "pull the annotations back as human labels. Server URL from the config or "
         "LABEL_STUDIO_URL, token from LABEL_STUDIO_API_KEY (scripts/labelstudio.sh start).",
    no_args_is_help=True,
)

ConfigArg = Annotated[Path, typer.Argument(help="the run's YAML config, e.g. configs/default.yaml")]
Below = Annotated[float | None, typer.Option(
    "--unsure-below", help="paragraphs layout: only segments less sure than this go to review; "
                           "the rest keep their pre-label")]


def _run(fn: Any) -> None:
    try:
        report = fn()
    except CurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(report, indent=2, ensure_ascii=False))


@tasks_app.command()
def push(
    config: ConfigArg,
    select: Annotated[str, typer.Option(help="'all' in order, or 'uncertain' first")] = "all",
    limit: Annotated[int | None, typer.Option(help="push at most this many (new) pages")] = None,
    unsure_below: Below = None,
) -> None:
    """Create or reuse the project and import the pages not yet in it, with predictions."""
    from curation.labelstudio.client import push as do_push

    _run(lambda: do_push(load_config(config), select, limit,  # type: ignore[arg-type]
                         below=unsure_below).to_dict())


@tasks_app.command()
def export(
    config: ConfigArg,
    out: Annotated[Path, typer.Option(help="JSON file to write (the config XML goes beside it)")],
    select: Annotated[str, typer.Option(help="'all' in order, or 'uncertain' first")] = "all",
    limit: Annotated[int | None, typer.Option(help="at most this many pages")] = None,
    unsure_below: Below = None,
) -> None:
    """Write the tasks as a JSON file to import by hand in Label Studio (no server needed)."""
    from curation.labelstudio.tasks import export_tasks

    _run(lambda: export_tasks(load_config(config), out, select, limit,  # type: ignore[arg-type]
                              unsure_below))


@tasks_app.command()
def pull(
    config: ConfigArg,
    from_file: Annotated[Path | None, typer.Option(
        "--from-file", help="read a Label Studio JSON export instead of the server")] = None,
    full: Annotated[bool, typer.Option(help="print the whole agreement report")] = False,
) -> None:
    """Fetch annotations, validate, merge to human_labels/ and write agreement + review list."""
    from curation.labelstudio.pull import pull as do_pull

    def go() -> dict[str, Any]:
        report = do_pull(load_config(config), from_file).to_dict()
        if not full:
            a = report["agreement"]
            report["agreement"] = {k: a.get(k) for k in
                                   ("kappa_method", "kappa", "krippendorff_alpha", "annotators")}
        return report

    _run(go)


@tasks_app.command()
def forget(
    config: ConfigArg,
    page: Annotated[list[str] | None,
                    typer.Option(help="a page_id whose labels go (repeatable)")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="delete every human label")] = False,
) -> None:
    """Delete human labels from the store (output/human_labels/): the only command that does;
    pulls and `run --overwrite` never remove a human label."""
    from curation.human.store import forget as do_forget

    def go() -> dict[str, Any]:
        if bool(page) == all_pages:
            raise CurationError("say which labels to delete: --page PAGE_ID (repeatable) or --all")
        cfg = load_config(config)
        store = cfg.resolve(cfg.output) / "human_labels"
        return do_forget(store, None if all_pages else set(page or []))

    _run(go)
