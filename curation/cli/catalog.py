"""`curation rules list` and `curation filters list`: what can be named in a config."""

from __future__ import annotations

import typer

from curation.cli.options import ConfigOpt, read_config


def _first_line(doc: str | None) -> str:
    """The docstring's first paragraph on one line."""
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def rules_list(config: ConfigOpt = None) -> None:
    """List the rules a config may run: name, label, weight, stage, what it does (with
    --config, its plugins' rules too)."""
    from curation.label.rules import RULES
    from curation.label.rules.plugins import available_rules

    for name in available_rules(read_config(config)):
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
