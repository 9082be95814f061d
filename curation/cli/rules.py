"""`curation rules report | fit | calibrate`: analyse, re-weight and calibrate the rules on gold."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
import yaml

from curation.cli.options import ConfigOpt, read_config

GoldOpt = Annotated[
    list[Path], typer.Option("--gold", help="gold file(s), JSONL or JSONL.gz; repeat the option")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout")]


def _collect(gold: list[Path], config: Path | None) -> Any:
    """Run the pipeline on the gold pages, listing each unreadable gold page on stderr."""
    from curation.label.analysis import collect_gold_votes
    from curation.stats import Stats

    stats = Stats()
    gv = collect_gold_votes(gold, read_config(config), stats)
    for p in stats.skipped:
        typer.echo(f"gold problem ({p['reason']}) at {p['source']}: {p['detail']}", err=True)
    if gv.n == 0:
        raise typer.BadParameter("no gold page could be read", param_hint="--gold")
    return gv


def _overall(gv: Any, weights: np.ndarray[Any, Any] | None = None) -> dict[str, Any]:
    from curation.label.analysis import correct_for

    pre, _ = gv.combine(weights)
    known, correct = correct_for(pre, gv.gold)
    exact = known & gv.exact_page
    return {
        "segments": gv.n, "gold_known": int(known.sum()),
        "prelabel_accuracy": round(float(correct[known].mean()), 4) if known.any() else None,
        "exact_segments": int(exact.sum()),
        "exact_accuracy": round(float(correct[exact].mean()), 4) if exact.any() else None,
    }


def report_command(
    gold: GoldOpt,
    config: ConfigOpt = None,
    json_out: JsonOpt = False,
    sort: Annotated[
        str, typer.Option(help="sort rows by: rule, emp_accuracy, exact_accuracy, conflicts")
    ] = "rule",
    threshold: Annotated[float, typer.Option(help="confidence threshold to report")] = 0.9,
) -> None:
    """Per-rule coverage, overlaps, conflicts and accuracy on gold (Snorkel's LF summary),
    and how well the confidence is calibrated."""
    from curation.label.analysis import format_summary, lf_summary
    from curation.label.calibrate import calibration_report
    from curation.label.combine import Calibration

    if sort not in ("rule", "emp_accuracy", "exact_accuracy", "conflicts", "coverage"):
        raise typer.BadParameter(f"cannot sort by {sort!r}", param_hint="--sort")
    gv = _collect(gold, config)
    rows = lf_summary(gv)
    cal = _pipeline_calibration(gv)
    calrep = calibration_report(gv, cal or Calibration({}), threshold)
    result: dict[str, Any] = {"overall": _overall(gv), "rules": rows,
                              "calibration": calrep.to_dict()}
    if json_out:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    o = result["overall"]
    typer.echo(f"segments: {o['segments']}   gold-known: {o['gold_known']}   prelabel accuracy: "
               f"{o['prelabel_accuracy']}   exact (taxonomy pages): {o['exact_accuracy']} "
               f"on {o['exact_segments']}")
    typer.echo(format_summary(rows, sort))
    typer.echo("")
    typer.echo("confidence (calibrated = the config's calibration file"
               + ("" if cal else ": none configured, shown as raw") + ")")
    typer.echo(calrep.format())


def _pipeline_calibration(gv: Any) -> Any:
    """The calibration the run config applies, if any (for the report)."""
    from curation.label.combine import load_calibration

    cfg = gv.config
    if not cfg.prelabel.calibration:
        return None
    return load_calibration(str(cfg.resolve(cfg.prelabel.calibration)))


def _write_yaml(out: Path, header: str, data: dict[str, Any]) -> None:
    from curation.io.atomic import atomic_write_text

    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    atomic_write_text(out, header + body)


def fit_command(
    gold: GoldOpt,
    out: Annotated[Path, typer.Option("--out", help="weights file to write")] = Path(
        "configs/rule_weights.yaml"),
    config: ConfigOpt = None,
    cap: Annotated[int, typer.Option(help="segments a site counts for at most")] = 50,
    l2: Annotated[float, typer.Option(help="shrinkage towards the hand weights")] = 0.001,
) -> None:
    """Fit rule weights on gold (grouped by site) and write a weights file."""
    from curation.label.calibrate import fit_weights

    gv = _collect(gold, config)
    fitted = fit_weights(gv, cap=cap, l2=l2)
    w = np.array([fitted[r]["weight"] for r in gv.rules])
    before, after = _overall(gv), _overall(gv, w)
    header = (
        f"# Rule weights fitted by `curation rules fit` on {', '.join(str(g) for g in gold)}\n"
        f"# ({date.today()}; sites capped at {cap} segments, l2 {l2} towards the hand weights).\n"
        f"# Prelabel accuracy on that gold: hand weights {before['prelabel_accuracy']} "
        f"(exact {before['exact_accuracy']}), fitted {after['prelabel_accuracy']} "
        f"(exact {after['exact_accuracy']}), in-sample.\n"
        "# Use with `prelabel: {weights_file: rule_weights.yaml}` in a run config.\n"
    )
    _write_yaml(out, header, {
        "weights": {r: fitted[r]["weight"] for r in gv.rules},
        "stats": {r: {k: v for k, v in fitted[r].items() if k != "weight"} for r in gv.rules},
    })
    typer.echo(header.replace("# ", "").rstrip())
    typer.echo(f"written: {out}")


def calibrate_command(
    gold: GoldOpt,
    out: Annotated[Path | None, typer.Option(
        "--out", help="calibration file to write; default: the packaged one, in a source checkout"
    )] = None,
    config: ConfigOpt = None,
    threshold: Annotated[float, typer.Option(help="confidence threshold to check")] = 0.9,
    folds: Annotated[int, typer.Option(help="cross-validation folds (split by site)")] = 5,
    json_out: JsonOpt = False,
) -> None:
    """Fit the confidence calibration on gold and write it; report ECE before and after."""
    from curation.defaults import packaged, source_checkout
    from curation.label.calibrate import calibration_report, fit_calibration

    if out is None:
        if source_checkout() is None:  # an installed package's files are not for editing
            raise typer.BadParameter("give the file to write", param_hint="--out")
        out = packaged("calibration.yaml")
    gv = _collect(gold, config)
    cal, scopes = fit_calibration(gv)
    rep = calibration_report(gv, cal, threshold, folds)
    by = {(r["scope"], r["confidence"]): r for r in rep.rows}
    allk = "all gold-known"
    header = (
        "# Confidence calibration fitted by `curation rules calibrate` on "
        f"{', '.join(g.name for g in gold)}:\n"
        "# isotonic maps raw vote confidence -> P(prelabel right); `article` fitted on "
        f"{scopes.get('article', '-')}\n# gold, `not_article` on "
        f"{scopes.get('not_article', '-')} gold.\n"
        f"# ECE raw {by[(allk, 'raw')]['ece']}, calibrated {by[(allk, 'calibrated')]['ece']}"
        f" (cv by site {by[(allk, 'calibrated (cv)')]['ece']}); accuracy at confidence >= "
        f"{threshold}: {by[(allk, 'calibrated')]['acc_at_threshold']} (cv "
        f"{by[(allk, 'calibrated (cv)')]['acc_at_threshold']}).\n"
        "# Refit after changing rules or weights.\n"
    )
    _write_yaml(out, header, {"scopes": scopes, "maps": cal.to_dict()})
    if json_out:
        sys.stdout.write(json.dumps({"scopes": scopes, "report": rep.to_dict()}) + "\n")
        return
    typer.echo(rep.format())
    typer.echo(f"written: {out}")
