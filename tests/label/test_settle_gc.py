"""`curation run` tunes the cyclic GC once per process: what is alive is frozen, gen0 runs
rarely. Checked in a fresh interpreter (the test process keeps its own GC settings)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_settle_gc_freezes_and_raises_the_thresholds() -> None:
    code = (
        "import gc, json\n"
        "from curation.process import _GC_THRESHOLDS, settle_gc\n"
        "before = gc.get_threshold()\n"
        "settle_gc()\n"
        "garbage = [[] for _ in range(3)]\n"
        "for a, b in zip(garbage, garbage[1:]): a.append(b); b.append(a)  # a cycle\n"
        "del garbage, a, b\n"
        "print(json.dumps({'before': before, 'after': gc.get_threshold(),\n"
        "                  'wanted': _GC_THRESHOLDS, 'frozen': gc.get_freeze_count(),\n"
        "                  'collected': gc.collect()}))\n"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], check=True,
                                    capture_output=True, text=True).stdout)
    assert out["before"] != out["after"] == out["wanted"]
    assert out["after"][0] > 10 * out["before"][0]
    assert out["frozen"] > 10_000  # the modules imported so far
    assert out["collected"] >= 3  # cycles made after the freeze are still collected
