"""The extractive answerers behind ``Answerer``: the calibrated rules, and the learned cross-encoder.

Both quote source sentences verbatim, and differ only in how one question's sentences are chosen
(``pick``, a ``Draft``). What surrounds the choice is shared: a two-part question is also answered
part by part (:mod:`rag.answer.parts`), and the chosen sentences become statements that cite
themselves, in reading order when they come from one source, each led by its source's name when the
question names a source. ``answerer_for`` makes the answer stage the settings name, the LLM's
(:mod:`rag.answer.llm_answer`) included.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answer.draft import Draft
from rag.answer.extractive import select
from rag.answer.parts import merge_parts
from rag.answer.protocol import AnswerContext, Evidence, Reply, SourceSpan, Statement
from rag.answer.question import split_parts

if TYPE_CHECKING:  # loaded on first use: the learned answerer is opt-in
    from rag.answer.calibration import Calibration
    from rag.answer.llm import LLMHandle
    from rag.answer.protocol import Answerer
    from rag.answer.scorer import CrossScorer
    from rag.settings import Settings

__all__ = [
    "ExtractiveAnswerer",
    "RulesAnswerer",
    "LearnedAnswerer",
    "answerer_for",
    "stage_key",
    "extractive_reply",
    "speaker",
]


def speaker(meta: Mapping[str, Any]) -> str:
    """How an answer names a document: its short name, publisher, title, or else its file name."""
    return str(meta.get("short") or meta.get("publisher") or meta.get("title") or Path(meta["source"]).name)


def extractive_reply(draft: Draft, evidence: Evidence, docs: Mapping[str, Mapping[str, Any]]) -> Reply:
    """``draft``'s sentences as statements citing themselves (or its reason to abstain)."""
    if draft.abstained:
        return Reply(passages=evidence.passages, reason=draft.reason)
    chosen = list(draft.chosen)
    if len({c.sentence.doc_id for c in chosen}) == 1:
        chosen.sort(key=lambda c: c.sentence.start)  # one source: quote it in reading order
    attribute = bool(evidence.terms.sources)  # the question names a source: say whose each sentence is
    spans, statements = [], []
    for i, cand in enumerate(chosen):
        s = cand.sentence
        meta = docs[s.doc_id]
        spans.append(SourceSpan(s.doc_id, str(meta["source"]), s.start, s.end, s.text, meta))
        lead = f"According to {speaker(meta)}: " if attribute else ""
        statements.append(Statement(f"{lead}{s.text}", i))
    return Reply(tuple(statements), tuple(spans), evidence.passages)


class ExtractiveAnswerer:
    """Answers with source sentences; a subclass says how one question's are chosen (``pick``)."""

    def __init__(self, max_sentences: int = 2) -> None:
        self.max_sentences = max_sentences

    def pick(self, evidence: Evidence, ctx: AnswerContext) -> Draft:
        """The sentences of ``evidence`` that answer its question, best first, or the reason none does."""
        raise NotImplementedError

    def choose(self, evidence: Evidence, ctx: AnswerContext) -> tuple[Draft, Evidence]:
        """The sentences that answer, and all the evidence read for them.

        Each part of a two-part question is asked alone too, and contributes its best sentence; its
        passages join the whole question's (after them). The whole question decides whether to answer,
        so the parts are read only when it does.
        """
        draft = self.pick(evidence, ctx)
        parts = split_parts(evidence.question)
        if len(parts) > 1 and not draft.abstained:
            drafts = []
            for part in parts:
                part_evidence = ctx.gather(part)
                drafts.append(self.pick(part_evidence, ctx))
                evidence = evidence.joined(part_evidence)
            draft = merge_parts(draft, drafts, self.max_sentences)
        return draft, evidence

    def answer(self, evidence: Evidence, ctx: AnswerContext) -> Reply:
        """The chosen source sentences, each citing itself, or the reason for abstaining."""
        draft, evidence = self.choose(evidence, ctx)
        return extractive_reply(draft, evidence, ctx.docs)


class RulesAnswerer(ExtractiveAnswerer):
    """The default: :func:`rag.answer.extractive.select`'s rules, calibrated on ``evals/questions.jsonl``."""

    def pick(self, evidence: Evidence, ctx: AnswerContext) -> Draft:
        """Rank the candidates (re-ranked by token matching when ``ctx`` has a matcher) and keep those that answer."""
        q, qterms, matcher = evidence.question, evidence.terms, ctx.matcher
        return select(
            q,
            qterms,
            evidence.qvec,
            evidence.term_vecs,
            evidence.candidates,
            ctx.vocab,
            self.max_sentences,
            embed=ctx.embed,
            tokens=(lambda texts: matcher.recall(q, qterms.terms, texts, ctx.vocab.idf)) if matcher else None,
        )


class LearnedAnswerer(ExtractiveAnswerer):
    """``settings.answerer="learned"``: :func:`rag.answer.learned.select_learned`'s cross-encoder decides."""

    def __init__(
        self, max_sentences: int = 2, scorer: CrossScorer | None = None, verifier: CrossScorer | None = None
    ) -> None:
        super().__init__(max_sentences)
        self._scorer, self._verifier = scorer, verifier
        self._calibration: Calibration | None = None
        self._lock = threading.Lock()

    def scorer(self) -> CrossScorer:
        """The ranking cross-encoder (loaded, and exported if needed, on first use)."""
        with self._lock:
            if self._scorer is None:
                from rag.answer.scorer import ranker

                self._scorer = ranker()
            return self._scorer

    def verifier(self) -> CrossScorer:
        """The answerability verifier (its threshold in ``answerer.json`` was fitted for it, so it is required:
        a missing one raises ``ModelMissingError`` naming ``make train`` on first use)."""
        with self._lock:
            if self._verifier is None:
                from rag.answer.export import verifier_path
                from rag.answer.scorer import CrossScorer
                from rag.answer.verifier import VERIFIER_MAX_LENGTH

                self._verifier = CrossScorer(adapter=verifier_path(), max_length=VERIFIER_MAX_LENGTH)
            return self._verifier

    def calibration(self) -> Calibration:
        """The ranking weights and thresholds (read once)."""
        with self._lock:
            if self._calibration is None:
                from rag.answer.calibration import load_calibration

                self._calibration = load_calibration()
            return self._calibration

    def prepare(self) -> None:
        """Start loading both networks on a background thread (``index.warm``; a missing one still raises
        ``ModelMissingError`` at its first use)."""
        from index.warm import warm_in_background

        def load() -> None:
            self.scorer().load()
            self.verifier().load()

        warm_in_background(load, type(self).__name__)

    def pick(self, evidence: Evidence, ctx: AnswerContext) -> Draft:
        """The cross-encoder's choice among the candidates, or its abstention."""
        from rag.answer.learned import select_learned  # on first use, as before: the learned answerer is opt-in

        e = evidence
        return select_learned(
            e.question,
            e.terms,
            e.qvec,
            e.candidates,
            self.scorer(),
            self.max_sentences,
            verifier=self.verifier(),
            calibration=self.calibration(),
        )


def stage_key(s: Settings) -> tuple[Any, ...]:
    """The settings an answer stage is made from (a new key: a new stage)."""
    return (s.answer_mode, s.answerer, s.max_sentences, s.llm_context_window, s.llm_max_tokens, s.llm_prompt_chars)


def answerer_for(settings: Settings, llm: LLMHandle) -> Answerer:
    """The answer stage the settings name: the rules or the learned cross-encoder, worded by the LLM in llm mode."""
    extractive = (LearnedAnswerer if settings.answerer == "learned" else RulesAnswerer)(settings.max_sentences)
    if settings.answer_mode != "llm":
        return extractive
    from rag.answer.llm_answer import LLMAnswerer  # it imports this module

    s = settings
    return LLMAnswerer(extractive, llm, s.llm_context_window, s.llm_max_tokens, s.llm_prompt_chars)
