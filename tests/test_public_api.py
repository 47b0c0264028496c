"""The public surface: everything in ``__all__`` exists, and ``import rag`` stays light."""

from __future__ import annotations

import subprocess
import sys

import rag
import rag.errors


def test_exported_members() -> None:
    for name in rag.__all__:
        assert getattr(rag, name) is not None, name
    assert all(issubclass(getattr(rag.errors, n), rag.errors.RagError) for n in rag.errors.__all__)


def test_import_is_cheap() -> None:
    code = "import sys, rag; print(any(m.startswith(('torch', 'chromadb', 'llama_index')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
