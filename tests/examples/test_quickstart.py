"""Execute examples/quickstart.ipynb end to end in a kernel running this venv's Python."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
kernelspec = pytest.importorskip("ipykernel.kernelspec")

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "quickstart.ipynb"

# Appended to the in-memory copy only: proves which interpreter and index folder the kernel used.
PROBE = "import os, sys\nprint(sys.prefix)\nprint(os.environ.get('RAG_HOME', ''))\nprint(a.settings.home)"


def _outputs_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def test_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs"


@pytest.mark.slow
def test_quickstart_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A private "python3" kernelspec whose argv is this interpreter: JUPYTER_PATH beats the user's
    # and the system's kernelspecs, so the notebook can't run in some other Python by accident.
    kernelspec.install(prefix=str(tmp_path / "jupyter"), kernel_name="python3")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter" / "share" / "jupyter"))
    # The kernel inherits this environment: build the index in a temp folder, never the repo's .rag/.
    home = tmp_path / "rag-home"
    monkeypatch.setenv("RAG_HOME", str(home))
    monkeypatch.setenv("RAG_PROGRESS", "false")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # The kernel runs in examples/: without this it would import whatever checkout the venv installed.
    monkeypatch.setenv("PYTHONPATH", str(REPO))

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE, id="test-probe"))
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO / "examples")}},  # cwd = examples/, not the repo root
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.get("output_type") == "error"], cell.id

    cells = {c.id: c for c in nb.cells}
    invariant = cells["check-invariant"]
    assert invariant.execution_count is not None
    assert "invariant holds for all" in _outputs_text(invariant)

    context = _outputs_text(cells["context"])
    assert "»" in context and "«" in context
    assert "abstained: True" in _outputs_text(cells["abstain"])
    assert '"citations": [' in _outputs_text(cells["json"])
    li_nodes = _outputs_text(cells["llamaindex-retriever"]).splitlines()
    assert len(li_nodes) == 5 and all("seeds/" in line and "doc=" in line for line in li_nodes)
    engine = _outputs_text(cells["llamaindex-engine"])
    ask_line, engine_line = engine.splitlines()[:2]
    assert ask_line.split(":", 1)[1].strip() == engine_line.split(":", 1)[1].strip()  # the same answer both ways
    assert "abstained: False" in engine and "exact span: True" in engine and "exact span: False" not in engine

    prefix, rag_home, settings_home = _outputs_text(cells["test-probe"]).splitlines()[:3]
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    assert Path(rag_home) == home and Path(settings_home) == home
    assert list(home.glob("*_manifest.json")), "the index was not built in RAG_HOME"
