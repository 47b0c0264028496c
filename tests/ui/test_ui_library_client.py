"""The document endpoints on the real server through ``gradio_client``: upload, list_documents,
list_collections, set_metadata, remove_document, and ask's document filter and collection; refused
without a login when ``RAG_UI_AUTH`` is set."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from uiserver import start_server

pytestmark = pytest.mark.slow

FESTIVAL = "The zorblat festival is held every March in Quentonville.\n\nIt lasts exactly three days.\n"
Q = "How long does the zorblat festival last?"


@pytest.fixture(scope="module")
def lib_assistant(assistant: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The seeds in a home of its own (uploads must not leak into the session's shared server)."""
    from rag import Assistant

    return Assistant(
        home=tmp_path_factory.mktemp("lib-home"), embedder=assistant.embedder, upload_max_bytes=2048, upload_max_files=3
    )


@pytest.fixture(scope="module")
def lib_server(lib_assistant: Any) -> Iterator[str]:
    demo, url = start_server(lib_assistant)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def client(lib_server: str) -> Client:
    return Client(lib_server, verbose=False)


def _write(tmp: Path, name: str, data: bytes | str) -> str:
    p = tmp / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(p)


def test_upload_list_ask_scope_edit_remove(client: Client, tmp_path: Path) -> None:
    seeds = client.predict(api_name="/list_documents")
    assert len(seeds) == 2 and not any(d["uploaded"] for d in seeds)
    files = [
        handle_file(_write(tmp_path, "festival.txt", FESTIVAL)),
        handle_file(_write(tmp_path, "elf.txt", b"\x7fELF\x02\x01\x01\x00" * 64)),
        handle_file(_write(tmp_path, "huge.txt", "word " * 1000)),
    ]
    out = client.predict(files, "", api_name="/upload")
    assert len(out["stored"]) == 1 and "1 added" in out["build"]
    reasons = {r["name"]: r["reason"] for r in out["refused"]}
    assert "binary" in reasons["elf.txt"] and "RAG_UPLOAD_MAX_BYTES" in reasons["huge.txt"]
    docs = client.predict(api_name="/list_documents")
    up = next(d for d in docs if d["uploaded"])
    assert len(docs) == 3 and up["title"] == "festival" and up["chunks"] >= 1
    assert "three days" in client.predict(Q, 0, api_name="/ask")["text"]  # the plain (question, k) endpoint too
    ans = client.predict(Q, 0, None, "", api_name="/ask_documents")
    assert "three days" in ans["text"] and ans["citations"]
    c = ans["citations"][0]
    assert Path(c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    # Excluded (only the seeds ticked): it can be neither retrieved nor cited.
    scoped = client.predict(Q, 0, [d["id"] for d in seeds], "", api_name="/ask_documents")
    assert not any(p["source"] == c["source"] for p in scoped["passages"])
    assert not any(x["source"] == c["source"] for x in scoped["citations"])
    edited = client.predict(
        up["id"], "<img src=x onerror=alert(1)>", "Town hall", "2026-03-01", "", api_name="/set_metadata"
    )
    assert edited["title"] == "<img src=x onerror=alert(1)>" and edited["publisher"] == "Town hall"
    with pytest.raises(AppError, match="configured documents"):
        client.predict(seeds[0]["id"], "", api_name="/remove_document")
    left = client.predict(up["id"], "", api_name="/remove_document")
    assert {d["id"] for d in left} == {d["id"] for d in seeds}
    gone = client.predict(Q, 0, None, "", api_name="/ask_documents")
    assert not any(x["source"] == c["source"] for x in gone["citations"])
    with pytest.raises(AppError, match="no indexed document"):
        client.predict(Q, 0, [up["id"]], "", api_name="/ask_documents")


def test_collections_through_the_api(client: Client, tmp_path: Path) -> None:
    out = client.predict(
        [handle_file(_write(tmp_path, "fest.md", "# Festival\n\n" + FESTIVAL))], "proj-a", api_name="/upload"
    )
    assert out["stored"] and out["documents"][0]["title"] == "Festival"  # the Markdown heading is the title
    assert "proj-a" in client.predict(api_name="/list_collections")
    assert "three days" in client.predict(Q, 0, None, "proj-a", api_name="/ask_documents")["text"]
    assert not any(
        "zorblat" in x["quote"] for x in client.predict(Q, 0, None, "", api_name="/ask_documents")["citations"]
    )
    assert client.predict(api_name="/list_collections")[0] == "rag"
    with pytest.raises(AppError, match="not a collection name"):
        client.predict(api_name="/list_documents", collection="../../etc")
    many = [handle_file(_write(tmp_path, f"n{i}.txt", f"note number {i}")) for i in range(4)]
    with pytest.raises(AppError, match="RAG_UPLOAD_MAX_FILES"):
        client.predict(many, "proj-a", api_name="/upload")
    assert len(client.predict(api_name="/list_documents", collection="proj-a")) == 1  # nothing lost


@pytest.fixture(scope="module")
def auth_server(lib_assistant: Any) -> Iterator[str]:
    demo, url = start_server(lib_assistant, auth=("alice", "s3cret"))
    yield url
    demo.close()


def test_document_endpoints_refused_without_login(auth_server: str, tmp_path: Path) -> None:
    with pytest.raises(Exception) as caught:  # the client cannot even read the API without a login
        Client(auth_server, verbose=False)
    assert "401" in str(caught.value) or "auth" in str(caught.value).lower() or "login" in str(caught.value).lower()
    for name in ("upload", "list_documents", "set_metadata", "remove_document", "list_collections", "ask_documents"):
        req = urllib.request.Request(
            f"{auth_server}/gradio_api/call/{name}",
            data=b'{"data": []}',
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=30)
        assert err.value.code == 401, name
    file_up = urllib.request.Request(f"{auth_server}/gradio_api/upload", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(file_up, timeout=30)
    assert err.value.code == 401
    logged_in = Client(auth_server, auth=("alice", "s3cret"), verbose=False)
    assert len(logged_in.predict(api_name="/list_documents")) >= 2
