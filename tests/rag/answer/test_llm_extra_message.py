"""llm mode without the llm extra: a clear ConfigError (exit 2, one line in the CLI) naming `make llm`."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag.answer.llm
from rag.cli import main
from rag.errors import ConfigError


@pytest.fixture()
def no_llm_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where `make llm` has not run: llama_cpp and the LlamaIndex LLM packages are absent."""
    real = rag.answer.llm._has
    monkeypatch.setattr(rag.answer.llm, "_has", lambda module: False if "llama" in module else real(module))


def test_api_names_the_command(no_llm_extra: None, tmp_path: Path) -> None:
    from rag import Assistant

    with pytest.raises(ConfigError, match=r"make llm"):
        Assistant(mode="llm", home=tmp_path / "home")
    assert not (tmp_path / "home").exists()  # refused before any index is built


def test_cli_exits_2_with_one_line(
    no_llm_extra: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_ANSWER_MODE", "llm")
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    assert main(["ask", "How long are licences valid today?"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rag: error:") and "`make llm`" in err
