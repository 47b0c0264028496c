"""Extractive answering: pick the source sentences that answer, or decide that none do.

Retrieval scores alone cannot tell a real question from a near miss (same topic, missing fact),
so a sentence must also *cover* the question: its key terms (exactly, or through a close corpus
word for paraphrases), its named entities, and the kind of fact asked for (a date for "when").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.text import STOPWORDS, content_terms, is_entity_token, stem, words
from index.types import Sentence
from index.vocab import Vocab
from rag.answertype import expected_type, has_type

__all__ = ["Candidate", "Draft", "Thresholds", "QuestionTerms", "question_terms", "select"]

# Words that steer *where* to look (which source, which article) rather than *what* is asked.
META_TERMS = frozenset(
    stem(w)
    for w in """article articles source sources document documents text piece report reports reported reporting
    commentary coverage author writer write writes wrote claim claims claimed state states stated note notes
    noted argue argues argued view views characterise characterize characterises characterizes characterised
    question answer""".split()
)


# General question-frame words: they shape the question, they are not the fact it asks for.
FRAME_TERMS = frozenset(
    stem(w)
    for w in """kind type sort form effect effects impact role reason reasons purpose way ways example examples
    part extent degree percentage proportion share fraction amount number date time year month period duration
    length stage level aspect factor factors difference differences differ compare comparison similar view
    opinion stance position main key primary major overall specific exact particular condition conditions
    consequence consequences result outcome cause causes change changes""".split()
)
_WH = frozenset("what which who whom whose when where why how".split())
_AUX = frozenset(
    """is are was were be been did does do has have had can could will would should may might must
    the a an this that these those its their it there of""".split()
)
_EXPLAIN = re.compile(r"^\s*(?:why|how (?:do|does|did|would|could|can|has|have|is|are)\b)", re.I)
_REASON = re.compile(
    r"\b(?:because|since|as (?:it|they|he|she|we)|in (?:hopes?|order|an effort) (?:of|to)|so that|due to|"
    r"owing to|citing|in response to|aim(?:s|ed|ing)? to|seek(?:s|ing)? to|amid|under pressure)\b",
    re.I,
)
_NOW = re.compile(r"\b(?:today|now|nowadays|currently|current|presently|at present|at the moment)\b", re.I)
_COMPARE = re.compile(
    r"\b(?:differ\w*|compar\w*|contrast\w*|both (?:articles|sources|reports|pieces)|"
    r"(?:two|the) (?:articles|sources|reports|outlets))\b",
    re.I,
)
_MULTI_PART = re.compile(r"(?:\band\b|,|;)\s*(?:what|how|why|when|where|who|which|does|did|do|is|are|was)\b", re.I)
# A named source is the *speaker* ("according to REEx", "what does the Post report") rather than the
# topic ("when was the SCMP report published?"): only then must the answer come from that source.
_BEFORE_SPEAKER = re.compile(r"(?:according to|\bper|\bin|\bby|\bdoes|\bdid|\bdo)\s+(?:the\s+)?$")
_AFTER_SPEAKER = re.compile(
    r"(?:['’]s?\s+(?:view|account|reading|take|analysis|commentary|judg\w*)|\s+(?:say|says|said|report|reports|"
    r"reported|argue\w*|write\w*|wrote|claim\w*|think\w*|consider\w*|see|sees|characteri\w*|describe\w*|"
    r"note\w*|judge\w*|present\w*|frame\w*|call\w*|cite\w*|suggest\w*|warn\w*))\b"
)
_HOW = frozenset("many much long often far".split())


def focus_terms(question: str) -> list[str]:
    """The noun phrase a wh-question asks about ("how much does it *cost*", "who is the *chief executive*").

    Only questions that ask for a thing have one; "why", "how", "when" and yes/no questions ask about
    a predicate, which the answer-type and coverage checks handle instead.
    """
    toks = words(question)
    lows = [t.lower() for t in toks]
    at = next((i for i, w in enumerate(lows) if w in _WH), None)
    if at is None or lows[at] in ("why", "when", "where"):
        return []
    j = at + 1
    if lows[at] == "how":
        if j >= len(lows) or lows[j] not in ("many", "much"):
            return []
        j += 1
    if j < len(lows) and stem(lows[j]) in FRAME_TERMS:
        while j < len(lows) and (stem(lows[j]) in FRAME_TERMS or lows[j] == "of"):
            j += 1
        if j < len(lows) and lows[j] in _AUX and lows[j] != "of":
            return []  # "what reason did X give": the asked thing is the generic frame word
    while j < len(lows) and lows[j] in _AUX:
        j += 1
    out: list[str] = []
    while j < len(lows) and len(out) < 3 and lows[j] not in STOPWORDS and stem(lows[j]) not in META_TERMS:
        if stem(lows[j]) not in FRAME_TERMS:
            out.append(toks[j])
        j += 1
    return out


@dataclass(frozen=True)
class Thresholds:
    """Decision constants, calibrated on evals/questions.jsonl (see evals/README.md)."""

    min_cosine: float = 0.25  # best sentence below this: the documents are about something else
    synonym: float = 0.62  # a question word this close to an evidence word counts as covered
    known: float = 0.62  # an unseen focus word this close to some corpus word is a paraphrase, not a new topic
    known_entity: float = 0.8  # same for names: "German" is not "Dutch"
    min_coverage: float = 0.0  # idf-weighted share of question terms the chosen sentences must cover
    lexical_weight: float = 0.35  # weight of term overlap against embedding cosine when ranking
    temporal_bonus: float = 0.2  # "today"/"now" questions: sentences stating the current state
    entity_bonus: float = 0.15  # a sentence naming every entity of the question
    second_margin: float = 0.10  # a second sentence must score within this of the best
    multi_part_margin: float = 0.30  # "what is X, and what would Y be?": the second part may rank lower


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms, split into what it asks and which sources it names."""

    terms: tuple[str, ...]
    entities: tuple[str, ...]
    sources: frozenset[str]  # doc ids the question names
    attributed: frozenset[str] = frozenset()  # ... as the speaker ("according to X", "X says")


@dataclass(frozen=True)
class Candidate:
    """A retrieved sentence with its scores."""

    sentence: Sentence
    cosine: float
    lexical: float
    score: float
    passage_rank: int


@dataclass(frozen=True)
class Draft:
    """The chosen sentences (best first) or the reason for abstaining."""

    chosen: tuple[Candidate, ...] = ()
    reason: str = ""
    coverage: float = 0.0
    missing: tuple[str, ...] = field(default=())

    @property
    def abstained(self) -> bool:
        """True when nothing was chosen."""
        return not self.chosen


def question_terms(question: str, aliases: dict[str, set[str]]) -> QuestionTerms:
    """Split ``question`` into asked-about terms, named entities and the sources it names."""
    text = question
    sources: set[str] = set()
    speakers: set[str] = set()
    for doc_id, names in aliases.items():
        for name in sorted(names, key=len, reverse=True):
            low = text.lower()
            at = low.find(name.lower())
            if at >= 0 and (at == 0 or not low[at - 1].isalnum()):
                end = at + len(name)
                if end == len(low) or not low[end].isalnum():
                    sources.add(doc_id)
                    if _BEFORE_SPEAKER.search(low[max(0, at - 20) : at]) or _AFTER_SPEAKER.match(low[end:]):
                        speakers.add(doc_id)
                    text = text[:at] + " " + text[end:]
    terms = [t for t in content_terms(text) if stem(t) not in META_TERMS and stem(t) not in FRAME_TERMS]
    toks = words(text)
    first = toks[0] if toks else ""
    entities = [t for t in terms if is_entity_token(t, first=t == first) and not t.isdigit()]
    return QuestionTerms(
        tuple(dict.fromkeys(terms)), tuple(dict.fromkeys(entities)), frozenset(sources), frozenset(speakers)
    )


def _stems(text: str) -> set[str]:
    return {stem(w) for w in words(text)} | {stem(p) for w in words(text) for p in w.split("-")}


def _lexical(terms: Sequence[str], stems: set[str], vocab: Vocab) -> float:
    # Only words the corpus uses can match; unseen words would just dilute every sentence equally.
    terms = [t for t in terms if vocab.has(t) and "-" not in t]
    total = sum(vocab.idf(t) for t in terms)
    if total <= 0:
        return 0.0
    return sum(vocab.idf(t) for t in terms if stem(t) in stems) / total


def _coverage(terms: Sequence[str], term_vecs: np.ndarray, scope: str, vocab: Vocab) -> tuple[float, list[str], float]:
    """idf-weighted share of ``terms`` found in ``scope`` exactly or as a close word; plus misses."""
    stems = _stems(scope)
    index = {w: i for i, w in enumerate(vocab.words)}
    rows = [index[w.lower()] for w in words(scope) if w.lower() in index]
    scope_vecs = vocab.vecs[sorted(set(rows))] if rows else np.zeros((0, vocab.vecs.shape[1] or 1))
    got = total = 0.0
    missing = []
    for term, vec in zip(terms, term_vecs):
        w = vocab.idf(term)
        total += w
        if stem(term) in stems:
            got += w
            continue
        best = float((scope_vecs @ vec).max()) if len(scope_vecs) else 0.0
        if best >= THRESHOLDS.synonym:
            got += w * best
        else:
            missing.append(term)
    return (got / total if total else 1.0), missing, total


THRESHOLDS = Thresholds()


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
    question: str, qterms: QuestionTerms, term_vecs: np.ndarray, vocab: Vocab, t: Thresholds
) -> list[str]:
    """Focus words and names the corpus never uses, nor anything close to them."""
    focus = {stem(w) for w in focus_terms(question)}
    out = []
    for term, vec in zip(qterms.terms, term_vecs):
        is_entity = term in qterms.entities
        if vocab.has(term) or not (is_entity or stem(term) in focus):
            continue
        if any(vocab.has(p) for p in term.split("-") if len(term.split("-")) > 1):
            continue
        near = float((vocab.vecs @ vec).max()) if len(vocab.words) else 0.0
        if near < (t.known_entity if is_entity else t.known):
            out.append(term)
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
) -> Draft:
    """Rank ``candidates`` (sentence, vector, passage rank) and keep those that answer ``question``."""
    if not candidates:
        return Draft(reason="nothing relevant was retrieved")
    scored = []
    now_q = bool(_NOW.search(question))
    by_pos = {(s.doc_id, s.end): v for s, v, _ in candidates}
    for sent, vec, rank in candidates:
        cos = float(vec @ qvec)
        stems = _stems(sent.text)
        lex = _lexical(qterms.terms, stems, vocab)
        prev = _previous(sent, candidates, by_pos)
        if prev is not None and len(sent.text.split()) < 20:
            # Short sentences lean on the one before ("The EU sees *this* as stability").
            pvec, ptext = prev
            mix = pvec * 0.5 + vec
            cos = max(cos, float(mix @ qvec) / float(np.linalg.norm(mix)) - 0.02)
            lex = max(lex, 0.8 * _lexical(qterms.terms, stems | _stems(ptext), vocab))
        score = cos + t.lexical_weight * lex - (0.15 if sent.heading else 0.0)
        if now_q and _NOW.search(sent.text):
            score += t.temporal_bonus  # "today"/"now" asks for the current state, not a proposal or history
        if len(qterms.entities) > 1 and all(stem(e) in stems for e in qterms.entities):
            score += t.entity_bonus  # names in the question are constraints the answer should meet
        if qterms.sources and sent.doc_id in qterms.sources:
            score += 0.05  # a named source is likelier to hold the answer, but need not
        scored.append(Candidate(sent, cos, lex, score, rank))
    scored.sort(key=lambda c: c.score, reverse=True)
    if qterms.attributed and len(qterms.sources) == 1:
        # "According to X": only X's sentences can answer (a question naming two sources compares them).
        scored = [c for c in scored if c.sentence.doc_id in qterms.attributed] or scored
    best = scored[0]
    if best.cosine < t.min_cosine:
        return Draft(reason="the documents are not about this", coverage=0.0)
    unknown = _unknown_terms(question, qterms, term_vecs, vocab, t)
    if unknown:
        return Draft(reason=f"the documents never mention {', '.join(unknown)}")

    kind = expected_type(question)
    asked = {w.lower() for w in words(question)}
    typed = [c for c in scored[:6] if has_type(c.sentence.text, kind, asked) and not c.sentence.heading]
    if not typed:
        return Draft(reason=f"no {kind} in the relevant passages")
    best = typed[0]
    if best.cosine < t.min_cosine:
        return Draft(reason="no passage is close enough to the question")
    chosen = [best]
    cov, missing, _ = _coverage(qterms.terms, term_vecs, best.sentence.text, vocab)
    if _COMPARE.search(question) or len(qterms.sources) > 1:
        # A comparison needs each side: add the best sentence from another source.
        other = [c for c in scored[:10] if c.sentence.doc_id != best.sentence.doc_id and not c.sentence.heading]
        if other and other[0].cosine >= t.min_cosine and len(chosen) < max_sentences:
            chosen.append(other[0])
            missing = _coverage(qterms.terms, term_vecs, " ".join(c.sentence.text for c in chosen), vocab)[1]
    explain = bool(_EXPLAIN.match(question))
    follow = _following(best.sentence, candidates)
    short = len(best.sentence.text.split()) < 10 and best.sentence.text.rstrip().endswith((".", ":"))
    if (
        follow is not None
        and len(chosen) < max_sentences
        and (short or (explain and _REASON.search(follow.sentence.text)))
    ):
        # A short lead-in ("Equally notable is what the article leaves out.") or an explanation
        # continues in the next sentence.
        chosen.append(follow)
        missing = _coverage(qterms.terms, term_vecs, best.sentence.text + " " + follow.sentence.text, vocab)[1]
    margin = t.multi_part_margin if _MULTI_PART.search(question) else t.second_margin
    for cand in scored[1:6]:
        if len(chosen) >= max_sentences or not (missing or explain):
            break
        if cand.score < best.score - margin or cand in chosen or cand.sentence.heading:
            continue
        new_cov, new_missing, _ = _coverage(
            qterms.terms, term_vecs, " ".join(c.sentence.text for c in chosen + [cand]), vocab
        )
        if len(new_missing) < len(missing) or (explain and not cand.sentence.heading and kind is None):
            chosen.append(cand)
            cov, missing = new_cov, new_missing
    if cov < t.min_coverage and len(qterms.terms) > 1:
        return Draft(reason="the sources do not say", coverage=cov, missing=tuple(missing))
    return Draft(tuple(chosen), coverage=cov, missing=tuple(missing))
