"""``answer_mode="llm"``: prompt, generate, then show only what :mod:`rag.grounding.anchor` verified.

The extractive selector still decides *whether* the documents answer (the LLM is not asked when
it abstains), and its answer is the fallback when none of the model's sentences survives
verification. Whatever is returned passes the same checks as an extractive answer: every
citation is built by ``make_citation`` from raw offsets and ``check_answer`` runs on the text.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from index.types import Sentence
from rag.answer.extractive import Draft
from rag.answer.llm import count_tokens, stream_chat_text
from rag.answer.llm_prompt import Numbered, build_messages, fit_budget, number_passages
from rag.errors import CitationError
from rag.grounding.anchor import Anchored, anchor, split_claims
from rag.grounding.cite import check_answer, make_citation
from rag.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from rag.assistant import Assistant

__all__ = ["answer_with_llm", "stream_answer", "final_answer"]

log = logging.getLogger(__name__)
_MIN_BUDGET = 200


def _prompt(
    assistant: Assistant,
    llm: Any,
    question: str,
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    focus: Sequence[tuple[str, int]],
) -> tuple[list[Numbered], list[Any]]:
    """Numbered passages and chat messages, shrunk until the prompt fits the model's context."""
    s = assistant.settings
    budget = fit_budget(question, s.llm_context_window, s.llm_max_tokens, s.llm_prompt_chars)
    limit = s.llm_context_window - s.llm_max_tokens
    while True:
        numbered = number_passages(passages, sentences, assistant.docs, budget, focus)
        messages = build_messages(question, numbered)
        render = getattr(llm, "messages_to_prompt", None)
        used = count_tokens(llm, render(messages)) if callable(render) else None
        if used is None or used <= limit or budget <= _MIN_BUDGET:
            return numbered, messages
        budget = max(_MIN_BUDGET, int(budget * min(0.9, limit / used)))


def _generate(assistant: Assistant, llm: Any, messages: list[Any], on_token: Callable[[str], None] | None) -> str:
    parts: list[str] = []
    with assistant._llm_lock:  # one generation at a time per loaded model (llama.cpp is not re-entrant)
        for delta in stream_chat_text(llm, messages):
            parts.append(delta)
            if on_token is not None:
                on_token(delta)
    return "".join(parts)


def _compose(assistant: Assistant, question: str, kept: Sequence[Anchored], passages: Sequence[Passage]) -> Answer:
    ids: dict[tuple[str, int, int], int] = {}
    cites: list[Citation] = []
    parts: list[str] = []
    for k in kept:
        sp = k.span
        key = (sp.source, sp.start, sp.end)
        if key not in ids:
            ids[key] = len(ids) + 1
            cites.append(make_citation(ids[key], sp.source, sp.start, sp.end, sp.text, assistant.texts, sp.meta))
        parts.append(f"{k.claim.text} [{ids[key]}]")  # the very text that was verified
    text = " ".join(parts)
    check_answer(text, cites, assistant.texts)
    return Answer(question, text, tuple(cites), tuple(passages), False, mode="llm")


def _fallback(
    assistant: Assistant, question: str, draft: Draft, passages: Sequence[Passage], attribute: bool, why: str
) -> Answer:
    """The extractive answer, saying why the LLM's was not used."""
    ans = assistant._compose(question, draft, passages, attribute=attribute)
    return replace(ans, mode="extractive", reason=f"{why}; showing the source sentences instead")


def answer_with_llm(
    assistant: Assistant,
    question: str,
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    draft: Draft,
    attribute: bool,
    on_token: Callable[[str], None] | None = None,
) -> Answer:
    """The verified LLM answer (``mode="llm"``), the extractive fallback, or an abstention."""
    if draft.abstained:
        return assistant._abstain(question, passages, draft.reason)
    llm = assistant.llm
    focus = list(dict.fromkeys((c.sentence.doc_id, c.sentence.start) for c in draft.chosen))
    numbered, messages = _prompt(assistant, llm, question, passages, sentences, focus)
    try:
        if not any(x.sentences for x in numbered):  # nothing the model's sentences could be checked against
            return _fallback(assistant, question, draft, passages, attribute, "no passage text to give the LLM")
        try:
            output = _generate(assistant, llm, messages, on_token)
        except Exception as exc:  # a server that is down, a model that fails: still answer, say why
            log.warning("LLM generation failed: %s", exc)
            return _fallback(assistant, question, draft, passages, attribute, f"the LLM failed ({exc})")
        claims = split_claims(output, len(numbered), [x.label for x in numbered])
        result = anchor(claims, numbered, assistant.texts.text, question)
        unsupported = tuple(result.unsupported)
        if not result.kept:
            ans = _fallback(
                assistant,
                question,
                draft,
                passages,
                attribute,
                "no sentence of the LLM's answer was supported by the passages",
            )
            return replace(ans, unsupported=unsupported)
        return replace(_compose(assistant, question, result.kept, passages), unsupported=unsupported)
    except CitationError as exc:
        # A source changed under us: never show an unchecked quote.
        return assistant._abstain(
            question, passages, f"a cited source changed since indexing ({exc}); re-run `rag index`"
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
