"""The command's start-up imports what a run needs: not pandas (pyarrow's first list
conversion would import it), not charset_normalizer (only undeclared encodings need it)."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(code: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    result: dict[str, object] = json.loads(out)
    return result


def test_the_command_converts_lists_without_importing_pandas() -> None:
    got = _modules_after(
        "import json, sys\n"
        "import curation.cli\n"
        "import pyarrow as pa, pyarrow.compute as pc\n"
        "t = pa.table({'a': ['x', None], 'b': [1, 2]})\n"
        "pc.match_substring_regex(t['a'], 'x')\n"
        "loaded = {m: m in sys.modules for m in ('pandas', 'charset_normalizer')}\n"
        "frame = t.to_pandas()  # asked for, pandas still comes\n"
        "print(json.dumps({**loaded, 'frame': list(frame.shape),\n"
        "                  'back': pa.Table.from_pandas(frame).num_rows}))\n"
    )
    assert got == {"pandas": False, "charset_normalizer": False, "frame": [2, 2], "back": 2}
