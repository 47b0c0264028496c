"""The ``rag`` command: exit 0 on success, exit 2 with one line on stderr for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _rag(args: list[str], home: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, RAG_HOME=str(home), **env)
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, cwd=cwd, env=full_env, timeout=300
    )


def test_ask_json(assistant, repo) -> None:
    out = _rag(["ask", "What kind of company is Nexperia?", "--json", "--k", "4"], assistant.settings.home, repo)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert not data["abstained"] and "chipmaker" in data["text"]
    c = data["citations"][0]
    assert (repo / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "empty"),
        (["ask", "x" * 2500], "limit"),
        (["ask", "What is Nexperia?", "--k", "0"], "k must be"),
        (["ask"], "required"),
        (["bogus"], "invalid choice"),
        (["index", "/no/such/folder"], "no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(assistant, repo, args, message) -> None:
    out = _rag(args, assistant.settings.home, repo)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr


def test_index_reports_skipped_files(tmp_path: Path, corpus: Path, repo) -> None:
    (corpus / "broken.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    out = _rag(["index", str(corpus)], tmp_path / "home", repo, RAG_DOCS=json.dumps([str(corpus)]))
    assert out.returncode == 0, out.stderr
    assert "skipped" in out.stderr and "broken.txt" in out.stderr
    assert "2 added" in out.stdout or "unchanged" in out.stdout


def test_corrupt_index_message_names_the_fix(tmp_path: Path, repo) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "rag_manifest.json").write_text("{broken", encoding="utf-8")
    out = _rag(["ask", "What is Nexperia?"], home, repo)
    assert out.returncode == 2 and "run `rag index`" in out.stderr
    fixed = _rag(["index"], home, repo)
    assert fixed.returncode == 0, fixed.stderr


def test_ask_quick_exit_flushes_and_keeps_the_exit_code(assistant, repo) -> None:
    # `rag ask` ends with os._exit after flushing (rag.cli.run): the whole answer must still arrive,
    # and a reader that leaves early must not cause a traceback.
    home = assistant.settings.home
    env = dict(os.environ, RAG_HOME=str(home))
    cmd = [sys.executable, "-m", "rag.cli", "ask", "What kind of company is Nexperia?"]
    full = subprocess.run(cmd, capture_output=True, text=True, cwd=repo, env=env, timeout=300)
    assert full.returncode == 0 and full.stdout.rstrip().endswith("”"), full.stderr
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: printing the answer breaks the pipe
    try:
        gone = subprocess.run(cmd, stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=repo, env=env, timeout=300)
    finally:
        os.close(write_end)
    assert gone.returncode == 1 and "Traceback" not in gone.stderr and "BrokenPipe" not in gone.stderr, gone.stderr


def test_quick_exit_after_a_first_build_leaves_the_index_whole(tmp_path: Path, corpus: Path, repo) -> None:
    # `rag ask` on a missing index builds it, answers, then ends with os._exit: the build must be committed
    # by then, so the next command finds it as it was (nothing to re-embed, no repair, one generation).
    home = tmp_path / "home"
    env = {"RAG_DOCS": json.dumps([str(corpus)])}
    first = _rag(["ask", "What kind of company is Nexperia?"], home, repo, **env)
    assert first.returncode == 0 and "[1]" in first.stdout, first.stderr
    from index.store import Store

    opened = Store(home)  # the integrity check of every open: files' CRCs, SQLite, collections
    try:
        assert opened.problem is None
    finally:
        opened.close()
    again = _rag(["index"], home, repo, **env)
    assert again.returncode == 0, again.stderr
    assert "0 chunks embedded" in again.stdout and "2 unchanged" in again.stdout
    assert len([g for g in (home / "gens").iterdir()]) == 1
