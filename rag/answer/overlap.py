"""How much of a question a sentence holds: exact word stems, close corpus words, multi-word names.

The corpus vocabulary (``index.vocab``) gives one MiniLM vector per word, so a question word that a
sentence lacks can still be matched by a close word it has ("assure" ~ "guarantee").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from index.lang import stem
from index.text import compound_parts, words
from index.vocab import Vocab

__all__ = ["Embed", "stems_of", "soft_overlap", "coverage", "names_near"]

Embed = Callable[[list[str]], np.ndarray]

_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)+")


def stems_of(text: str) -> set[str]:
    """Stems of the words of ``text``, and of the parts of its hyphenated words."""
    return {stem(p) for w in words(text) for p in compound_parts(w)}


def _rows(text: str, vocab: Vocab) -> list[int]:
    index = vocab.rows
    return sorted({index[w.lower()] for w in words(text) if w.lower() in index})


def soft_overlap(
    terms: Sequence[str],
    term_vecs: np.ndarray,
    text: str,
    vocab: Vocab,
    floor: float,
    unknown_weight: float = 0.0,
) -> float:
    """idf-weighted term overlap where a close corpus word counts in part.

    An exact stem counts 1; otherwise the closest word of ``text`` counts by how far its cosine
    rises above ``floor`` (unrelated words sit below it). Question words the corpus never uses weigh
    ``unknown_weight`` (0 by default): every sentence lacks them alike.
    """
    weights = [0.0 if "-" in term else vocab.idf(term) * (1.0 if vocab.has(term) else unknown_weight) for term in terms]
    total = sum(weights)
    if total <= 0:
        return 0.0
    stems = stems_of(text)
    exact = [stem(term) in stems for term in terms]
    got = sum(w for w, hit in zip(weights, exact) if hit)
    soft = [i for i, (w, hit) in enumerate(zip(weights, exact)) if w > 0 and not hit]
    rows = _rows(text, vocab) if soft else []
    if rows:
        best = (vocab.vecs[rows] @ term_vecs[soft].T).max(axis=0)
        got += sum(weights[i] * max(0.0, float(b) - floor) / (1.0 - floor) for i, b in zip(soft, best))
    return got / total


def coverage(
    terms: Sequence[str], term_vecs: np.ndarray, scope: str, vocab: Vocab, synonym: float
) -> tuple[float, list[str]]:
    """idf-weighted share of ``terms`` in ``scope``, exactly or as a word ``synonym``-close; plus the misses."""
    stems = stems_of(scope)
    rows = _rows(scope, vocab)
    scope_vecs = vocab.vecs[rows] if rows else np.zeros((0, vocab.vecs.shape[1] or 1))
    got = total = 0.0
    missing = []
    for term, vec in zip(terms, term_vecs):
        w = vocab.idf(term)
        total += w
        if stem(term) in stems:
            got += w
            continue
        best = float((scope_vecs @ vec).max()) if len(scope_vecs) else 0.0
        if best >= synonym:
            got += w * best
        else:
            missing.append(term)
    return (got / total if total else 1.0), missing


def names_near(vec: np.ndarray, texts: Iterable[str], embed: Embed | None, threshold: float) -> bool:
    """Whether some multi-word name in ``texts`` means the same as ``vec`` ("America" ~ "United States").

    The vocabulary holds single words, so a name the corpus only spells as a phrase would look unseen;
    the few names of the retrieved sentences are embedded, and only on this rare path.
    """
    if embed is None:
        return False
    names = sorted({m.group(0) for text in texts for m in _NAME.finditer(text)})
    if not names:
        return False
    return bool((embed([n.lower() for n in names]) @ vec).max() >= threshold)
