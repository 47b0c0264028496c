from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.errors import InvalidQuestionError
from rag.validate import clean_question, document_scope


@given(st.text(max_size=80))
def test_a_clean_question_has_single_spaces_and_cleans_to_itself(text: str) -> None:
    try:
        q = clean_question(text, 100)
    except InvalidQuestionError:
        assert not " ".join(text.replace("\x00", " ").split())
        return
    assert q == q.strip() and "  " not in q and "\x00" not in q
    assert clean_question(q, 100) == q


@pytest.mark.parametrize(
    ("question", "message"),
    [(None, "must be text, not NoneType"), (" \x00\n ", "is empty"), ("x" * 11, "11 characters; the limit is 10")],
)
def test_bad_questions_are_refused_with_the_reason(question: object, message: str) -> None:
    with pytest.raises(InvalidQuestionError, match=message):
        clean_question(question, 10)


def test_the_scope_is_the_named_ids_and_unknown_ones_are_refused() -> None:
    docs = {"a": {}, "b": {}}
    assert document_scope(docs, None) is None
    assert document_scope(docs, ["a"]) == {"a"} and document_scope(docs, []) == frozenset()
    with pytest.raises(InvalidQuestionError, match="not one string"):
        document_scope(docs, "a")
    with pytest.raises(InvalidQuestionError, match="the id\\(s\\) c; see Assistant.docs"):
        document_scope(docs, ["a", "c"])
