"""notebooks/pipeline.ipynb runs top to bottom in a real kernel (this interpreter's ipykernel)
and shows what it promises: the coloured page (HTML) and the plots (PNG)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "pipeline.ipynb"


def test_notebook_is_committed_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_executes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    # a kernelspec for this interpreter, found first on JUPYTER_PATH: the kernel is the venv's
    # python (with curation installed), not whichever python3 kernel the user has registered
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (curation venv)",
        "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's temp run folder lands here
    work = tmp_path / "work"  # the kernel's working folder: outside the repository
    work.mkdir()
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    htmls = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(pngs) >= 2  # label counts, rule votes
    assert all(o["data"]["image/png"] for o in pngs)
    assert any("article" in h and "background:" in h for h in htmls)  # the coloured page
    (stats_file,) = tmp_path.glob("curation-notebook-*/out/stats.json")
    votes = json.loads(stats_file.read_text())["counts"]["prelabel.votes"]
    assert votes and any(all(f"<td>{rule}</td><td>{n}</td>" in h for rule, n in votes.items())
                         for h in htmls)  # the votes table shows every rule of stats.json
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "DatasetDict" in text and "train" in text
    # the rule report needs the gold files; CI always has them (it fails without ../shared)
    if (shared_data / "gold-seed.jsonl").is_file():
        assert "teaser.time_ago.v1" in text and "confl" in text
    assert not list(work.iterdir())  # the run went to a temp folder, not the working one
