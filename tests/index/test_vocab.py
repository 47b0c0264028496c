"""The corpus vocabulary's counting and spelling tolerance (pure logic: vectors are not needed here)."""

from __future__ import annotations

import numpy as np

from index.vocab import TermCounts, Vocab


def _vocab(sentences: list[str]) -> Vocab:
    counts = TermCounts()
    counts.add(sentences)
    words = tuple(sorted(counts.freq))
    return Vocab(words=words, vecs=np.zeros((len(words), 4), np.float32), df=dict(counts.df), n=counts.n)


def test_parts_of_compounds_are_corpus_words() -> None:
    vocab = _vocab(["Rollo signed the treaty of Saint-Clair-sur-Epte.", "Al-Qaeda and the EU–China summit."])
    for term in ("Clair", "Epte", "Saint-Clair-sur-Epte", "Qaeda", "China", "treaty"):
        assert vocab.has(term), term
    assert not vocab.has("Paris")


def test_a_name_typed_without_its_accent_is_a_corpus_word() -> None:
    vocab = _vocab(["Möngke Khan became Great Khan in 1251."])
    assert vocab.has("Mongke") and vocab.has("Möngke")
