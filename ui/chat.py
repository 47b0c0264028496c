"""Event handlers of the chat page: asking (streamed), the document viewer, feedback and the ``ask`` API.

The conversation lives in a per-session ``gr.State`` holding a list of :class:`ui.render.Turn`; the chat,
the sources panel and the viewer's highlights are all rendered from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from html import escape
from typing import Any

import gradio as gr

from rag.assistant import Assistant
from rag.errors import RagError
from rag.sources import Collections, Sources
from rag.types import Answer
from ui.feedback import FeedbackLog
from ui.followup import rewrite
from ui.render import (
    Source,
    Turn,
    answer_html,
    article_html,
    draft_html,
    error_html,
    sources_html,
    stream_frames,
    user_html,
)

__all__ = ["ChatApp", "doc_choices"]

log = logging.getLogger(__name__)

_SHOWN_QUESTION_CHARS = 400  # a refused 10,000-character question is not echoed in full
_FRAME_DELAY_S = 0.03


def _shown(question: str) -> str:
    if len(question) <= _SHOWN_QUESTION_CHARS:
        return question
    return f"{question[:_SHOWN_QUESTION_CHARS]}… ({len(question):,} characters)"


class ChatApp:
    """The handlers, bound to thread-safe :class:`Assistant` s shared by every session (one per collection)."""

    def __init__(
        self,
        assistant: Assistant,
        feedback: FeedbackLog,
        frame_delay: float = _FRAME_DELAY_S,
        collections: Collections | None = None,
    ) -> None:
        self.assistant = assistant  # the default collection's
        self.collections = collections or Collections(assistant)
        self.feedback = feedback
        self.frame_delay = frame_delay

    def _assistant(self, collection: str | None) -> Assistant:
        return self.collections.get(collection or None)

    # -- rendering helpers ----------------------------------------------------------------
    def source(self, source: str, collection: str | None = None) -> Source | None:
        """The raw text and format of an indexed ``source`` (``None`` if it is no longer readable)."""
        a = self._assistant(collection)
        fmt = next((m.get("format", "txt") for m in a.docs.values() if m["source"] == source), "txt")
        try:
            return Source(a.texts.text(source), fmt)
        except RagError:
            return None

    def stale(self, turns: Sequence[Turn]) -> list[set[str]]:
        """Per turn, the cited sources whose document was changed or removed since it was answered."""
        current: dict[str, dict[str, tuple[str, str]]] = {}
        out: list[set[str]] = []
        for t in turns:
            if t.answer is None or not t.versions:
                out.append(set())
                continue
            if t.collection not in current:
                current[t.collection] = Sources(self._assistant(t.collection)).versions()
            now = current[t.collection]
            out.append({src for src, doc_id, sha in t.versions if now.get(src) != (doc_id, sha)})
        return out

    def sources_panel(self, turns: Sequence[Turn]) -> str:
        """The sources panel for a conversation."""
        found: dict[str, Source] = {}
        for t in turns:
            for c in t.answer.citations if t.answer else ():
                if c.source not in found and (s := self.source(c.source, t.collection)) is not None:
                    found[c.source] = s
        return sources_html(turns, found, self.stale(turns))

    def messages(self, turns: Sequence[Turn], last: str | None = None) -> list[dict[str, str]]:
        """Chat messages for ``turns``; ``last`` replaces the final assistant message (while streaming)."""
        out: list[dict[str, str]] = []
        stale = self.stale(turns)
        for i, t in enumerate(turns):
            out.append({"role": "user", "content": user_html(_shown(t.question))})
            if t.answer is not None:
                body = answer_html(t.answer, i, t.question, stale[i])
            else:
                body = error_html(t.error)
            out.append({"role": "assistant", "content": body})
        if last is not None and out:
            out[-1] = {"role": "assistant", "content": last}
        return out

    # -- events ---------------------------------------------------------------------------
    def respond(
        self,
        question: str | None,
        turns: list[Turn],
        k: float | None,
        collection: str | None = None,
        excluded: Sequence[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Submit: outputs (textbox, chat, turns, sources).

        The answer is streamed: in llm mode the model's draft as it is generated, in extractive mode the
        answer word by word; then the final, verified answer with its chips and sources. It comes from
        ``collection``'s documents, less those the session ``excluded`` (unticked).
        """
        question = question or ""
        if not question.strip():
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        collection = collection or self.collections.default
        previous = next((t.asked for t in reversed(turns) if t.answer is not None), None)
        asked = rewrite(question, previous, self.assistant.settings.max_question_chars)
        pending = [*turns, Turn(question, asked, None, "", collection)]
        searching = '<div class="rag-answer rag-streaming">Searching the documents…</div>'
        yield "", self.messages(pending, searching), gr.skip(), gr.skip()
        answer: Answer | None = None
        draft = ""
        try:
            assistant = self._assistant(collection)
            documents = None
            if excluded:  # ticked = the collection's current documents less the unticked ones
                documents = [d for d in assistant.docs if d not in set(excluded)]
            for item in self._answers(assistant, asked, int(k) if k else None, documents):
                if isinstance(item, Answer):
                    answer = item
                else:  # llm mode: the model's unverified draft, replaced by the verified answer below
                    draft += item
                    yield gr.skip(), self.messages(pending, draft_html(draft)), gr.skip(), gr.skip()
            if answer is None:
                raise RuntimeError("the assistant returned no answer")
        except RagError as exc:  # over-long or empty question, bad k: the core's message, no traceback
            done = [*turns, Turn(question, asked, None, str(exc), collection)]
            yield "", self.messages(done), done, gr.skip()
            return
        except Exception:
            log.exception("answering %r failed", asked[:200])
            oops = "something went wrong on the server (it has been logged)"
            done = [*turns, Turn(question, asked, None, oops, collection)]
            yield "", self.messages(done), done, gr.skip()
            return
        if not answer.abstained and not draft:  # extractive: reveal the answer word by word
            for frame in stream_frames(answer.text):
                yield gr.skip(), self.messages(pending, frame), gr.skip(), gr.skip()
                time.sleep(self.frame_delay)
        now = Sources(assistant).versions()
        versions = tuple((c.source, *now[c.source]) for c in answer.citations if c.source in now)
        done = [*turns, Turn(question, asked, answer, "", collection, versions)]
        yield "", self.messages(done), done, self.sources_panel(done)

    @staticmethod
    def _answers(
        assistant: Assistant, question: str, k: int | None, documents: Sequence[str] | None = None
    ) -> Iterator[str | Answer]:
        """``Assistant.stream`` (text deltas, then the ``Answer``) where the core has it, else ``ask``."""
        scope: dict[str, Any] = {} if documents is None else {"documents": documents}  # stand-ins may lack it
        stream = getattr(assistant, "stream", None)
        if callable(stream):
            yield from stream(question, k, **scope)
        else:
            yield assistant.ask(question, k=k, **scope)

    def clear(self) -> tuple[list[dict[str, str]], list[Turn], str]:
        """New conversation: outputs (chat, turns, sources)."""
        return [], [], sources_html([], {})

    def article(self, doc_id: str | None, turns: Sequence[Turn], collection: str | None = None) -> str:
        """The document viewer: an indexed document by id (never a path) with the conversation's spans marked.

        A stale citation (its document changed since the answer) is not marked in the current text."""
        meta = self._assistant(collection).docs.get(doc_id or "")
        if meta is None:
            return error_html("choose one of the indexed documents")
        src = self.source(meta["source"], collection)
        if src is None:
            return error_html(f"{meta['source']} can no longer be read; run `rag index`")
        stale = self.stale(turns)
        spans = [
            (c.start, c.end)
            for i, t in enumerate(turns)
            if t.answer and (t.collection or self.collections.default) == (collection or self.collections.default)
            for c in t.answer.citations
            if c.source == meta["source"] and c.source not in stale[i] and src.raw[c.start : c.end] == c.quote
        ]
        return article_html(src, {k: str(v) for k, v in meta.items()}, spans)

    def like(self, turns: Sequence[Turn], k: float | None, data: gr.LikeData) -> None:
        """Thumbs up/down on an answer: appended to the feedback file."""
        index = data.index if isinstance(data.index, int) else data.index[0]
        n = index // 2
        liked = {True: True, "Like": True, False: False, "Dislike": False}.get(data.liked)  # type: ignore[call-overload]
        answer = turns[n].answer if 0 <= n < len(turns) else None
        if answer is None or liked is None:  # an error bubble, or a rating taken back
            return
        self.feedback.record(turns[n].question, turns[n].asked, answer, liked=liked, k=int(k) if k else None)

    @staticmethod
    def pick_example(ev: gr.SelectData) -> str:
        """An example question clicked on the empty chat goes into the question box (then is asked)."""
        value = ev.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    def api_ask(self, question: str, k: int = 0) -> dict[str, Any]:
        """Answer ``question`` from the indexed documents; returns ``Answer.to_dict()`` (``k=0``: server default)."""
        return self.api_ask_documents(question, k)

    def api_ask_documents(
        self, question: str, k: int = 0, documents: list[str] | None = None, collection: str = ""
    ) -> dict[str, Any]:
        """``ask`` limited to ``documents`` (ids from ``/list_documents``; ``None``: all) of ``collection``
        ("": the server's default); returns ``Answer.to_dict()``."""
        try:
            scope: dict[str, Any] = {} if documents is None else {"documents": documents}
            return self._assistant(collection).ask(question, k=k or None, **scope).to_dict()
        except RagError as exc:
            # The modal renders HTML: escape; the message is expected, so no server traceback either.
            raise gr.Error(escape(str(exc)), print_exception=False) from exc


def doc_choices(docs: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Viewer dropdown choices ``(label, doc id)`` for ``Assistant.docs``, sorted by label."""
    out = []
    for doc_id, m in docs.items():
        who = m.get("publisher") or m.get("short") or ""
        title = m.get("title") or str(m["source"]).rsplit("/", 1)[-1]
        out.append((f"{who} — {title}" if who else title, doc_id))
    return sorted(out)
