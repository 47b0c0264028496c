"""LLM backends: settings from RAG_LLM_* variables, fail-fast configuration errors, and an
OpenAI-compatible server (a local stub speaking the chat-completions streaming protocol)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.errors import ConfigError
from rag.settings import Settings

REPLY = "Currently, only three-month licences are available [1]. Licences are handed out by drones [2]."


def test_llm_settings_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("RAG_LLM_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_LLM_MODEL", "llama3.2")
    monkeypatch.setenv("RAG_LLM_API_KEY", "sk-secret")
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "64")
    monkeypatch.setenv("RAG_ANSWER_MODE", "llm")
    s = Settings()
    assert (s.llm_url, s.llm_model, s.llm_max_tokens, s.answer_mode) == ("http://127.0.0.1:9/v1", "llama3.2", 64, "llm")
    assert s.llm_api_key is not None and s.llm_api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(s) and "sk-secret" not in str(s.model_dump())
    for name, field in Settings.model_fields.items():
        if name.startswith("llm_"):
            assert field.description, name


def test_missing_gguf_is_a_config_error(tmp_path) -> None:
    pytest.importorskip("llama_cpp")
    from rag.answer.llm import check_llm_available

    with pytest.raises(ConfigError, match="no such GGUF"):
        check_llm_available(Settings(llm_gguf=tmp_path / "nope.gguf"))


def test_assistant_llm_mode_fails_fast(assistant, tmp_path) -> None:
    pytest.importorskip("llama_cpp")
    from rag import Assistant

    with pytest.raises(ConfigError):
        Assistant(home=assistant.settings.home, embedder=assistant.embedder, mode="llm", llm_gguf=tmp_path / "x.gguf")


def test_bundled_model_is_found_without_download() -> None:
    pytest.importorskip("llama_cpp")
    from rag.answer.llm import bundled_gguf

    path = bundled_gguf()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


class _ChatStub(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions`` with ``stream: true``, answering ``REPLY`` word by word."""

    requests: list[dict] = []

    def log_message(self, *args: object) -> None:
        pass

    def _chunks(self, model: str) -> Iterator[bytes]:
        words = REPLY.split(" ")
        for i, w in enumerate(words):
            delta = {"content": w + (" " if i < len(words) - 1 else "")}
            if i == 0:
                delta["role"] = "assistant"
            chunk = {
                "id": "stub",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
            yield f"data: {json.dumps(chunk)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["authorization"] = self.headers.get("Authorization")
        type(self).requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for part in self._chunks(body.get("model", "")):
            self.wfile.write(part)
            self.wfile.flush()


@pytest.fixture()
def chat_server() -> Iterator[str]:
    pytest.importorskip("llama_index.llms.openai_like")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def test_openai_compatible_server(assistant, chat_server, repo) -> None:
    from rag import Assistant
    from rag.grounding.verify import is_supported

    _ChatStub.requests.clear()
    a = Assistant(
        home=assistant.settings.home,
        embedder=assistant.embedder,
        mode="llm",
        llm_url=chat_server,
        llm_model="stub-model",
        llm_api_key="sk-test",
    )
    items = list(a.stream("How long do Chinese rare-earth export licences last today?"))
    *deltas, ans = items
    assert "".join(deltas) == REPLY
    (req,) = _ChatStub.requests
    assert req["model"] == "stub-model" and req["stream"] is True and req["authorization"] == "Bearer sk-test"
    assert [m["role"] for m in req["messages"]] == ["system", "user"] and "[1]" in req["messages"][1]["content"]
    assert ans.mode == "llm" and "drones" not in ans.text and "three-month" in ans.text
    assert ans.unsupported == ("Licences are handed out by drones.",)
    (c,) = ans.citations
    assert (repo / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    assert is_supported(c.quote, "Currently, only three-month licences are available.")
