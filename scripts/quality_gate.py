#!/usr/bin/env python
"""Quality gate: score the pre-labels on the gold files named in configs/quality_floors.yaml
and fail (exit 1) naming every figure that fell below its floor (or rose above its ceiling).

Run from the repository root: `.venv/bin/python scripts/quality_gate.py [--floors FILE]`.
tests/quality/test_quality_gate.py runs it, so the test command and .ci/run enforce it.
Lowering a floor is an edit to the floors file, visible in review; nothing here relaxes one."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def figures(result: dict[str, Any]) -> dict[str, float]:
    """Flat figures of an evaluate result: labels.<label>.<metric>, leak.<label>, mean_token_f1."""
    out: dict[str, float] = {}
    for lab, v in result["labels"].items():
        for k, x in v.items():
            out[f"labels.{lab}.{k}"] = float(x)
    for lab, x in result["leak"].items():
        out[f"leak.{lab}"] = float(x)
    if result["labels"]:
        f1 = [v["token_f1"] for v in result["labels"].values()]
        out["mean_token_f1"] = round(sum(f1) / len(f1), 4)
    out["pages"] = float(result["pages"])
    return out


def calibration_figures(gold: list[Path], cfg: Any, threshold: float) -> dict[str, float]:
    """ECE and accuracy at confidence >= *threshold* of the configured (calibrated) confidence."""
    from curation.label.analysis import collect_gold_votes, correct_for
    from curation.label.calibrate import ece

    gv = collect_gold_votes(gold, cfg)
    pre, _ = gv.combine()
    known, correct = correct_for(pre, gv.gold)
    conf, ok = gv.confidence[known], correct[known]
    hi = conf >= threshold
    return {
        "ece": round(ece(conf, ok), 4),
        "acc_at_threshold": round(float(ok[hi].mean()), 4) if hi.any() else 0.0,
        "share_at_threshold": round(float(hi.mean()), 4),
        "prelabel_accuracy": round(float(ok.mean()), 4),
    }


def check(measured: dict[str, float], spec: dict[str, Any], where: str) -> list[str]:
    """Failures: figures under their `min` or over their `max`, or missing."""
    fails: list[str] = []
    for bound, sign in (("min", 1), ("max", -1)):
        for name, limit in (spec.get(bound) or {}).items():
            got = measured.get(name)
            if got is None:
                fails.append(f"{where}: {name} was not measured (floor {limit})")
            elif sign * (got - float(limit)) < -1e-9:
                rel = "below its floor" if sign > 0 else "above its ceiling"
                fails.append(f"{where}: {name} = {got:.4f} is {rel} {limit}")
    return fails


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file (the floors are pinned to one version of each gold file)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_changed(path: Path, fspec: dict[str, Any], where: str) -> list[str]:
    """A failure when the gold file is not the one the floors were measured on: a changed
    file makes every floor meaningless until it is re-measured and re-pinned."""
    pinned = fspec.get("sha256")
    if pinned is None:
        return []
    got = sha256_of(path)
    if got == pinned:
        return []
    return [f"{where}: {path.name} changed (sha256 {got[:12]}..., floors pinned to "
            f"{str(pinned)[:12]}...): re-measure and re-pin its floors"]


def run_gate(floors_path: Path) -> tuple[list[str], list[str]]:
    """(failures, report lines) for the floors file."""
    from curation.config import load_config
    from curation.evaluate import evaluate_gold
    from curation.process import rules_labeller

    spec = yaml.safe_load(floors_path.read_text(encoding="utf-8")) or {}
    base = floors_path.resolve().parent
    cfg = load_config(ROOT / spec.get("config", "configs/default.yaml"))
    fails: list[str] = []
    lines: list[str] = []
    for name, fspec in (spec.get("files") or {}).items():
        path = (base / fspec["path"]).resolve()
        changed = data_changed(path, fspec, name)
        if changed:
            fails += changed
            continue
        measured = figures(evaluate_gold(path, cfg, rules_labeller(cfg)))
        lines.append(f"{name}: " + ", ".join(
            f"{k}={measured.get(k, float('nan')):.4f}"
            for k in [*(fspec.get("min") or {}), *(fspec.get("max") or {})]))
        fails += check(measured, fspec, name)
    cal = spec.get("calibration")
    if cal:
        gold = [(base / p).resolve() for p in cal["gold"]]
        measured = calibration_figures(gold, cfg, float(cal.get("threshold", 0.9)))
        lines.append("calibration: " + ", ".join(f"{k}={v:.4f}" for k, v in measured.items()))
        fails += check(measured, cal, "calibration")
    return fails, lines


def main(argv: list[str] | None = None) -> int:
    """Command line: exit 0 when every figure holds, 1 naming the ones that dropped."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--floors", type=Path, default=ROOT / "configs" / "quality_floors.yaml")
    args = ap.parse_args(argv)
    fails, lines = run_gate(args.floors)
    print("\n".join(lines))
    if fails:
        print("QUALITY GATE FAILED:\n  " + "\n  ".join(fails), file=sys.stderr)
        return 1
    print("quality gate: ok")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
