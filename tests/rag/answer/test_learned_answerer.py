"""The opt-in learned answerer end to end: real index, real model; its citations are exact spans like any other."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import Assistant
from rag.answer.export import adapter_path

pytestmark = pytest.mark.skipif(not adapter_path().is_file(), reason="no trained adapter (run `make train`)")


def test_learned_answerer_cites_exact_spans(tmp_path: Path, repo: Path) -> None:
    a = Assistant(home=tmp_path / "home", answerer="learned")
    ans = a.ask("Which chipmaker is at the centre of the feud?")
    assert not ans.abstained and "Nexperia" in ans.text
    for c in ans.citations:
        assert (repo / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
