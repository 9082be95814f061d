"""`curation run | ingest | segment | prelabel | filter | publish`: the pipeline's stages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from curation.cli.options import ConfigArg, ConfigOpt, RulesOnly, config_path, read_config
from curation.config import dump_config

Overwrite = Annotated[bool, typer.Option("--overwrite", help="replace existing outputs")]


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


def run(
    config_arg: ConfigArg = None,
    config: ConfigOpt = None,
    overwrite: Overwrite = False,
    resume: Annotated[bool, typer.Option(help="keep stages already finished")] = False,
    workers: Annotated[int | None, typer.Option(help="processes (default: config)")] = None,
    engine: Annotated[str | None, typer.Option(help="local or ray (default: config)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the config")] = False,
    rules: RulesOnly = False,
) -> None:
    """Run every stage: ingest, segment, pre-label (the rules and the packaged trained cleaner,
    or the config's prelabel.model), filter, publish."""
    from curation.pipeline import out_dir
    from curation.pipeline import run as run_all
    from curation.process import settle_gc

    cfg = read_config(config_path(config_arg, config), workers=workers, engine=engine,
                      rules_alone=rules)
    if dry_run:
        typer.echo(dump_config(cfg))
        return
    settle_gc()
    stats = run_all(cfg, overwrite=overwrite, resume=resume)
    out = out_dir(cfg)
    typer.echo(_summary(stats))
    typer.echo(f"dataset: {out / 'dataset'}   stats: {out / 'stats.json'}")


def ingest(config_arg: ConfigArg = None, config: ConfigOpt = None,
           overwrite: Overwrite = False) -> None:
    """Read raw inputs into pages/ (PAGE_SCHEMA Parquet, language identified)."""
    _stage("ingest_stage", config_path(config_arg, config), overwrite, "pages")


def segment(config_arg: ConfigArg = None, config: ConfigOpt = None,
            overwrite: Overwrite = False) -> None:
    """Split pages/ into segmented/ (offsets, tag paths, link density)."""
    _stage("segment_stage", config_path(config_arg, config), overwrite, "segments")


def prelabel(
    config_arg: ConfigArg = None,
    config: ConfigOpt = None,
    overwrite: Overwrite = False,
    model: Annotated[
        Path | None, typer.Option("--model", help="trained cleaner voting with the rules "
                                  "(default: the config's prelabel.model, else the packaged one)")
    ] = None,
    rules: RulesOnly = False,
) -> None:
    """Pre-label segmented/ into segments/ with every rule's vote, the model's, prelabel and
    confidence."""
    if model is not None and rules:
        raise typer.BadParameter("give --model or --rules-only, not both", param_hint="--model")
    _stage("prelabel_stage", config_path(config_arg, config), overwrite, "segments", model,
           rules)


def _stage(name: str, config: Path | None, overwrite: bool, what: str,
           model: Path | None = None, rules: bool = False) -> None:
    import curation.pipeline as pipeline
    from curation.stats import Stats

    cfg = read_config(config, rules_alone=rules)
    if model is not None:  # the command line's model replaces the config's prelabel.model
        pre = cfg.prelabel.model_copy(update={"model": str(model.resolve())})
        cfg = cfg.model_copy(update={"prelabel": pre})
    stats = Stats()
    n = getattr(pipeline, name)(cfg, stats, overwrite=overwrite)
    stats.write(pipeline.out_dir(cfg) / f"stats.{name.removesuffix('_stage')}.json")
    skipped = sum(v for c in stats.counts.values() for k, v in c.items() if k.startswith("skip"))
    typer.echo(f"{what}: {n}   skipped: {skipped}   output: {pipeline.out_dir(cfg)}")


def filter_cmd(config_arg: ConfigArg = None, config: ConfigOpt = None,
               overwrite: Overwrite = False) -> None:
    """Filter segments/ (with human labels where pulled) into filtered/ and rejects/."""
    from curation.pipeline import filter_stage, out_dir
    from curation.stats import Stats

    cfg = read_config(config_path(config_arg, config))
    stats = Stats()
    res = filter_stage(cfg, stats, overwrite=overwrite)
    stats.write(out_dir(cfg) / "stats.filter.json")
    reasons = json.dumps(dict(stats.counts.get("filter", {})))
    typer.echo(f"kept: {res['kept']}   rejected: {res['rejected']}   reasons: {reasons}")


def publish(config_arg: ConfigArg = None, config: ConfigOpt = None,
            overwrite: Overwrite = False) -> None:
    """Publish filtered/ as a Hugging Face dataset folder (dataset/) with a card."""
    from curation.pipeline import out_dir, publish_stage
    from curation.stats import Stats

    cfg = read_config(config_path(config_arg, config))
    out, stats = out_dir(cfg), Stats()
    summary = publish_stage(cfg, stats, overwrite)
    stats.write(out / "stats.publish.json")
    typer.echo(json.dumps(summary, ensure_ascii=False))
