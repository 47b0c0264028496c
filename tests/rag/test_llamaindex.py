"""The Assistant inside LlamaIndex's own tools: retriever, query engine, chat engine, evaluators.

Real MiniLM model and real Chroma store (the session ``assistant`` over the seeds); only the LLMs
that LlamaIndex's engines call are doubles (``MockLLM``, a scripted ``CustomLLM``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.chat_engine import CondensePlusContextChatEngine
from llama_index.core.evaluation import FaithfulnessEvaluator, RetrieverEvaluator
from llama_index.core.llms import CustomLLM, MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.errors import InvalidQuestionError
from rag.llamaindex import AssistantQueryEngine, AssistantRetriever

LICENCES = "How long are licences valid today?"
THREE_MONTH = "three-month"


class ScriptedLLM(CustomLLM):
    """An LLM whose reply is ``script(prompt)``; every prompt it saw is kept."""

    script: Any = None
    prompts: list[str] = []

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=4096, num_output=128, model_name="scripted")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=str(self.script(prompt)))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = self.complete(prompt).text

        def gen() -> CompletionResponseGen:
            yield CompletionResponse(text=text, delta=text)

        return gen()


def _squash(text: str) -> str:
    return " ".join(text.split())


def assert_exact_spans(nodes: list[NodeWithScore], root: Path) -> None:
    """Every node is drawn from the raw span its metadata names; a citation node's text *is* that span."""
    assert nodes
    for n in nodes:
        m = n.node.metadata
        raw = (root / m["source"]).read_text(encoding="utf-8")
        assert m["doc_id"], m
        if "citation_id" in m:
            assert raw[m["start"] : m["end"]] == n.node.get_content(), m
            continue
        # a chunk: cleaned text of raw[start:end]; each of its sentences an exact raw span inside it
        assert m["sentences"] and (n.node.start_char_idx, n.node.end_char_idx) == (m["start"], m["end"])
        for a, b in m["sentences"]:
            assert m["start"] <= a < b <= m["end"]
            assert _squash(raw[a:b]) in _squash(n.node.get_content()), (a, b)


def test_retriever_is_a_llamaindex_retriever(assistant) -> None:
    r = assistant.retriever
    assert isinstance(r, BaseRetriever) and isinstance(r, AssistantRetriever)
    nodes = r.retrieve(QueryBundle(query_str=LICENCES))
    assert all(isinstance(n, NodeWithScore) for n in nodes)
    assert len(nodes) == assistant.settings.k
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    assert_exact_spans(nodes, assistant.settings.root)
    assert {n.node.metadata["doc_id"] for n in nodes} <= set(assistant.docs)
    # a plain string works too, and matches the Assistant's own retrieval
    assert [n.node.node_id for n in r.retrieve(LICENCES)] == [p.chunk.id for p in assistant.retrieve(LICENCES)]


def test_retriever_k_and_bad_query(assistant) -> None:
    assert len(AssistantRetriever(assistant, k=2).retrieve(LICENCES)) == 2
    with pytest.raises(InvalidQuestionError):
        assistant.retriever.retrieve("   ")


def test_retriever_query_engine_from_args_returns_our_spans(assistant) -> None:
    """The issue's crash: LlamaIndex's own RetrieverQueryEngine over ``assistant.retriever``."""
    engine = RetrieverQueryEngine.from_args(assistant.retriever, llm=MockLLM())
    response = engine.query(LICENCES)
    assert_exact_spans(response.source_nodes, assistant.settings.root)
    assert any(THREE_MONTH in n.node.get_content() for n in response.source_nodes)
    assert [n.node.node_id for n in response.source_nodes] == [p.chunk.id for p in assistant.retrieve(LICENCES)]


def test_condense_plus_context_chat_engine(assistant) -> None:
    """A follow-up is condensed by the (scripted) LLM, retrieved by us, and our chunks are its context."""
    llm = ScriptedLLM()
    llm.prompts = []
    standalone = "How long do Chinese rare-earth export licences last today?"
    llm.script = lambda p: standalone if "standalone question" in p.lower() else "Three months. [scripted]"
    history = [
        ChatMessage(role="user", content="What are the EU and China negotiating about?"),
        ChatMessage(role="assistant", content="Export licences for rare earths."),
    ]
    chat = CondensePlusContextChatEngine.from_defaults(assistant.retriever, llm=llm, chat_history=history)
    reply = chat.chat("And how long do they last now?")
    assert reply.response == "Three months. [scripted]"
    assert_exact_spans(reply.source_nodes, assistant.settings.root)
    ids = [n.node.node_id for n in reply.source_nodes]
    assert ids == [p.chunk.id for p in assistant.retrieve(standalone)]  # retrieved for the condensed question
    final = llm.prompts[-1]
    assert reply.source_nodes[0].node.get_content()[:80] in final  # our chunk is in the answering prompt
    assert "start:" not in final and "doc_id" not in final  # offsets are hidden from the LLM


def test_retriever_evaluator_hit_rate_and_mrr(assistant) -> None:
    """LlamaIndex's RetrieverEvaluator scores our retriever against the chunk that holds the answer."""
    expected = [p.chunk.id for p in assistant.retrieve(LICENCES) if THREE_MONTH in p.chunk.text][:1]
    assert expected, "no retrieved chunk mentions three-month licences"
    evaluator = RetrieverEvaluator.from_metric_names(["hit_rate", "mrr"], retriever=assistant.retriever)
    result = evaluator.evaluate(query=LICENCES, expected_ids=expected)
    scores = result.metric_vals_dict
    assert scores["hit_rate"] == 1.0 and scores["mrr"] > 0


def test_query_engine_cites_exact_spans(assistant) -> None:
    engine = assistant.as_query_engine()
    assert isinstance(engine, BaseQueryEngine) and isinstance(engine, AssistantQueryEngine)
    response = engine.query(LICENCES)
    answer = response.metadata["answer"]
    assert response.response == answer.text and not response.metadata["abstained"]
    assert THREE_MONTH in response.response
    assert [n.node.get_content() for n in response.source_nodes] == [c.quote for c in answer.citations]
    assert response.metadata["citations"] == [c.to_dict() for c in answer.citations]
    assert_exact_spans(response.source_nodes, assistant.settings.root)
    assert [n.node.node_id for n in engine.retrieve(QueryBundle(LICENCES))] == [p.chunk.id for p in answer.passages]


def test_query_engine_abstains(assistant) -> None:
    response = AssistantQueryEngine(assistant).query("Who won the 2022 football World Cup?")
    assert response.metadata["abstained"] is True and response.metadata["answer"].abstained
    assert response.source_nodes == [] and response.metadata["citations"] == []


def test_query_engine_async(assistant) -> None:
    import asyncio

    response = asyncio.run(AssistantQueryEngine(assistant, k=3).aquery(LICENCES))
    assert THREE_MONTH in str(response)


def test_faithfulness_evaluator_reads_our_citations(assistant) -> None:
    """LlamaIndex's FaithfulnessEvaluator (scripted judge LLM) gets the cited quotes as its context."""
    llm = ScriptedLLM()
    llm.prompts = []
    llm.script = lambda p: "YES"
    response = assistant.as_query_engine().query(LICENCES)
    result = FaithfulnessEvaluator(llm=llm).evaluate_response(query=LICENCES, response=response)
    assert result.passing is True
    assert all(any(n.node.get_content() in p for p in llm.prompts) for n in response.source_nodes)
    assert result.contexts == [n.node.get_content() for n in response.source_nodes]


def test_retriever_follows_reindexing(tmp_path: Path, seeds_dir: Path) -> None:
    """A retriever handed out before ``index()`` answers from the new generation after it."""
    from rag import Assistant

    docs = tmp_path / "docs"
    shutil.copytree(seeds_dir, docs)
    a = Assistant(home=tmp_path / "home", docs=[docs], progress=False)
    retriever = a.retriever
    before = {n.node.metadata["source"] for n in retriever.retrieve("zebra migration across the Serengeti plains")}
    (docs / "zebras.txt").write_text(
        "Zebra migration across the Serengeti plains follows the rains every year.\n", encoding="utf-8"
    )
    a.index([docs])
    hits = retriever.retrieve("zebra migration across the Serengeti plains")
    assert not any(s.endswith("zebras.txt") for s in before)
    assert hits[0].node.metadata["source"].endswith("zebras.txt")
    assert_exact_spans(hits, a.settings.root)
