"""``answer_mode="llm"``: prompt, generate, then say only what :mod:`rag.grounding.anchor` verified.

The extractive answerer still decides *whether* the documents answer (the LLM is not asked when it
abstains) and which sentences the prompt leads with, and its answer is the fallback when none of
the model's sentences survives verification. Whatever is returned is a ``Reply`` like any other
answerer's: the facade builds every citation from raw offsets and checks the text
(:mod:`rag.grounding.compose`).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from index.types import Sentence
from rag.answer.answerers import ExtractiveAnswerer, extractive_reply
from rag.answer.draft import Draft
from rag.answer.llm import LLMHandle, count_tokens, stream_chat_text
from rag.answer.llm_prompt import Numbered, build_messages, fit_budget, number_passages
from rag.answer.protocol import AnswerContext, Evidence, Reply, SourceSpan, Statement
from rag.errors import CitationError
from rag.grounding.anchor import Anchored, anchor, split_claims
from rag.grounding.compose import source_changed
from rag.types import Answer, Passage

__all__ = ["LLMAnswerer", "stream_answer", "final_answer"]

log = logging.getLogger(__name__)
_MIN_BUDGET = 200


def _llm_reply(kept: Sequence[Anchored], numbered: Sequence[Numbered], passages: tuple[Passage, ...]) -> Reply:
    """The verified sentences, each citing the span that supports it (a span cited twice is one citation)."""
    doc_of = {x.n: x.passage.chunk.doc_id for x in numbered}
    ids: dict[tuple[str, int, int], int] = {}
    spans: list[SourceSpan] = []
    statements: list[Statement] = []
    for k in kept:
        sp = k.span
        key = (sp.source, sp.start, sp.end)
        if key not in ids:
            ids[key] = len(spans)
            spans.append(SourceSpan(doc_of[sp.n], sp.source, sp.start, sp.end, sp.text, sp.meta))
        statements.append(Statement(k.claim.text, ids[key]))  # the very text that was verified
    return Reply(tuple(statements), tuple(spans), passages, mode="llm")


class LLMAnswerer:
    """Answers in the LLM's words, keeping only its sentences that re-anchor to a supporting span."""

    def __init__(
        self,
        extractive: ExtractiveAnswerer,
        llm: LLMHandle,
        context_window: int = 2048,
        max_tokens: int = 128,
        prompt_chars: int = 1500,
    ) -> None:
        self.extractive, self.llm = extractive, llm
        self.context_window, self.max_tokens, self.prompt_chars = context_window, max_tokens, prompt_chars

    def _prompt(
        self,
        llm: Any,
        question: str,
        passages: Sequence[Passage],
        sentences: Sequence[Sentence],
        docs: dict[str, dict[str, Any]],
        focus: Sequence[tuple[str, int]],
    ) -> tuple[list[Numbered], list[Any]]:
        """Numbered passages and chat messages, shrunk until the prompt fits the model's context."""
        budget = fit_budget(question, self.context_window, self.max_tokens, self.prompt_chars)
        limit = self.context_window - self.max_tokens
        while True:
            numbered = number_passages(passages, sentences, docs, budget, focus)
            messages = build_messages(question, numbered)
            render = getattr(llm, "messages_to_prompt", None)
            used = count_tokens(llm, render(messages)) if callable(render) else None
            if used is None or used <= limit or budget <= _MIN_BUDGET:
                return numbered, messages
            budget = max(_MIN_BUDGET, int(budget * min(0.9, limit / used)))

    def _generate(self, llm: Any, messages: list[Any], on_token: Callable[[str], None] | None) -> str:
        parts: list[str] = []
        with self.llm.lock:  # one generation at a time per loaded model (llama.cpp is not re-entrant)
            for delta in stream_chat_text(llm, messages):
                parts.append(delta)
                if on_token is not None:
                    on_token(delta)
        return "".join(parts)

    def answer(self, evidence: Evidence, ctx: AnswerContext) -> Reply:
        """The verified LLM answer (``mode="llm"``), the extractive fallback, or an abstention."""
        draft, evidence = self.extractive.choose(evidence, ctx)
        if draft.abstained:
            return Reply(passages=evidence.passages, reason=draft.reason)
        question, passages = evidence.question, evidence.passages
        llm = self.llm.get()
        focus = list(dict.fromkeys((c.sentence.doc_id, c.sentence.start) for c in draft.chosen))
        numbered, messages = self._prompt(llm, question, passages, evidence.sentences, ctx.docs, focus)
        if not any(x.sentences for x in numbered):  # nothing the model's sentences could be checked against
            return self._fallback(draft, evidence, ctx, "no passage text to give the LLM")
        try:
            output = self._generate(llm, messages, ctx.on_token)
        except Exception as exc:  # a server that is down, a model that fails: still answer, say why
            log.warning("LLM generation failed: %s", exc)
            return self._fallback(draft, evidence, ctx, f"the LLM failed ({exc})")
        claims = split_claims(output, len(numbered), [x.label for x in numbered])
        try:
            result = anchor(claims, numbered, ctx.read, question)
        except CitationError as exc:  # a source changed under us: never show an unchecked quote
            return Reply(passages=passages, reason=source_changed(exc))
        unsupported = tuple(result.unsupported)
        if not result.kept:
            why = "no sentence of the LLM's answer was supported by the passages"
            return replace(self._fallback(draft, evidence, ctx, why), unsupported=unsupported)
        return replace(_llm_reply(result.kept, numbered, passages), unsupported=unsupported)

    @staticmethod
    def _fallback(draft: Draft, evidence: Evidence, ctx: AnswerContext, why: str) -> Reply:
        """The extractive answer, saying why the LLM's was not used."""
        return replace(
            extractive_reply(draft, evidence, ctx.docs), reason=f"{why}; showing the source sentences instead"
        )


def stream_answer(ask: Callable[..., Answer], question: str, k: int | None = None) -> Iterator[str | Answer]:
    """Run ``ask(question, k, on_token=...)`` in a thread; yield its text deltas, then its ``Answer``.

    Errors raised by ``ask`` (an invalid question, say) are raised here, in the consumer's thread.
    A consumer that stops early leaves the generation to finish in the background.
    """
    box: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            box.put(("answer", ask(question, k, on_token=lambda delta: box.put(("delta", delta)))))
        except BaseException as exc:  # re-raised in the consumer
            box.put(("error", exc))

    threading.Thread(target=run, name="rag-stream", daemon=True).start()
    while True:
        kind, item = box.get()
        if kind == "delta":
            yield item
        elif kind == "error":
            raise item
        else:
            yield item
            return


def final_answer(items: Iterator[str | Answer]) -> Answer:
    """The ``Answer`` that ends a :meth:`Assistant.stream` (draining the deltas before it)."""
    last: str | Answer = ""
    for item in items:
        last = item
    if not isinstance(last, Answer):
        raise RuntimeError("the stream ended without an Answer")
    return last
