"""RAG_UI_AUTH=user:password: without a login the page's app and its API are refused (plain urllib)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from typing import Any

import pytest
from uiserver import start_server

from rag.errors import ConfigError
from ui.app import auth_from_env

pytestmark = pytest.mark.slow
ASK = json.dumps({"data": ["What kind of company is Nexperia?", 0]}).encode()


@pytest.fixture(scope="module")
def auth_server(assistant: Any) -> Iterator[str]:
    mp = pytest.MonkeyPatch()
    mp.setenv("RAG_UI_AUTH", "alice:s3cret:with-colon")
    try:
        auth = auth_from_env()
    finally:
        mp.undo()
    assert auth == ("alice", "s3cret:with-colon")
    demo, url = start_server(assistant, auth=auth)
    yield url
    demo.close()


def _status(req: urllib.request.Request | str, opener: Any = None) -> tuple[int, str]:
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def _post(url: str, body: bytes, ctype: str = "application/json") -> urllib.request.Request:
    return urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": ctype})


def test_page_and_api_refused_without_login(auth_server: str) -> None:
    status, page = _status(auth_server + "/")
    # Gradio answers the page with its login form only: no app, no components.
    assert status == 200 and '"auth_required":true' in page.replace(" ", "") and "rag-chat" not in page
    assert _status(auth_server + "/config")[0] == 401
    assert _status(_post(auth_server + "/gradio_api/call/ask", ASK))[0] == 401
    assert _status(_post(auth_server + "/gradio_api/queue/join", b"{}"))[0] == 401
    form = urllib.parse.urlencode({"username": "alice", "password": "wrong"}).encode()
    assert _status(_post(auth_server + "/login", form, "application/x-www-form-urlencoded"))[0] == 400


def test_api_works_after_login(auth_server: str) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = urllib.parse.urlencode({"username": "alice", "password": "s3cret:with-colon"}).encode()
    assert _status(_post(auth_server + "/login", form, "application/x-www-form-urlencoded"), opener)[0] == 200
    status, page = _status(auth_server + "/", opener)
    assert status == 200 and "rag-chat" in page
    status, body = _status(_post(auth_server + "/gradio_api/call/ask", ASK), opener)
    assert status == 200
    event = json.loads(body)["event_id"]
    status, stream = _status(f"{auth_server}/gradio_api/call/ask/{event}", opener)
    assert status == 200 and "chipmaker" in stream


@pytest.mark.parametrize("value", ["alice", ":pw", "alice:", "   "])
def test_malformed_auth_is_a_clear_error(value: str) -> None:
    if not value.strip():
        assert auth_from_env(value.strip()) is None
        return
    with pytest.raises(ConfigError, match="user:password"):
        auth_from_env(value)
