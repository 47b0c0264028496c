"""One settings object; every field can be overridden by a ``RAG_*`` environment variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "project_root", "default_docs", "MAX_QUESTION_CHARS", "DEFAULT_COLLECTION", "COLLECTION_PATTERN"]

MAX_QUESTION_CHARS = 2000
DEFAULT_COLLECTION = "rag"
COLLECTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,50}$"  # also a safe file-name prefix


def project_root() -> Path:
    """The checkout this package runs from (citations are relative to it), else the working folder."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").is_file() else Path.cwd().resolve()


def default_docs() -> list[Path]:
    """The seed articles: the checkout's ``seeds/``, else the copy a wheel installs inside the package."""
    here = project_root() / "seeds"
    return [here if here.is_dir() else Path(__file__).resolve().parent / "seeds"]


class Settings(BaseSettings):
    """Assistant settings: defaults suit the bundled seeds; ``RAG_K=8`` etc. override them."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid", validate_default=True)

    home: Path = Field(
        default_factory=lambda: project_root() / ".rag",
        description="Folder holding the embedded Chroma store, manifest and lock (git-ignored).",
    )
    docs: list[Path] = Field(
        default_factory=default_docs,
        description='Folders or files indexed when the index is missing (`RAG_DOCS=\'["a","b"]\'`).',
    )
    root: Path = Field(
        default_factory=project_root,
        description="Citations name files relative to this folder when they are inside it.",
    )
    collection: str = Field(
        default=DEFAULT_COLLECTION,
        pattern=COLLECTION_PATTERN,
        description="Named index under `home` (`RAG_COLLECTION`, `rag --collection NAME`): its manifest, vectors, "
        "Chroma spaces and uploads all carry this name. The default one indexes `docs` (the seeds).",
    )
    upload_max_bytes: int = Field(
        default=10 * 2**20,
        ge=1,
        le=16 * 2**20,
        description="Largest file accepted by an upload on the chat page, in bytes (at most the indexer's 16 MiB).",
    )
    upload_max_files: int = Field(default=200, ge=1, le=10_000, description="Most files accepted in one upload.")
    collection_max_bytes: int = Field(
        default=512 * 2**20,
        ge=1,
        description="Most bytes of uploaded files one collection may hold (`RAG_COLLECTION_MAX_BYTES`).",
    )
    chroma_url: str | None = Field(
        default=None, description="Chroma server URL (e.g. http://127.0.0.1:8000); unset = embedded store."
    )
    answer_mode: Literal["extractive", "llm"] = Field(
        default="extractive", description="Answer mode: extractive (no LLM) or llm (`RAG_ANSWER_MODE`)."
    )
    k: int = Field(default=5, ge=1, le=50, description="Passages retrieved per question (after fusion).")
    candidates: int = Field(
        default=10, ge=1, le=200, description="Hits taken from each retriever (dense, BM25) before fusion."
    )
    rerank: int = Field(
        default=20,
        ge=0,
        le=200,
        description="Fused passages re-ranked by the learned ranker (`rag/retrieval/rerank.py`) before the top "
        "k are kept; 0 keeps the fused order (`RAG_RERANK`).",
    )
    rerank_min_chunks: int = Field(
        default=1000,
        ge=0,
        description="Re-rank only in an index of at least this many chunks (`RAG_RERANK_MIN_CHUNKS`): on the "
        "seeds (8 chunks) re-ranking raised hit@5 0.96 -> 1.00 but lowered the rules' tuned-set correctness "
        "0.90 -> 0.86 and cost ~80 ms a question.",
    )
    answerer: Literal["rules", "learned"] = Field(
        default="rules",
        description="How extractive answers are chosen: the calibrated rules, or the learned cross-encoder "
        "(`rag/answer/`, trained on SQuAD 2.0 by `make train`; experimental until calibrated end to end).",
    )
    max_sentences: int = Field(default=2, ge=1, le=3, description="Most sentences in an extractive answer.")
    max_question_chars: int = Field(
        default=MAX_QUESTION_CHARS,
        ge=10,
        le=100_000,
        description="Longer questions are refused with a clear error.",
    )
    progress: bool | None = Field(default=None, description="Show progress bars (default: when on a terminal).")
    llm_gguf: Path | None = Field(
        default=None,
        description="GGUF model file for llm mode (`RAG_LLM_GGUF`); unset = the bundled SmolLM2-135M-Instruct.",
    )
    llm_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server for llm mode, e.g. http://127.0.0.1:11434/v1 (Ollama, vLLM, "
        "llama.cpp's server, OpenAI); takes precedence over `llm_gguf`.",
    )
    llm_model: str = Field(default="", description="Model name sent to the `llm_url` server (e.g. `llama3.2`).")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the `llm_url` server (`RAG_LLM_API_KEY`); never logged."
    )
    llm_max_tokens: int = Field(default=128, ge=8, le=4096, description="Most tokens the LLM may generate per answer.")
    llm_temperature: float = Field(default=0.0, ge=0.0, le=1.0, description="LLM sampling temperature (0 = greedy).")
    llm_context_window: int = Field(
        default=2048, ge=512, le=131_072, description="LLM context in tokens; the prompt's passages are cut to fit."
    )
    llm_prompt_chars: int = Field(
        default=1500,
        ge=200,
        le=400_000,
        description="Most characters of passages put in the LLM prompt (also bounded by `llm_context_window`); "
        "the default suits the bundled 135M model on a CPU, raise it for larger models.",
    )
    llm_threads: int | None = Field(
        default=None, ge=1, le=256, description="CPU threads for a local GGUF model (default: usable cores - 1, min 1)."
    )
    llm_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for an `llm_url` server reply.")
