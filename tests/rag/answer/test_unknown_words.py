"""The "documents never mention X" check: a name typed without its accent, the part of a compound and a
typing slip are words the documents use; a name they lack still abstains (real model, real store)."""

from __future__ import annotations

import pytest

from rag import Assistant

pytestmark = pytest.mark.slow

TEXT = """The Mongol succession

Möngke Khan became Great Khan in 1251 after a long dispute among the descendants of Genghis Khan.
The treaty of Saint-Clair-sur-Epte was signed in 911 between King Charles the Simple and the Viking leader Rollo.
In 1973 the Kilbrandon commission recommended an elected assembly for Scotland.
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("unknown-words")
    (root / "docs").mkdir()
    (root / "docs" / "history.txt").write_text(TEXT, encoding="utf-8")
    return Assistant(home=root / "home", docs=[root / "docs"], root=root, progress=False)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did Mongke Khan become Great Khan?", "1251"),  # no accent
        ("Who did Rollo sign the treaty of Saint-Clair-sur-Epte with?", "Charles"),  # "Clair" is a part
        ("What did the Kllbrandon commission recommend?", "assembly"),  # one slip
    ],
)
def test_words_the_documents_use_are_answered(history: Assistant, question: str, expected: str) -> None:
    answer = history.ask(question)
    assert not answer.abstained, answer.text
    assert expected in answer.text
    for c in answer.citations:
        assert c.quote in TEXT


def test_a_name_the_documents_lack_still_abstains(history: Assistant) -> None:
    answer = history.ask("When did Ogedei Khan become Great Khan?")
    assert answer.abstained and not answer.citations
    assert "Ogedei" in answer.text


def test_an_absent_two_word_name_is_named_as_typed(history: Assistant) -> None:
    answer = history.ask("What did the Hong Kong commission recommend for Scotland?")
    assert answer.abstained and not answer.citations
    assert "never mention Hong Kong." in answer.text  # not "Hong, Kong"
