"""What every command shares: the one way to name a config, and the exit-code map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from curation.config import RunConfig, load_config, rules_only
from curation.errors import (
    ConfigError,
    CurationError,
    InputError,
    OutputExistsError,
    OutputLockedError,
    SchemaError,
)

# `--config/-c FILE` on every command that reads a config; without one, the built-in defaults
# (the packaged cue words and calibration, the bundled sample pages, output ./out)
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="run config (YAML); default: the built-in defaults", show_default=False)]
# the stage commands also take it as their first argument: `curation run my.yaml`
ConfigArg = Annotated[Path | None, typer.Argument(
    metavar="CONFIG", help="run config, the same as --config", show_default=False)]
# on the commands that pre-label: prelabel.model null, whatever the config says
RulesOnly = Annotated[bool, typer.Option(
    "--rules-only", help="label with the rules alone (no trained cleaner voting)")]

EXIT_FAILED = 1  # the command failed while working (a Label Studio error, nothing scored, a bug)
EXIT_USAGE = 2  # bad command line or setup: options, config, input, output in the way
SETUP_ERRORS = (ConfigError, InputError, OutputExistsError, OutputLockedError, SchemaError)


def exit_code(exc: CurationError) -> int:
    """The exit code of a library error: setup errors are usage errors, the rest failures."""
    return EXIT_USAGE if isinstance(exc, SETUP_ERRORS) else EXIT_FAILED


def config_path(positional: Path | None, option: Path | None) -> Path | None:
    """The config named either way; naming two different files is a usage error."""
    if positional is not None and option is not None and positional != option:
        raise typer.BadParameter(f"two configs given: {positional} and {option}",
                                 param_hint="--config")
    return option if option is not None else positional


def read_config(path: Path | None, rules_alone: bool = False, **overrides: Any) -> RunConfig:
    """The validated config (or the built-in defaults when *path* is None), with the rules
    alone labelling when *rules_alone* (`--rules-only`); every rule, filter and file it names
    is looked up now, so a typo fails before any data is read."""
    from curation.resolve import resolve

    cfg = load_config(path, **overrides)
    if rules_alone:
        cfg = rules_only(cfg)
    resolve(cfg)
    return cfg
