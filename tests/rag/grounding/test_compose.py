"""Answers from replies: citations built from the raw file and re-checked, whichever answerer spoke."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer.protocol import Reply, SourceSpan, Statement
from rag.errors import CitationError
from rag.grounding.cite import SourceTexts
from rag.grounding.compose import abstain, compose, source_changed

TEXT = "Licences last three months. The talks go on. Nothing is agreed yet."


def _span(text: str, doc: str = "d1", source: str = "a.txt") -> SourceSpan:
    start = TEXT.index(text)
    return SourceSpan(doc, source, start, start + len(text), text, {"title": "A", "publisher": "P"})


@pytest.fixture()
def texts(tmp_path: Path) -> SourceTexts:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    return SourceTexts(tmp_path)


def test_each_statement_cites_its_span_by_number(texts: SourceTexts) -> None:
    spans = (_span("Licences last three months."), _span("Nothing is agreed yet."))
    reply = Reply((Statement("Three months.", 0), Statement("No deal.", 1), Statement("Still three.", 0)), spans)
    ans = compose("How long?", reply, texts)
    assert ans.text == "Three months. [1] No deal. [2] Still three. [1]"
    assert [(c.id, c.quote, c.title, c.publisher) for c in ans.citations] == [
        (1, "Licences last three months.", "A", "P"),
        (2, "Nothing is agreed yet.", "A", "P"),
    ]
    assert not ans.abstained and ans.mode == "extractive"


def test_the_reply_s_mode_reason_and_unsupported_are_kept(texts: SourceTexts) -> None:
    reply = Reply((Statement("Licences last three months.", 0),), (_span("Licences last three months."),))
    reply = Reply(reply.statements, reply.spans, mode="llm", reason="why", unsupported=("Free for all.",))
    ans = compose("q", reply, texts)
    assert (ans.mode, ans.reason, ans.unsupported) == ("llm", "why", ("Free for all.",))


def test_a_span_the_file_no_longer_holds_is_refused(texts: SourceTexts, tmp_path: Path) -> None:
    reply = Reply((Statement("x", 0),), (_span("The talks go on."),))
    (tmp_path / "a.txt").write_text(TEXT.replace("talks", "tasks"), encoding="utf-8")
    with pytest.raises(CitationError) as err:
        compose("q", reply, texts)
    assert source_changed(err.value).startswith("a cited source changed since indexing")


def test_abstaining_cites_nothing() -> None:
    ans = abstain("q", (), "the documents are not about this")
    assert ans.abstained and not ans.citations
    assert ans.text == "The indexed documents don't answer this: the documents are not about this."
