"""The Assistant as LlamaIndex parts: a ``BaseRetriever`` and a ``BaseQueryEngine``.

Both wrap an :class:`rag.assistant.Assistant`, not one index generation: each call goes through
``Assistant.retrieve`` / ``Assistant.ask``, which read the newest committed generation, so a
retriever handed to LlamaIndex keeps working (and sees new documents) after a re-index.

* :class:`AssistantRetriever` takes a ``QueryBundle`` and returns ``NodeWithScore``s of our chunks;
  each node's metadata carries ``source``, ``start``, ``end`` and ``doc_id``: the chunk was cut from
  ``read_text(source)[start:end]`` (its text is that span cleaned of page chrome) and ``sentences``
  lists its sentences as exact raw ``[start, end]`` spans. So LlamaIndex's ``RetrieverQueryEngine``,
  ``CondensePlusContextChatEngine`` and retrieval evaluators use this index as they would their own.
* :class:`AssistantQueryEngine` answers with ``Assistant.ask``: ``Response.response`` is the
  checked answer text, ``source_nodes`` are the cited spans (node text == the citation's quote) and
  ``metadata`` holds the ``Answer`` itself, ``abstained`` and the citations as dicts.

Importing this module imports ``llama_index.core``; ``rag.assistant`` imports it only when asked.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from rag.assistant import Assistant

__all__ = ["AssistantRetriever", "AssistantQueryEngine", "passage_node", "citation_node"]

# Offsets and ids mean nothing to an LLM or an embedding model: keep them out of what those see.
_HIDDEN = ["start", "end", "doc_id", "chunk_id", "rank", "citation_id", "sentences"]


def passage_node(passage: Passage) -> NodeWithScore:
    """A retrieved passage as a LlamaIndex node: the chunk's text, its span and document in the metadata."""
    c = passage.chunk
    meta = {
        "source": passage.source,
        "start": c.start,
        "end": c.end,
        "sentences": [[a, b] for a, b in c.sentences],
        "doc_id": c.doc_id,
        "chunk_id": c.id,
        "rank": passage.rank,
        "title": passage.title,
        "publisher": passage.publisher,
    }
    node = TextNode(
        id_=c.id,
        text=c.text,
        metadata=meta,
        start_char_idx=c.start,
        end_char_idx=c.end,
        excluded_llm_metadata_keys=_HIDDEN,
        excluded_embed_metadata_keys=_HIDDEN,
    )
    return NodeWithScore(node=node, score=float(passage.score))


def citation_node(citation: Citation, doc_id: str = "") -> NodeWithScore:
    """A citation as a LlamaIndex node whose text is exactly the quoted span."""
    meta = {
        "source": citation.source,
        "start": citation.start,
        "end": citation.end,
        "doc_id": doc_id,
        "citation_id": citation.id,
        "title": citation.title,
        "publisher": citation.publisher,
        "date": citation.date,
    }
    node = TextNode(
        id_=f"{doc_id or citation.source}:{citation.start}-{citation.end}",
        text=citation.quote,
        metadata=meta,
        start_char_idx=citation.start,
        end_char_idx=citation.end,
        excluded_llm_metadata_keys=_HIDDEN,
        excluded_embed_metadata_keys=_HIDDEN,
    )
    return NodeWithScore(node=node, score=1.0)


class AssistantRetriever(BaseRetriever):
    """LlamaIndex retriever over an Assistant's current index: dense + BM25, fused (``Assistant.retrieve``).

    ``k`` passages per query (default: the Assistant's ``settings.k``). A bad query (empty, too long)
    raises ``rag.errors.InvalidQuestionError``.
    """

    def __init__(self, assistant: Assistant, k: int | None = None, callback_manager: CallbackManager | None = None):
        self._assistant = assistant
        self.k = k
        super().__init__(callback_manager=callback_manager)

    @property
    def assistant(self) -> Assistant:
        """The Assistant this retriever reads through."""
        return self._assistant

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # Our own query embedding (MiniLM via ONNX) is used: a bundle's embedding may come from any model.
        return [passage_node(p) for p in self._assistant.retrieve(query_bundle.query_str, k=self.k)]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._retrieve, query_bundle)


class AssistantQueryEngine(BaseQueryEngine):
    """LlamaIndex query engine that answers with ``Assistant.ask``: checked citations, or an abstention."""

    def __init__(self, assistant: Assistant, k: int | None = None, callback_manager: CallbackManager | None = None):
        self._assistant = assistant
        self.k = k
        self._retriever = AssistantRetriever(assistant, k, callback_manager)
        super().__init__(callback_manager=callback_manager or CallbackManager([]))

    @property
    def assistant(self) -> Assistant:
        """The Assistant this engine asks."""
        return self._assistant

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # no prompts: the extractive answer uses none (llm mode's prompt is rag.answer.llm_prompt's)

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """The passages an answer reads (not the cited spans: those are ``Response.source_nodes``)."""
        return self._retriever.retrieve(query_bundle)

    def response(self, answer: Answer) -> Response:
        """An ``Answer`` as a LlamaIndex ``Response``."""
        doc_of = {str(m.get("source")): d for d, m in self._assistant.docs.items()}
        nodes = [citation_node(c, doc_of.get(c.source, "")) for c in answer.citations]
        meta = {
            "answer": answer,
            "abstained": answer.abstained,
            "reason": answer.reason,
            "mode": answer.mode,
            "citations": [c.to_dict() for c in answer.citations],
            "unsupported": list(answer.unsupported),
        }
        return Response(response=answer.text, source_nodes=nodes, metadata=meta)

    def _query(self, query_bundle: QueryBundle) -> Response:
        return self.response(self._assistant.ask(query_bundle.query_str, k=self.k))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        return await asyncio.to_thread(self._query, query_bundle)

    def __repr__(self) -> str:
        return f"AssistantQueryEngine(home={self._assistant.settings.home}, k={self.k})"
