"""``Assistant.ask(q, documents=[id])``: retrieval and citations come from those documents only.

Real MiniLM, real Chroma, the seeds plus a third file that competes with them on the same topic (so an
unscoped question would happily cite it).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from rag.errors import InvalidQuestionError

pytestmark = pytest.mark.slow

THIRD = (
    "Rare-earth export licences in Vietnam last five years, officials in Hanoi said on Monday.\n\n"
    "The Vietnamese licence covers refined oxides and magnets, and a company could obtain one within a week.\n\n"
    "Nexperia is not mentioned by the Vietnamese ministry, which focuses on mining companies.\n"
)


@pytest.fixture(scope="module")
def three(assistant: Any, seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An Assistant over the seeds and a third, competing document."""
    from rag import Assistant

    corpus = tmp_path_factory.mktemp("three")
    for f in seeds_dir.iterdir():
        shutil.copy(f, corpus / f.name)
    (corpus / "vietnam.txt").write_text(THIRD, encoding="utf-8")
    return Assistant(home=tmp_path_factory.mktemp("three-home"), docs=[corpus], embedder=assistant.embedder)


def _id(a: Any, name: str) -> str:
    return next(d for d, m in a.docs.items() if m["source"].endswith(name))


def _cited(answer: Any, a: Any) -> set[str]:
    by_source = {m["source"]: d for d, m in a.docs.items()}
    return {by_source[c.source] for c in answer.citations}


def test_scoped_questions_cite_only_their_documents(three: Any, acceptance: list[dict]) -> None:
    ids = list(three.docs)
    assert len(ids) == 3
    cited_any = set()
    for q in acceptance:
        for doc in ids:
            ans = three.ask(q["question"], documents=[doc])
            cited = _cited(ans, three)
            assert cited <= {doc}, (q["id"], doc, ans.text)
            assert all(p.chunk.doc_id == doc for p in ans.passages), q["id"]
            for c in ans.citations:
                assert Path(three.settings.root, c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
            cited_any |= cited
    assert cited_any == set(ids)  # each document answered something when it was the only one allowed


def test_third_file_is_cited_only_when_allowed(three: Any) -> None:
    q = "How long do rare-earth export licences last in Vietnam?"
    vietnam = _id(three, "vietnam.txt")
    seeds = [d for d in three.docs if d != vietnam]
    free = three.ask(q)
    assert not free.abstained and _cited(free, three) == {vietnam}, free.text
    scoped = three.ask(q, documents=seeds)
    assert vietnam not in _cited(scoped, three) and vietnam not in {p.chunk.doc_id for p in scoped.passages}
    only = three.ask(q, documents=[vietnam])
    assert "five years" in only.text and _cited(only, three) == {vietnam}


def test_retrieve_and_stream_take_the_filter(three: Any) -> None:
    vietnam = _id(three, "vietnam.txt")
    passages = three.retrieve("What kind of company is Nexperia?", k=5, documents=[vietnam])
    assert passages and {p.chunk.doc_id for p in passages} == {vietnam}
    *_, last = three.stream("What kind of company is Nexperia?", documents=[vietnam])
    assert vietnam in {p.chunk.doc_id for p in last.passages}
    assert _cited(last, three) <= {vietnam}


def test_bad_filters(three: Any) -> None:
    empty = three.ask("What kind of company is Nexperia?", documents=[])
    assert empty.abstained and "no documents are selected" in empty.reason and not empty.citations
    with pytest.raises(InvalidQuestionError, match="no indexed document"):
        three.ask("What kind of company is Nexperia?", documents=["0123456789abcdef"])
    with pytest.raises(InvalidQuestionError, match="list of document ids"):
        three.ask("What kind of company is Nexperia?", documents=_id(three, "vietnam.txt"))  # type: ignore[arg-type]
