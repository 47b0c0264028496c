"""Hand-engineered features for the grounding judge in :mod:`rag.grounding.verify`.

What it compares (tokens, numbers, dates, names, negations) comes from :mod:`rag.grounding.judge_text`.
Everything here is pure text processing except :func:`pair_features`, which takes an ``embed`` callable
(texts -> unit vectors) so that all the embeddings a batch needs are computed in one call. Nothing in
this module imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.lang import light_stem
from rag.grounding.judge_text import (
    ANTONYMS,
    LIGHT,
    NEGATIONS,
    content_words,
    date_misses,
    entity_runs,
    is_negation,
    normalise,
    number_kind,
    numbers,
    stems_match,
    tokens,
)

__all__ = [
    "FEATURE_NAMES",
    "Analysis",
    "analyse",
    "entity_runs",
    "normalise",
    "pair_features",
    "tokens",
]

EmbedFn = Callable[[Sequence[str]], np.ndarray]

WP_ALL_COVERED = 0.6  # word-to-premise cosine used when no hypothesis word is missing


@dataclass(frozen=True)
class Analysis:
    """Lexical comparison of one (premise, hypothesis) pair."""

    features: dict[str, float]
    uncovered: tuple[str, ...]


def _name_present(run: list[str], covered: Callable[[str], bool], p_runs: list[list[str]]) -> bool:
    """All words of ``run`` are in the premise, or a premise name is a sub-part of it."""
    hits = [covered(w) for w in run]
    if all(hits):
        return True
    run_stems = [light_stem(w) for w in run]
    shared = {s for s, hit in zip(run_stems, hits, strict=True) if hit}
    return any(shared & set(pr) and set(pr) <= set(run_stems) for pr in p_runs)


def _opens_with_name(p_words: list[str]) -> bool:
    """True when the premise's first word starts a name (not "It", "The film", "Several")."""
    p_runs = entity_runs(p_words[:6])
    if not p_runs or p_runs[0][0] != p_words[0]:
        return False
    first = p_words[0].lower()
    return not (first in LIGHT | NEGATIONS or first.endswith(("ing", "ed")))


def analyse(premise: str, hypothesis: str) -> Analysis:
    """Compute the lexical features of a pair, plus the words that need embeddings."""
    p_words, h_words = tokens(premise), tokens(hypothesis)
    p_stems = {light_stem(w) for w in p_words}
    p_parts = {part for w in p_words for part in w.lower().split("-")}

    def covered(w: str) -> bool:
        s = light_stem(w)
        return s in p_stems or any(stems_match(s, ps) for ps in p_stems)

    # Entities: a name is present if all its words are, or if the premise uses a shorter
    # form of it ("Dawkins" for "Richard Dawkins"); "Lund University" for "Uppsala
    # University" is a conflict. The claim's subject may be a pronoun or a description in
    # the premise ("She ...", "The film ..."), so it is excused unless the premise opens
    # with a name of its own.
    runs = entity_runs(h_words)
    ent_words = {w for r in runs for w in r}
    p_runs = [[light_stem(w) for w in r] for r in entity_runs(p_words)]
    run_hit = [_name_present(r, covered, p_runs) for r in runs]
    if (
        runs
        and not any(covered(w) for w in runs[0])
        and h_words.index(runs[0][0]) <= 1
        and not _opens_with_name(p_words)
    ):
        run_hit[0] = True
    ent_miss = sum(not hit for hit in run_hit)

    h_nums, p_nums = numbers(h_words, claim=True), numbers(p_words)
    missing = h_nums - p_nums
    # A swap: the premise states another number of the same kind (year, ordinal, other).
    num_swap = sum(any(number_kind(v) == number_kind(q) for q in p_nums) for v in missing)
    date_miss = date_misses(h_words, p_words)

    h_content = [
        w
        for w in content_words(h_words)
        if w not in ent_words and not numbers([w]) and w.lower() not in NEGATIONS | LIGHT
    ]
    uncovered = [w for w in h_content if not covered(w)]
    cov = 1.0 - len(uncovered) / max(len(h_content), 1)
    unc_all = uncovered + [w for r, hit in zip(runs, run_hit, strict=True) if not hit for w in r]

    h_neg = sum(is_negation(h_words, i) for i in range(len(h_words)))
    p_neg = sum(is_negation(p_words, i) for i in range(len(p_words)))
    neg_mismatch = float((h_neg % 2) != (p_neg % 2))

    # Antonyms: the hypothesis word is absent but its opposite is in the premise.
    anto = 0
    for lw in {part for w in h_words for part in w.lower().split("-")}:
        if lw in p_parts:
            continue
        opposites = ANTONYMS.get(lw, set())
        if lw.startswith("un") and len(lw) > 5:
            opposites = opposites | {lw[2:]}
        if opposites & p_parts or ("un" + lw) in p_parts:
            anto += 1

    feats = {
        "cov": cov,
        "num_miss": float(min(len(missing), 2)),
        "n_uncov": float(min(len(uncovered), 4)),
        "num_swap": float(min(num_swap, 1)),
        "num_any": float(bool(h_nums)),
        "date_miss": float(min(date_miss, 1)),
        "ent_miss": float(min(ent_miss, 2)),
        "neg_mismatch": neg_mismatch,
        "neg_h": float(h_neg > 0),
        "anto": float(min(anto, 2)),
        "neg_x_cov": neg_mismatch * cov,
    }
    return Analysis(feats, tuple(dict.fromkeys(w.lower() for w in unc_all)))


FEATURE_NAMES: tuple[str, ...] = (
    "cov",
    "num_miss",
    "n_uncov",
    "num_swap",
    "num_any",
    "date_miss",
    "ent_miss",
    "neg_mismatch",
    "neg_h",
    "anto",
    "neg_x_cov",
    "cos",
    "wp_min",
    "wp_mean",
)
"""Column order of :func:`pair_features` (and of the weights in ``verify_weights.json``)."""


def pair_features(pairs: Sequence[tuple[str, str]], embed: EmbedFn) -> np.ndarray:
    """Feature matrix ``(len(pairs), len(FEATURE_NAMES))``; one ``embed`` call for the batch.

    The texts embedded are each distinct premise and hypothesis and each distinct
    hypothesis word the premise does not contain.
    """
    analyses = [analyse(p, h) for p, h in pairs]
    norm = [(normalise(p), normalise(h)) for p, h in pairs]
    texts: dict[str, int] = {}
    for (p, h), a in zip(norm, analyses, strict=True):
        for t in (p, h, *a.uncovered):
            texts.setdefault(t, len(texts))
    vecs = embed(list(texts)) if texts else np.zeros((0, 1), dtype=np.float32)
    rows = []
    for (p, h), a in zip(norm, analyses, strict=True):
        f = dict(a.features)
        pv = vecs[texts[p]]
        f["cos"] = float(pv @ vecs[texts[h]])
        if a.uncovered:
            sims = vecs[[texts[t] for t in a.uncovered]] @ pv
            f["wp_min"], f["wp_mean"] = float(sims.min()), float(sims.mean())
        else:
            f["wp_min"] = f["wp_mean"] = WP_ALL_COVERED
        rows.append([f[n] for n in FEATURE_NAMES])
    return np.asarray(rows, dtype=np.float64).reshape(len(pairs), len(FEATURE_NAMES))
