"""The facade notebooks, the CLI and the UI use: ``Assistant().ask(question) -> Answer``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from index.build import BuildReport, build_index
from index.embed import Embedder, TokenEmbedder, default_embedder
from index.publish import repair
from index.store import Store
from index.types import Sentence
from index.vocab import Vocab
from rag.answer.extractive import Draft, question_terms, select
from rag.answer.parts import merge_parts
from rag.answer.question import split_parts
from rag.answer.tokenmatch import TokenMatcher
from rag.errors import CitationError, ConfigError, InvalidQuestionError
from rag.grounding.cite import SourceTexts, check_answer, make_citation
from rag.grounding.guard import is_instruction_override
from rag.library import collection_targets, remember_targets
from rag.retrieval.candidates import candidates
from rag.retrieval.live import LiveIndex, View
from rag.settings import Settings
from rag.types import Answer, Citation, Passage

__all__ = ["Assistant"]

_TRIES = 3  # asks of one question when the index keeps changing under it (then the last answer stands)


def _speaker(meta: dict[str, Any]) -> str:
    """How an answer names a document: its short name, publisher, title, or else its file name."""
    return str(meta.get("short") or meta.get("publisher") or meta.get("title") or Path(meta["source"]).name)


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
        self._llm = llm
        self._llm_lock = threading.RLock()
        if self.settings.answer_mode == "llm" and llm is None:
            from rag.answer.llm import check_llm_available

            check_llm_available(self.settings)
        self._live = LiveIndex(self.settings, embedder or default_embedder())
        self.texts = SourceTexts(self.settings.root)
        self._lock = threading.RLock()  # one build at a time from this object
        self._token_matcher: TokenMatcher | None = None
        self._cross: Any = None
        self._matcher_lock = threading.Lock()  # not ``_lock``: a build holds that for minutes
        store = Store(self.settings.home, self.settings.chroma_url, self.settings.collection)
        if not store.current:  # nothing committed yet, or an index of an older format: (re)build it
            older = store.sources(self.settings.root) if store.committed["docs"] else []
            store.close()
            self.index(collection_targets(self.settings, older or None))
        else:
            repair(store, self.embedder)  # a damaged space is rebuilt from the saved vectors, a lost file re-made
            store.require()
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
        if paths:
            remember_targets(self.settings, paths)  # a later build without paths (an upload) keeps them
        return report

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

    @property
    def vocab(self) -> Vocab:
        """The corpus vocabulary of the current index generation."""
        return self._live.view.vocab

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        """Metadata of each indexed document (by document id), with its citation ``source``."""
        return self._live.view.docs

    @property
    def aliases(self) -> dict[str, set[str]]:
        """Names each document's publisher goes by (for questions that name a source)."""
        return self._live.view.aliases

    # -- asking -------------------------------------------------------------------------
    def _validate(self, question: object) -> str:
        if not isinstance(question, str):
            raise InvalidQuestionError(f"the question must be text, not {type(question).__name__}")
        q = " ".join(question.replace("\x00", " ").split())
        if not q:
            raise InvalidQuestionError("the question is empty")
        if len(question) > self.settings.max_question_chars:
            raise InvalidQuestionError(
                f"the question is {len(question):,} characters; the limit is {self.settings.max_question_chars:,}"
            )
        return q

    @staticmethod
    def _scope(view: View, documents: Collection[str] | None) -> frozenset[str] | None:
        """The document filter as a set of ids (``None``: every document); unknown ids are refused."""
        if documents is None:
            return None
        if isinstance(documents, str):
            raise InvalidQuestionError("documents must be a list of document ids, not one string")
        ids = frozenset(str(d) for d in documents)
        unknown = sorted(ids - view.docs.keys())
        if unknown:
            shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise InvalidQuestionError(f"no indexed document has the id(s) {shown}; see Assistant.docs")
        return ids

    def retrieve(
        self, question: str, k: int | None = None, *, documents: Collection[str] | None = None
    ) -> list[Passage]:
        """The passages ``ask`` would read, best first (only from ``documents``, ids, when given)."""
        q = self._validate(question)
        for attempt in range(_TRIES):
            view = self._live.current()
            try:
                return view.retriever.retrieve(q, k=k, documents=self._scope(view, documents))
            except Exception:
                if attempt + 1 < _TRIES and view.stale:
                    continue  # the generation it read was swept meanwhile
                raise
        raise AssertionError("unreachable")

    @property
    def llm(self) -> Any:
        """The LlamaIndex LLM of llm mode: loaded from the settings on first use, then kept."""
        with self._llm_lock:
            if self._llm is None:
                from rag.answer.llm import load_llm

                self._llm = load_llm(self.settings)
            return self._llm

    @llm.setter
    def llm(self, value: Any) -> None:
        with self._llm_lock:
            self._llm = value

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
        q = self._validate(question)
        if k is not None and not 1 <= int(k) <= 50:
            raise InvalidQuestionError(f"k must be between 1 and 50, not {k}")
        if is_instruction_override(q):
            return self._abstain(q, (), "the question asks me to set the documents aside")
        for attempt in range(_TRIES):
            view = self._live.current()
            last = attempt + 1 == _TRIES
            scope = self._scope(view, documents)
            if scope is not None and not scope:
                return self._abstain(q, (), "no documents are selected")
            try:
                answer = self._answer(view, q, k, on_token, scope)
            except Exception:
                if not last and view.stale:
                    continue  # a newer generation was committed and the one this read was swept
                raise
            # Committed meanwhile: what it read may be half swept. An llm answer has been streamed
            # already, and stands.
            if last or on_token is not None or not view.stale:
                return answer
        raise AssertionError("unreachable")

    def _draft(
        self, view: View, q: str, k: int | None, scope: frozenset[str] | None = None
    ) -> tuple[Draft, list[Passage], list[Sentence], bool]:
        """Retrieve for ``q`` and pick its sentences: draft, passages, sentences read, whether it names a source.

        ``scope`` (document ids) limits both retrieval and the candidate sentences."""
        qterms = question_terms(q, view.aliases)
        vecs = self.embedder.embed([q, *[t.lower() for t in qterms.terms]])
        qvec, term_vecs = vecs[0], vecs[1:]
        passages = view.retriever.retrieve(q, qvec, k=k, documents=scope)
        cands = candidates(q, passages, view.store, scope)
        sents = [s for s, _, _ in cands]
        if self.settings.answerer == "learned":
            from rag.answer.learned import select_learned

            draft = select_learned(q, qterms, qvec, cands, self._scorer(), self.settings.max_sentences)
            return draft, passages, sents, bool(qterms.sources)
        matcher = self._matcher()
        draft = select(
            q,
            qterms,
            qvec,
            term_vecs,
            cands,
            view.vocab,
            self.settings.max_sentences,
            embed=self.embedder.embed,
            tokens=(lambda texts: matcher.recall(q, qterms.terms, texts, view.vocab.idf)) if matcher else None,
        )
        return draft, passages, sents, bool(qterms.sources)

    def _answer(
        self,
        view: View,
        q: str,
        k: int | None,
        on_token: Callable[[str], None] | None,
        scope: frozenset[str] | None = None,
    ) -> Answer:
        draft, passages, sents, attribute = self._draft(view, q, k, scope)
        parts = split_parts(q)
        if len(parts) > 1 and not draft.abstained:
            # Each part's own best sentence; its passages join the whole question's (after them).
            drafts = []
            for part in parts:
                part_draft, part_passages, part_sents, _ = self._draft(view, part, k, scope)
                drafts.append(part_draft)
                known_chunks, known_sents = {p.chunk.id for p in passages}, set(sents)
                passages += [p for p in part_passages if p.chunk.id not in known_chunks]
                sents += [s for s in part_sents if s not in known_sents]
            draft = merge_parts(draft, drafts, self.settings.max_sentences)
        if self.settings.answer_mode == "llm":
            from rag.answer.llm_answer import answer_with_llm

            return answer_with_llm(self, q, passages, sents, draft, attribute, on_token)
        if draft.abstained:
            return self._abstain(q, passages, draft.reason)
        if scope is not None and any(c.sentence.doc_id not in scope for c in draft.chosen):
            raise AssertionError("the answer stage chose a sentence outside the document filter")
        try:
            return self._compose(q, draft, passages, attribute=attribute, docs=view.docs)
        except CitationError as exc:
            # A source changed under us: never show an unchecked quote.
            return self._abstain(q, passages, f"a cited source changed since indexing ({exc}); re-run `rag index`")

    def _scorer(self) -> Any:
        """The learned answerer's cross-encoder (loaded, and exported if needed, on first use)."""
        with self._matcher_lock:
            if self._cross is None:
                from rag.answer.scorer import CrossScorer

                self._cross = CrossScorer()
            return self._cross

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

    def _compose(
        self,
        q: str,
        draft: Draft,
        passages: Sequence[Passage],
        attribute: bool,
        docs: dict[str, dict[str, Any]] | None = None,
    ) -> Answer:
        docs = self.docs if docs is None else docs
        parts: list[str] = []
        cites: list[Citation] = []
        chosen = list(draft.chosen)
        if len({c.sentence.doc_id for c in chosen}) == 1:
            chosen.sort(key=lambda c: c.sentence.start)  # one source: quote it in reading order
        for n, cand in enumerate(chosen, start=1):
            s = cand.sentence
            meta = docs[s.doc_id]
            cites.append(make_citation(n, meta["source"], s.start, s.end, s.text, self.texts, meta))
            lead = f"According to {_speaker(meta)}: " if attribute else ""
            parts.append(f"{lead}{s.text} [{n}]")
        text = " ".join(parts)
        check_answer(text, cites, self.texts)
        return Answer(q, text, tuple(cites), tuple(passages), False)

    def _abstain(self, q: str, passages: Sequence[Passage], reason: str) -> Answer:
        text = f"The indexed documents don't answer this: {reason}."
        return Answer(q, text, (), tuple(passages), True, reason=reason)
