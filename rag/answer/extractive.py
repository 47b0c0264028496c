"""Extractive answering: pick the source sentences that answer, or decide that none do.

Retrieval scores alone cannot tell a real question from a near miss (same topic, missing fact),
so a sentence must also *cover* the question: its key terms (exactly, or through a close corpus
word for paraphrases), its named entities, and the kind of fact asked for (a date for "when").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.lang import stem
from index.text import as_typed, compound_parts, slip_of, words
from index.types import Sentence
from index.vocab import Vocab
from rag.answer.answertype import counted_noun, expected_type, has_count, has_type, proper_names
from rag.answer.draft import Candidate, Draft
from rag.answer.headings import asks_heading, pick_heading
from rag.answer.overlap import Embed, coverage, names_near, soft_overlap, stems_of
from rag.answer.question import (
    COMPARE,
    EXPLAIN,
    MULTI_PART,
    NOW,
    REASON,
    QuestionTerms,
    focus_terms,
    question_terms,
)

__all__ = [
    "Thresholds",
    "QuestionTerms",
    "TokenScores",
    "question_terms",
    "focus_terms",
    "rank",
    "select",
]

# Token-level match (0-1) of each group of texts, matched as one (a sentence, or the one before and it).
TokenScores = Callable[[Sequence[tuple[str, ...]]], Sequence[float]]


@dataclass(frozen=True)
class Thresholds:
    """Decision constants, calibrated on evals/questions.jsonl (see evals/README.md)."""

    min_cosine: float = 0.25  # best sentence below this: the documents are about something else
    synonym: float = 0.62  # a question word this close to an evidence word counts as covered
    known: float = 0.62  # an unseen focus word this close to some corpus word is a paraphrase, not a new topic
    known_entity: float = 0.8  # same for names: "German" is not "Dutch"
    min_coverage: float = 0.0  # idf-weighted share of question terms the chosen sentences must cover
    lexical_weight: float = 0.35  # weight of term overlap against embedding cosine when ranking
    soft_floor: float = 0.4  # word-vector cosine below which two words are unrelated (ranking only)
    unknown_weight: float = 0.0  # idf share of a question word the corpus never uses (matched softly)
    temporal_bonus: float = 0.2  # "today"/"now" questions: sentences stating the current state
    entity_bonus: float = 0.15  # a sentence naming every entity of the question
    second_margin: float = 0.10  # a second sentence must score within this of the best
    multi_part_margin: float = 0.30  # "what is X, and what would Y be?": the second part may rank lower
    token_weight: float = 0.3  # weight of token-level matching (rag.answer.tokenmatch) against the score above
    token_top: int = 10  # how many of the best candidates token matching re-ranks
    type_margin: float = 0.3  # a sentence holding the asked type (a year) must score within this of the best


THRESHOLDS = Thresholds()
# A short sentence that announces what follows ("Equally notable is what the article leaves out.", "The
# piece gets several things right.", "Two reasons:") rather than stating a claim of its own.
_LEAD_IN = re.compile(r":\s*$|\b(?:what|several|things|following|these|this|here|two|three|some|few|both)\b", re.I)
_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")


def _following(sent: Sentence, candidates: Sequence[tuple[Sentence, np.ndarray, int]]) -> Candidate | None:
    """The retrieved sentence right after ``sent`` in its document, as a zero-score candidate."""
    after = [c for c, _, _ in candidates if c.doc_id == sent.doc_id and 0 <= c.start - sent.end <= 3 and not c.heading]
    return Candidate(after[0], 0.0, 0.0, 0.0, 0) if after else None


def _previous(
    sent: Sentence,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]],
    by_pos: dict[tuple[str, int], np.ndarray],
) -> tuple[np.ndarray, str] | None:
    """Vector and text of the sentence just before ``sent`` in its document, if it was retrieved too."""
    best = None
    for other, _, _ in candidates:
        if other.doc_id == sent.doc_id and other.end <= sent.start and (best is None or other.end > best.end):
            best = other
    if best is None or sent.start - best.end > 3 or best.heading:
        return None
    return by_pos[(best.doc_id, best.end)], best.text


def _unknown_terms(
    question: str,
    qterms: QuestionTerms,
    term_vecs: np.ndarray,
    vocab: Vocab,
    t: Thresholds,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]] = (),
    embed: Embed | None = None,
) -> list[str]:
    """Focus words and names the corpus never uses, nor anything close to them."""
    # Only the head of the asked phrase: a modifier the corpus lacks ("a *twelve-month* permit", "which
    # *semiconductor* firm") narrows a thing it may well hold; "chief *executive*" still abstains.
    asked = focus_terms(question)
    focus = {stem(asked[-1])} if asked else set()
    out = []
    for term, vec in zip(qterms.terms, term_vecs):
        is_entity = term in qterms.entities
        if vocab.has(term) or not (is_entity or stem(term) in focus):
            continue
        if any(vocab.has(p) for p in compound_parts(term)[1:]):
            continue  # "EU–China", "longer-lasting": a compound of corpus words
        near = float((vocab.vecs @ vec).max()) if len(vocab.words) else 0.0
        if near >= (t.known_entity if is_entity else t.known) or slip_of(term, (s.text for s, _, _ in candidates)):
            continue  # a paraphrase, or a typing slip of a word in the retrieved passages
        if not (is_entity and names_near(vec, (s.text for s, _, _ in candidates), embed, t.known_entity)):
            out.append(term)
    return out


def rank(
    question: str,
    qterms: QuestionTerms,
    qvec: np.ndarray,
    term_vecs: np.ndarray,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]],
    vocab: Vocab,
    t: Thresholds = THRESHOLDS,
    tokens: TokenScores | None = None,
) -> list[Candidate]:
    """Score every candidate sentence against the question, best first.

    ``tokens`` (token-level matching, ``rag.answer.tokenmatch``) re-ranks the ``t.token_top`` best.
    """
    scored = []
    now_q = bool(NOW.search(question))
    by_pos = {(s.doc_id, s.end): v for s, v, _ in candidates}
    lean: dict[Sentence, str] = {}  # short sentences that lean on the one before -> its text
    for sent, vec, prank in candidates:
        cos = float(vec @ qvec)
        lex = soft_overlap(qterms.terms, term_vecs, sent.text, vocab, t.soft_floor, t.unknown_weight)
        prev = _previous(sent, candidates, by_pos)
        if prev is not None and len(sent.text.split()) < 20:
            # Short sentences lean on the one before ("The EU sees *this* as stability").
            pvec, ptext = prev
            lean[sent] = ptext
            mix = pvec * 0.5 + vec
            cos = max(cos, float(mix @ qvec) / float(np.linalg.norm(mix)) - 0.02)
            lex = max(
                lex,
                0.8
                * soft_overlap(qterms.terms, term_vecs, ptext + " " + sent.text, vocab, t.soft_floor, t.unknown_weight),
            )
        # Headings state a topic, and a clause cut short by removed chrome ("The South China Morning
        # Post reports") says nothing alone: both rank below a sentence that states a fact.
        stub = sent.heading or (len(sent.text.split()) < 8 and not _TERMINAL.search(sent.text))
        score = cos + t.lexical_weight * lex - (0.15 if stub else 0.0)
        if now_q and NOW.search(sent.text):
            score += t.temporal_bonus  # "today"/"now" asks for the current state, not a proposal or history
        if len(qterms.entities) > 1:
            stems = stems_of(sent.text)
            if all(stem(e) in stems for e in qterms.entities):
                score += t.entity_bonus  # names in the question are constraints the answer should meet
        if qterms.sources and sent.doc_id in qterms.sources:
            score += 0.05  # a named source is likelier to hold the answer, but need not
        scored.append(Candidate(sent, cos, lex, score, prank))
    scored.sort(key=lambda c: c.score, reverse=True)
    return _token_rerank(scored, lean, tokens, t) if tokens is not None and scored else scored


def _token_rerank(
    scored: list[Candidate], lean: dict[Sentence, str], tokens: TokenScores, t: Thresholds
) -> list[Candidate]:
    """Blend token-level matching into the ``t.token_top`` best scores and re-sort."""
    top = scored[: t.token_top]
    leaning = [c.sentence for c in top if c.sentence in lean]
    got = list(tokens([(c.sentence.text,) for c in top] + [(lean[s], s.text) for s in leaning]))
    with_prev = dict(zip(leaning, got[len(top) :]))
    # A short sentence may match through the one before it, discounted as for cosine and overlap.
    matched = [max(m, 0.8 * with_prev.get(c.sentence, 0.0)) for c, m in zip(top, got)]
    matched += [0.0] * (len(scored) - len(top))
    w = t.token_weight
    # Divided by 1 + w so that score margins keep their scale; the rest rank below with no match.
    out = [
        Candidate(c.sentence, c.cosine, c.lexical, (c.score + w * m) / (1 + w), c.passage_rank)
        for c, m in zip(scored, matched)
    ]
    out.sort(key=lambda c: c.score, reverse=True)
    return out


def select(
    question: str,
    qterms: QuestionTerms,
    qvec: np.ndarray,
    term_vecs: np.ndarray,
    candidates: Sequence[tuple[Sentence, np.ndarray, int]],
    vocab: Vocab,
    max_sentences: int = 2,
    t: Thresholds = THRESHOLDS,
    embed: Embed | None = None,
    tokens: TokenScores | None = None,
) -> Draft:
    """Rank ``candidates`` (sentence, vector, passage rank) and keep those that answer ``question``.

    ``embed`` (the index's embedder) lets a name the corpus spells differently still count as known;
    ``tokens`` re-ranks the best candidates by token-level matching.
    """
    if not candidates:
        return Draft(reason="nothing relevant was retrieved")
    scored = rank(question, qterms, qvec, term_vecs, candidates, vocab, t, tokens)
    if len(qterms.attributed) == 1 and not COMPARE.search(question):
        # "According to X", "does X agree with Y that...": only the speaker X's sentences can answer
        # (two speakers, or "compare", ask for each side).
        scored = [c for c in scored if c.sentence.doc_id in qterms.attributed] or scored
    best = scored[0]
    if max(c.cosine for c in scored) < t.min_cosine:  # the best by score need not be the closest
        return Draft(reason="the documents are not about this", coverage=0.0)
    unknown = _unknown_terms(question, qterms, term_vecs, vocab, t, candidates, embed)
    if unknown:
        return Draft(reason=f"the documents never mention {', '.join(as_typed(question, unknown))}")

    if asks_heading(question):
        heading = pick_heading(question, scored, qterms.sources)
        if heading is not None:
            return Draft((heading,), coverage=1.0, ranked=tuple(scored[:10]))
    kind = expected_type(question)
    asked = {w.lower() for w in words(question)}
    counted = counted_noun(question)
    names = proper_names(s.text for s, _, _ in candidates) if kind == "name" else frozenset()
    typed = [
        c
        for c in scored[:6]
        if has_type(c.sentence.text, kind, asked, names)
        and not c.sentence.heading
        and (counted is None or has_count(c.sentence.text, counted))
        and c.score >= scored[0].score - t.type_margin  # a year elsewhere in the passages is not the answer
    ]
    if not typed:
        return Draft(reason=f"no {kind} in the relevant passages")
    best = typed[0]
    if best.cosine < t.min_cosine:
        return Draft(reason="no passage is close enough to the question")
    chosen = [best]
    cov, missing = coverage(qterms.terms, term_vecs, best.sentence.text, vocab, t.synonym)
    # Two sources named as speakers (or "compare", "both articles"): each side needs its sentence. One
    # speaker talking about the other ("in REEx's view, what might the SCMP's optimism serve?") does not.
    if COMPARE.search(question) or (len(qterms.sources) > 1 and len(qterms.attributed) != 1):
        # A comparison needs each side: add the best sentence from another source.
        other = [c for c in scored[:10] if c.sentence.doc_id != best.sentence.doc_id and not c.sentence.heading]
        if other and other[0].cosine >= t.min_cosine and len(chosen) < max_sentences:
            chosen.append(other[0])
            missing = coverage(qterms.terms, term_vecs, " ".join(c.sentence.text for c in chosen), vocab, t.synonym)[1]
    explain = bool(EXPLAIN.match(question))
    follow = _following(best.sentence, candidates)
    short = len(best.sentence.text.split()) < 10 and bool(_LEAD_IN.search(best.sentence.text))
    if (
        follow is not None
        and len(chosen) < max_sentences
        and (short or (explain and REASON.search(follow.sentence.text)))
    ):
        # A short lead-in ("Equally notable is what the article leaves out.") or an explanation
        # continues in the next sentence.
        chosen.append(follow)
        missing = coverage(qterms.terms, term_vecs, best.sentence.text + " " + follow.sentence.text, vocab, t.synonym)[
            1
        ]
    margin = t.multi_part_margin if MULTI_PART.search(question) else t.second_margin
    for cand in scored[1:6]:
        if len(chosen) >= max_sentences or not (missing or explain):
            break
        if cand.score < best.score - margin or cand in chosen or cand.sentence.heading:
            continue
        new_cov, new_missing = coverage(
            qterms.terms, term_vecs, " ".join(c.sentence.text for c in chosen + [cand]), vocab, t.synonym
        )
        if len(new_missing) < len(missing) or (explain and not cand.sentence.heading and kind is None):
            chosen.append(cand)
            cov, missing = new_cov, new_missing
    if cov < t.min_coverage and len(qterms.terms) > 1:
        return Draft(reason="the sources do not say", coverage=cov, missing=tuple(missing))
    return Draft(tuple(chosen), coverage=cov, missing=tuple(missing), ranked=tuple(scored[:10]))
