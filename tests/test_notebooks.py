"""The notebooks in notebooks/ run top to bottom (nbclient, kernel python3, no network), each in a fresh
working folder and within a minute; and they are committed without outputs."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The budget of one notebook (kernel start included); the brief is "about a minute".
TIME_LIMIT = 90.0


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == ["01_quickstart.ipynb", "02_coverage.ipynb",
                                           "03_open_product.ipynb", "04_scheduled_harvest.ipynb",
                                           "05_federated_search.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for n, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name}: cell {n} has outputs"
        assert cell.get("execution_count") is None, f"{path.name}: cell {n} has an execution count"
        assert not {"execution", "collapsed", "scrolled"} & set(cell.get("metadata", {})), \
            f"{path.name}: cell {n} keeps run metadata"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("pystac")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # headless: figures render off screen in the kernel
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=TIME_LIMIT, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    started = time.monotonic()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    elapsed = time.monotonic() - started
    assert elapsed < TIME_LIMIT, f"{path.name} took {elapsed:.0f} s"
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs
              if o.output_type == "error"]
    assert not errors
    assert all(cell.execution_count for cell in notebook.cells if cell.cell_type == "code")
    # the notebook wrote into its own working folder, never into the repository
    assert not (path.parent / "catalogs").exists()
