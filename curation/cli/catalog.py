"""`curation rules list` and `curation filters list`: what can be named in a config."""

from __future__ import annotations

import typer


def _first_line(doc: str | None) -> str:
    """The docstring's first paragraph on one line."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def rules_list() -> None:
    """List the registered rules: name, label, weight, stage, what it does."""
    from curation.label.rules import RULES

    for name in RULES:
        r = RULES.get(name)
        typer.echo(f"{name:38s} {r.label:11s} w={r.weight:<4} stage {r.stage}  "
                   f"{_first_line(r.doc)}")


def filters_list() -> None:
    """List the registered filters: name, params (type, default) and what it does; name them
    under `filter.filters` in a config."""
    from curation.filter import FILTERS

    for name in FILTERS:
        f = FILTERS.get(name)
        typer.echo(f"{name:22s} {_first_line(f.fn.__doc__)}")
        typer.echo(f"{'':22s} params: {f.params_help() or '(none)'}")
