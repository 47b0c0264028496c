"""Scores (question, sentence) pairs with the exported cross-encoder on ONNX Runtime: no torch at run time.

``sel``: P(the sentence answers the question); ``ans``: P(this evidence answers it at all), the
answerability decision. Pairs are tokenised together (question first, the sentence cut to fit
``MAX_LENGTH``), sorted by length and run in small calls on the caller's thread: a call is padded to its
longest pair, and the 12 sentences a question reads range from ~20 to ~75 wordpieces, so calls of 6
take 73 ms where one call of 12 takes 101 (int8 re-ranker, 10k bench index, 2 cores, measured).

With int8 (``rag.answer.rank_export``) ONNX Runtime quantises activations per call, so a pair's score
moves a little with the pairs it is called with (up to ~0.2 in probability, measured); the order
is what re-ranking reads, and its hit@5 is measured by ``rag bench``. fp32 scores do not move.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.warm import Warmable
from rag.answer.model import MAX_LENGTH

__all__ = ["CrossScorer", "PairScores", "passage_ranker", "ranker"]

_CALL_PAIRS = 6  # pairs per ONNX call (see above)


class PairScores:
    """Probabilities for ``n`` pairs: ``sel`` and ``ans`` arrays of shape ``(n,)``."""

    __slots__ = ("sel", "ans")

    def __init__(self, logits: np.ndarray) -> None:
        probs = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
        self.sel = probs[:, 0] if len(probs) else np.zeros(0)
        self.ans = probs[:, 1] if len(probs) else np.zeros(0)


class CrossScorer(Warmable):
    """The answer stage's model, loaded on first use (the ONNX export is made then if missing)."""

    def __init__(
        self,
        model: Path | None = None,
        threads: int = 1,
        adapter: Path | None = None,
        max_length: int = MAX_LENGTH,
        for_ranking: bool = False,
    ) -> None:
        # ``adapter``: which shipped adapter to export and run (default: the answer model's); ``model``:
        # an exported ONNX file to run as it is; ``for_ranking``: the int8 copy made for re-ranking,
        # where only the order of the scores matters (``rag.answer.rank_export``).
        self.model, self.threads, self.adapter, self.max_length = model, threads, adapter, max_length
        self.for_ranking = for_ranking
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                from index.embed import minilm_path
                from rag.answer.export import ensure_cross_model
                from rag.answer.rank_export import ensure_rank_model

                ensure = ensure_rank_model if self.for_ranking else ensure_cross_model
                path = self.model or ensure(self.adapter)
                tok = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
                tok.enable_truncation(self.max_length, strategy="only_second")
                tok.no_padding()
                opts = ort.SessionOptions()
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.intra_op_num_threads = self.threads
                opts.inter_op_num_threads = 1
                opts.log_severity_level = 3
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
                self._tokenizer = tok
        return self._session, self._tokenizer

    def score(self, question: str, sentences: Sequence[str]) -> PairScores:
        """Scores of ``question`` against each of ``sentences``, in order."""
        if not sentences:
            return PairScores(np.zeros((0, 2)))
        session, tok = self._load()
        encs = tok.encode_batch([(question, s) for s in sentences])
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        logits = np.zeros((len(encs), 2), dtype=np.float32)
        for at in range(0, len(order), _CALL_PAIRS):
            idx = order[at : at + _CALL_PAIRS]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            types = np.zeros_like(ids)
            for row, i in enumerate(idx):
                e = encs[i]
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1
                types[row, : len(e.ids)] = e.type_ids
            out = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            logits[idx] = out
        return PairScores(logits)


@functools.cache
def ranker() -> CrossScorer:
    """The shipped ranker as the learned answerer reads it (its thresholds read the scores' values), one
    ONNX session per process. Two threads: the pairs are scored on the asking thread."""
    return CrossScorer(threads=2)


@functools.cache
def passage_ranker() -> CrossScorer:
    """The shipped ranker as passage re-ranking (``rag.retrieval.rerank``) reads it: only the order of
    its scores is used, so its int8 copy, about twice as fast; scoring is most of a re-ranking's time."""
    return CrossScorer(threads=2, for_ranking=True)
