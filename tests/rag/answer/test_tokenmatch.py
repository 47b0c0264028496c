"""Token-level matching: the scoring logic with scripted vectors, and the real model on a paraphrase."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.embed import TokenVectors, default_embedder
from index.text import word_spans
from rag.answer.tokenmatch import TokenMatcher

# One axis per word; any word not listed points along the last axis.
AXES = {"licence": 0, "permit": 0, "volume": 1, "quantity": 1, "china": 2}


class ScriptedTokens:
    """Each word is one piece whose vector is its axis: synonyms share one."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        self.calls.append(list(texts))
        out = []
        for text in texts:
            spans = tuple((a, b) for a, b, _ in word_spans(text))
            vecs = np.zeros((len(spans), 4), dtype=np.float32)
            for i, (a, b) in enumerate(spans):
                vecs[i, AXES.get(text[a:b].lower(), 3)] = 1.0
            out.append(TokenVectors(vecs, spans))
        return out


def idf(word: str) -> float:
    return 2.0 if word.lower() == "volume" or word.lower() == "quantity" else 1.0


def test_scores_each_group_by_its_best_matching_pieces() -> None:
    m = TokenMatcher(ScriptedTokens())
    q = "Would a permit assure a given quantity?"
    got = m.recall(q, ["permit", "quantity"], [("licence and volume",), ("licence only",), ("nothing here",)], idf)
    # permit (idf 1) and quantity (idf 2) both matched; then permit only (1/3); then neither.
    assert np.allclose(got, [1.0, 1 / 3, 0.0])


def test_a_group_pools_the_pieces_of_its_texts() -> None:
    m = TokenMatcher(ScriptedTokens())
    got = m.recall("permit quantity", ["permit", "quantity"], [("licence",), ("volume",), ("licence", "volume")], idf)
    assert np.allclose(got, [1 / 3, 2 / 3, 1.0])


def test_no_terms_or_no_groups() -> None:
    m = TokenMatcher(ScriptedTokens())
    assert m.recall("what?", [], [("licence",)], idf) == [0.0]
    assert m.recall("permit", ["permit"], [], idf) == []


def test_sentences_are_encoded_once_and_the_cache_is_bounded() -> None:
    fake = ScriptedTokens()
    m = TokenMatcher(fake, cache_size=2)
    m.recall("permit", ["permit"], [("a licence",), ("b licence",)], idf)
    m.recall("permit", ["permit"], [("a licence",), ("b licence",)], idf)
    encoded = [t for call in fake.calls for t in call if t != "permit"]
    assert encoded == ["a licence", "b licence"]  # the second question found both cached
    m.recall("permit", ["permit"], [("c licence",)], idf)
    assert len(m._cache) == 2 and "a licence" not in m._cache  # least recently used goes first


def test_real_model_prefers_the_clause_that_answers() -> None:
    m = TokenMatcher(default_embedder())  # type: ignore[arg-type]
    q = "Would a yearly permit assure Europe of getting a given quantity of material?"
    answer = (
        "There has been no public confirmation from Beijing, and even if annual licenses were granted, "
        "they do not guarantee volume."
    )
    topical = "Currently, only three-month licences are available."
    got = m.recall(
        q, ["yearly", "permit", "assure", "Europe", "quantity", "material"], [(answer,), (topical,)], lambda w: 1.0
    )
    assert got[0] > got[1]
