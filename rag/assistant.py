"""The facade notebooks, the CLI and the UI use: ``Assistant().ask(question) -> Answer``.

It validates the question, retrieves its evidence from the current index generation, hands that to
the answer stage (an ``rag.answer.protocol.Answerer``, chosen by the settings) with an explicit
``AnswerContext``, and turns the stage's ``Reply`` into an ``Answer`` whose citations are re-read from
the files and checked (``rag.grounding.compose``). No stage sees the Assistant.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from index.build import build_index
from index.embed import Embedder, TokenEmbedder, default_embedder
from index.publish import repair
from index.report import BuildReport
from index.store import Store
from index.vocab import Vocab
from index.warm import prepare
from rag.answer.aliases import Aliases
from rag.answer.answerers import answerer_for, stage_key
from rag.answer.llm import LLMHandle
from rag.answer.protocol import AnswerContext, Answerer, Evidence
from rag.answer.tokenmatch import TokenMatcher
from rag.errors import CitationError, ConfigError, InvalidQuestionError
from rag.grounding.cite import SourceTexts
from rag.grounding.compose import abstain, compose, source_changed
from rag.grounding.guard import is_instruction_override
from rag.library import collection_targets, remember_targets
from rag.retrieval.evidence import Depth, gather, top_passages
from rag.retrieval.live import LiveIndex, View
from rag.retrieval.rerank import PassageReranker
from rag.settings import Settings
from rag.types import Answer, Passage
from rag.validate import clean_question, document_scope

__all__ = ["Assistant"]


class Assistant:
    """Grounded question answering over an index of documents (built from ``settings.docs`` if missing).

    It answers from the last committed generation of the index (``index.generation``): a re-index
    running meanwhile, in this process or another, is invisible until it commits. Before each question
    a ``stat`` of the manifest tells whether a newer generation was committed; if so the index is
    reopened (~0.1-0.5 s) and the question answered from it. A question that overlapped a commit is
    asked again, since the build may have swept what it read.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        llm: Any | None = None,
        **overrides: Any,
    ) -> None:
        if "mode" in overrides:
            overrides["answer_mode"] = overrides.pop("mode")
        try:
            self.settings = settings.model_copy(update=overrides) if settings else Settings(**overrides)
        except Exception as exc:  # pydantic's ValidationError: show the field, not a traceback
            raise ConfigError(f"invalid settings: {exc}") from exc
        # llm mode: `llm=` injects any LlamaIndex LLM (or test double); else one is loaded on first use.
        self._llm = LLMHandle(self.settings, llm)
        if self.settings.answer_mode == "llm" and llm is None:
            from rag.answer.llm import check_llm_available

            check_llm_available(self.settings)
        self._answerer = answerer_for(self.settings, self._llm)
        self._answerer_key = stage_key(self.settings)
        self._live = LiveIndex(self.settings, embedder or default_embedder())
        # Their ONNX sessions load on the other core while chromadb and llama_index import (``index.warm``).
        prepare(self.embedder, self._answerer)
        self.texts = SourceTexts(self.settings.root)
        self._lock = threading.RLock()  # one build at a time from this object
        self._token_matcher: TokenMatcher | None = None
        self._reranker = PassageReranker()
        self._matcher_lock = threading.Lock()  # the matcher's and the stage's; not ``_lock``: a build holds that
        store = Store(self.settings.home, self.settings.chroma_url, self.settings.collection)
        if not store.current:  # nothing committed yet, or an index of an older format: (re)build it
            older = store.sources(self.settings.root) if store.committed["docs"] else []
            store.close()
            self.index(collection_targets(self.settings, older or None))
        else:
            repair(store, self.embedder)  # a damaged space is rebuilt from the saved vectors, a lost file re-made
            store.require()
            self._prepare_reranker(store)  # as the embedder: its load overlaps the view's imports
            self._live.install(store)

    # -- indexing -----------------------------------------------------------------------
    def index(self, paths: Sequence[Path | str] | None = None, rebuild: bool = False) -> BuildReport:
        """Add/update/remove documents so the index mirrors ``paths`` (default: the collection's configured
        documents) plus the collection's uploads (``rag.library.collection_targets``).

        Questions asked meanwhile (other threads) are answered from the previous generation.
        """
        targets = collection_targets(self.settings, paths)
        for p in targets:
            if not p.exists():
                raise InvalidQuestionError(f"no such file or folder: {p}")
        with self._lock:
            store = Store(self.settings.home, self.settings.chroma_url, self.settings.collection)
            report = build_index(targets, store, self.embedder, self.settings.root, self.settings.progress, rebuild)
            self._live.install(store)
            self._prepare_reranker(store)  # grown into re-ranking: loaded before the next question
        if paths:
            remember_targets(self.settings, paths)  # a later build without paths (an upload) keeps them
        return report

    def _prepare_reranker(self, store: Store) -> None:
        """Start loading the re-ranker's model in the background when questions to ``store`` are re-ranked."""
        if self._depth(None).reranks(store.committed_chunks):
            self._reranker.prepare()

    @property
    def embedder(self) -> Embedder:
        """The embedder of questions, builds and the index generations opened from now on."""
        return self._live.embedder

    @embedder.setter
    def embedder(self, value: Embedder) -> None:
        self._live.embedder = value

    # Everything an answer reads comes from one view; these expose the current one.
    @property
    def store(self) -> Store:
        """The store of the current index generation."""
        return self._live.view.store

    @property
    def retriever(self) -> Any:
        """A LlamaIndex ``BaseRetriever`` over the current index (``rag.llamaindex.AssistantRetriever``).

        It follows re-indexing, so it can be handed to LlamaIndex's query and chat engines once.
        """
        from rag.llamaindex import AssistantRetriever

        return AssistantRetriever(self)

    def as_query_engine(self, k: int | None = None) -> Any:
        """A LlamaIndex ``BaseQueryEngine`` answering with ``ask`` (``rag.llamaindex.AssistantQueryEngine``)."""
        from rag.llamaindex import AssistantQueryEngine

        return AssistantQueryEngine(self, k)

    def current_view(self) -> View:
        """The committed generation the next question reads (reopened first if a newer one was committed)."""
        return self._live.current()

    @property
    def vocab(self) -> Vocab:
        """The corpus vocabulary of the current index generation."""
        return self._live.view.vocab

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        """Metadata of each indexed document (by document id), with its citation ``source``."""
        return self._live.view.docs

    @property
    def aliases(self) -> Aliases:
        """Names each document's publisher goes by (for questions that name a source)."""
        return self._live.view.aliases

    # -- asking -------------------------------------------------------------------------
    def retrieve(
        self, question: str, k: int | None = None, *, documents: Collection[str] | None = None
    ) -> list[Passage]:
        """The passages ``ask`` would read, best first (only from ``documents``, ids, when given)."""
        q = clean_question(question, self.settings.max_question_chars)

        def read(view: View) -> list[Passage]:
            qvec = self.embedder.embed([q])[0]
            return top_passages(view, q, qvec, self._depth(k), self._reranker, document_scope(view.docs, documents))

        return self._live.read(read, redo_if_stale=False)

    @property
    def llm(self) -> Any:
        """The LlamaIndex LLM of llm mode: loaded from the settings on first use, then kept."""
        return self._llm.get()

    @llm.setter
    def llm(self, value: Any) -> None:
        self._llm.set(value)

    def ask(
        self,
        question: str,
        k: int | None = None,
        *,
        on_token: Callable[[str], None] | None = None,
        documents: Collection[str] | None = None,
    ) -> Answer:
        """Answer from the indexed documents with exact, checked citations, or abstain.

        ``documents`` (ids, keys of ``Assistant.docs``), when given, is the only documents the answer may
        retrieve from or cite; an empty list abstains. Unknown ids raise ``InvalidQuestionError``.
        In llm mode ``on_token`` receives the model's text as it is generated (an unverified
        draft); the returned ``Answer`` holds only the verified sentences.
        """
        q = clean_question(question, self.settings.max_question_chars)
        if k is not None and not 1 <= int(k) <= 50:
            raise InvalidQuestionError(f"k must be between 1 and 50, not {k}")
        if is_instruction_override(q):
            return abstain(q, (), "the question asks me to set the documents aside")

        def read(view: View) -> Answer:
            scope = document_scope(view.docs, documents)
            if scope is not None and not scope:
                return abstain(q, (), "no documents are selected")
            return self._answer(view, q, k, on_token, scope)

        # Committed meanwhile, what it read may be half swept: asked again. An llm answer has been
        # streamed already, and stands.
        return self._live.read(read, redo_if_stale=on_token is None)

    def evidence(self, question: str, k: int | None = None, *, documents: Collection[str] | None = None) -> Evidence:
        """What ``ask`` would hand the answer stage for ``question`` (terms, vectors, passages, candidate
        sentences), without answering: for analysis and for fitting answerers (``train.calibrate``)."""
        q = clean_question(question, self.settings.max_question_chars)
        view = self._live.current()
        return self._evidence(view, q, k, document_scope(view.docs, documents))

    def _depth(self, k: int | None) -> Depth:
        """How deep retrieval reads for ``k`` passages (default ``settings.k``)."""
        return Depth(k or self.settings.k, self.settings.rerank, self.settings.rerank_min_chunks)

    def _evidence(self, view: View, q: str, k: int | None, scope: frozenset[str] | None = None) -> Evidence:
        """What ``q`` retrieves from ``view`` (``rag.retrieval.evidence``)."""
        return gather(view, q, self.embedder, self._depth(k), self._reranker, scope)

    def _answer(
        self,
        view: View,
        q: str,
        k: int | None,
        on_token: Callable[[str], None] | None,
        scope: frozenset[str] | None = None,
    ) -> Answer:
        """Retrieve, hand the evidence to the answer stage, then cite and check what it says."""
        ctx = AnswerContext(
            vocab=view.vocab,
            docs=view.docs,
            read=self.texts.text,
            embed=self.embedder.embed,
            gather=partial(self._evidence, view, k=k, scope=scope),  # a part of a two-part question
            matcher=self._matcher(),
            on_token=on_token,
        )
        reply = self._stage().answer(self._evidence(view, q, k, scope), ctx)
        if reply.abstained:
            return abstain(q, reply.passages, reply.reason)
        if scope is not None and any(sp.doc_id not in scope for sp in reply.spans):
            raise AssertionError("the answer stage chose a sentence outside the document filter")
        try:
            return compose(q, reply, self.texts)
        except CitationError as exc:  # a source changed under us: never show an unchecked quote
            return abstain(q, reply.passages, source_changed(exc))

    def _stage(self) -> Answerer:
        """The answer stage for the settings as they are now (``settings`` fields may be set after creation)."""
        key = stage_key(self.settings)
        with self._matcher_lock:
            if key != self._answerer_key:
                self._answerer, self._answerer_key = answerer_for(self.settings, self._llm), key
            return self._answerer

    def _matcher(self) -> TokenMatcher | None:
        """Token-level matching with the current embedder, if it gives token vectors (test fakes need not)."""
        embedder = self.embedder
        if not isinstance(embedder, TokenEmbedder):
            return None
        with self._matcher_lock:
            if self._token_matcher is None or self._token_matcher.embedder is not embedder:
                self._token_matcher = TokenMatcher(embedder)
            return self._token_matcher

    def stream(
        self, question: str, k: int | None = None, *, documents: Collection[str] | None = None
    ) -> Iterator[str | Answer]:
        """``ask``, streamed: text deltas (``str``) as the LLM generates them, then the ``Answer``.

        The protocol is ``Iterator[str | Answer]``: zero or more unverified draft deltas, and always
        last exactly one ``Answer`` (verified: it replaces the draft). Extractive mode and
        abstentions yield the ``Answer`` alone. Errors (e.g. ``InvalidQuestionError``) are raised
        while iterating.
        """
        from rag.answer.llm_answer import stream_answer

        if self.settings.answer_mode != "llm":
            yield self.ask(question, k, documents=documents)
            return
        yield from stream_answer(partial(self.ask, documents=documents), question, k)
