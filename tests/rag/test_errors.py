"""Bad input gets a clear ``rag.errors`` exception; broken indexes are rebuilt or explained."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Assistant
from rag.errors import ConfigError, IndexCorruptError, InvalidQuestionError, RagError


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00"])
def test_empty_question(assistant, question) -> None:
    with pytest.raises(InvalidQuestionError, match="empty"):
        assistant.ask(question)


def test_too_long_question(assistant) -> None:
    with pytest.raises(InvalidQuestionError, match="2,000"):
        assistant.ask("why " * 600)
    assert assistant.ask("x" * 1990 + " licence?") is not None  # at the limit is fine


def test_non_text_question_and_bad_k(assistant) -> None:
    with pytest.raises(InvalidQuestionError):
        assistant.ask(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidQuestionError, match="k must be"):
        assistant.ask("What is Nexperia?", k=0)


def test_bad_settings_are_config_errors(tmp_path) -> None:
    with pytest.raises(ConfigError):
        Assistant(home=tmp_path, k=0)
    with pytest.raises(ConfigError):
        Assistant(home=tmp_path, no_such_setting=1)
    assert issubclass(ConfigError, RagError)


@pytest.mark.slow
def test_missing_index_is_rebuilt_and_corrupt_index_is_explained(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a = Assistant(home=home)
    assert not a.ask("What kind of company is Nexperia?").abstained
    shutil.rmtree(home)  # deleted index: rebuilt on next start
    b = Assistant(home=home)
    assert not b.ask("What kind of company is Nexperia?").abstained

    (home / "rag_manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="run `rag index`"):
        Assistant(home=home)


@pytest.mark.slow
def test_changed_source_is_never_quoted(tmp_path: Path, corpus: Path) -> None:
    a = Assistant(home=tmp_path / "home", docs=[corpus], root=tmp_path)
    q = "How long do Chinese rare-earth export licences last today?"
    assert not a.ask(q).abstained
    f = corpus / "002_afb7bb23509a6b82.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("three-month", "six-month"), encoding="utf-8")
    ans = a.ask(q)
    for c in ans.citations:
        assert (tmp_path / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    a.index()
    fresh = a.ask(q)
    assert "six-month" in fresh.text
