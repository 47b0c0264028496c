"""Unit tests of the term-overlap helpers the extractive ranking uses (hand-made vectors, no model)."""

from __future__ import annotations

import numpy as np

from index.types import Sentence
from index.vocab import Vocab
from rag.answer.extractive import THRESHOLDS
from rag.answer.overlap import names_near, soft_overlap


def _overlap(terms, vecs, text, vocab, t) -> float:
    return soft_overlap(terms, vecs, text, vocab, t.soft_floor, t.unknown_weight)


def _unit(*xs: float) -> np.ndarray:
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


# Three directions: "annual" is close to "yearly", "volume" is unrelated to both.
ANNUAL, VOLUME, OTHER = _unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)
YEARLY = _unit(0.9, 0.0, 0.436)  # cosine 0.9 to "annual"
VOCAB = Vocab(
    words=("annual", "volume", "licences", "yearly"),
    vecs=np.stack([ANNUAL, VOLUME, OTHER, YEARLY]),
    df={"annual": 2, "volum": 3, "licens": 5, "year": 1},
    n=20,
)


def test_exact_word_counts_fully() -> None:
    score = _overlap(["volume"], np.stack([VOLUME]), "They do not guarantee volume.", VOCAB, THRESHOLDS)
    assert score == 1.0


def test_close_word_counts_in_part_and_unrelated_not_at_all() -> None:
    # "yearly" is a corpus word, absent from these sentences: "annual" stands in for it, "volume" can't.
    near = _overlap(["yearly"], np.stack([YEARLY]), "Annual licences were granted.", VOCAB, THRESHOLDS)
    far = _overlap(["yearly"], np.stack([YEARLY]), "The volume is unknown.", VOCAB, THRESHOLDS)
    assert 0.0 < near < 1.0
    assert far == 0.0


def test_unseen_words_do_not_dilute_by_default() -> None:
    # "permit" is not a corpus word; with unknown_weight 0 it neither helps nor hurts a sentence.
    terms, vecs = ["volume", "permit"], np.stack([VOLUME, OTHER])
    assert _overlap(terms, vecs, "volume", VOCAB, THRESHOLDS) == 1.0


def test_names_spelled_as_phrases_are_found() -> None:
    sent = Sentence("d", 0, 40, "Europe, like the United States, depends on it.", False)
    texts = [sent.text]
    seen: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        return np.stack([YEARLY if t == "united states" else OTHER for t in texts])

    assert names_near(YEARLY, texts, embed, THRESHOLDS.known_entity)
    assert seen == [["united states"]]  # only multi-word names are embedded
    assert not names_near(VOLUME, texts, embed, THRESHOLDS.known_entity)
    assert not names_near(YEARLY, texts, None, THRESHOLDS.known_entity)


def test_token_matching_reranks_the_best_and_keeps_the_score_scale() -> None:
    from rag.answer.extractive import QuestionTerms, rank

    a = Sentence("d", 0, 30, "annual licences " * 2)
    b = Sentence("d", 100, 130, "volume is what it lacks")
    c = Sentence("d", 200, 230, "something else entirely")
    qvec = _unit(1, 1, 0)
    cands = [(a, ANNUAL, 1), (b, VOLUME, 1), (c, OTHER, 2)]
    qt = QuestionTerms(("volume",), (), frozenset())
    t = THRESHOLDS
    plain = {x.sentence: x.score for x in rank("what volume?", qt, qvec, np.stack([VOLUME]), cands, VOCAB, t)}
    seen: list[tuple[str, ...]] = []

    def tokens(groups):
        seen.extend(groups)
        return [1.0 if "volume" in " ".join(g) else 0.0 for g in groups]

    got = rank("what volume?", qt, qvec, np.stack([VOLUME]), cands, VOCAB, t.__class__(token_top=2), tokens)
    assert got[0].sentence == b
    w = t.token_weight
    by = {x.sentence: x.score for x in got}
    assert by[b] == (plain[b] + w) / (1 + w)  # matched: blended, then divided back to the old scale
    assert by[c] == plain[c] / (1 + w)  # beyond token_top: not encoded, counted as no match
    assert len(seen) == 2
