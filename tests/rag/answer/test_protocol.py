"""The answer stage behind its protocol: answerers never see the Assistant, and the facade checks whatever
an answerer says before it leaves ``rag``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rag.answer.protocol import AnswerContext, Evidence, Reply, SourceSpan, Statement

RAG = Path(__file__).resolve().parents[3] / "rag"
Q = "How long do Chinese rare-earth export licences last today?"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("stage", ["answer", "grounding", "retrieval"])
def test_no_stage_imports_the_facade(stage: str) -> None:
    for path in sorted((RAG / stage).glob("*.py")):
        assert "rag.assistant" not in _imports(path), path


def test_no_module_reaches_into_the_assistant() -> None:
    private = re.compile(r"\b(?:assistant|base)\._\w")  # Sources(assistant), Collections(base)
    for path in sorted(RAG.rglob("*.py")):
        if path.name != "assistant.py":
            assert not private.search(path.read_text(encoding="utf-8")), path


class _Says:
    """An answerer that says one thing, citing one span (however wrong)."""

    def __init__(self, span: SourceSpan) -> None:
        self.span = span
        self.seen: list[tuple[Evidence, AnswerContext]] = []

    def answer(self, evidence: Evidence, ctx: AnswerContext) -> Reply:
        self.seen.append((evidence, ctx))
        return Reply((Statement("Anything at all.", 0),), (self.span,), evidence.passages)


def _first_sentence(a) -> SourceSpan:
    """The first indexed sentence of the best passage for ``Q``, as an exact span of its file."""
    chunk = a.retrieve(Q)[0].chunk
    meta = a.docs[chunk.doc_id]
    start, end = chunk.sentences[0]
    return SourceSpan(chunk.doc_id, meta["source"], start, end, a.texts.text(meta["source"])[start:end], meta)


@pytest.fixture()
def fresh(assistant):
    from rag import Assistant

    return Assistant(home=assistant.settings.home, embedder=assistant.embedder)


def test_the_answerer_gets_evidence_and_context_and_its_quote_is_checked(fresh, monkeypatch) -> None:
    span = _first_sentence(fresh)
    says = _Says(span)
    monkeypatch.setattr(fresh, "_answerer", says)
    ans = fresh.ask(Q)
    evidence, ctx = says.seen[0]
    assert evidence.passages and evidence.candidates and ctx.docs == fresh.docs
    assert ans.text == "Anything at all. [1]" and ans.citations[0].quote == span.text


def test_a_quote_the_source_does_not_hold_is_never_shown(fresh, monkeypatch) -> None:
    span = _first_sentence(fresh)
    wrong = SourceSpan(span.doc_id, span.source, span.start, span.end, span.text + " (not in the file)", span.meta)
    monkeypatch.setattr(fresh, "_answerer", _Says(wrong))
    ans = fresh.ask(Q)
    assert ans.abstained and not ans.citations and "changed since indexing" in ans.reason


def test_a_citation_outside_the_document_filter_is_refused(fresh, monkeypatch) -> None:
    span = _first_sentence(fresh)
    other = next(d for d in fresh.docs if d != span.doc_id)
    monkeypatch.setattr(fresh, "_answerer", _Says(span))
    with pytest.raises(AssertionError, match="outside the document filter"):
        fresh.ask(Q, documents=[other])


def test_settings_set_after_creation_still_apply(fresh) -> None:
    q = "Why have EU officials toned down their public rhetoric on Beijing?"  # two sentences by default
    assert len(fresh.ask(q).citations) == 2
    fresh.settings.max_sentences = 1
    assert len(fresh.ask(q).citations) == 1
