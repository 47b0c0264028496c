"""Uploads and collections through the API: safe storage, limits, metadata edits, removal, targets.

Real MiniLM and Chroma (sharing the session's model); each test has its own home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rag.errors import InvalidQuestionError
from rag.library import collection_targets, list_collections, uploads_dir
from rag.uploads import read_meta, shown_name, sniff
from tests.index.test_scale import _pdf  # a minimal one-page PDF

FESTIVAL = "The zorblat festival is held every March in Quentonville.\n\nIt lasts exactly three days.\n"
Q = "How long does the zorblat festival last?"


def _file(tmp: Path, name: str, data: bytes | str) -> Path:
    p = tmp / "client" / name.replace("/", "_")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return p


@pytest.fixture()
def home_assistant(assistant: Any, tmp_path: Path) -> Any:
    from rag import Assistant

    return Assistant(home=tmp_path / "home", embedder=assistant.embedder, upload_max_bytes=4096)


def test_sniff_decides_by_content() -> None:
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff(b"<!DOCTYPE html><html><body><p>x</p></body></html>") == "html"
    assert sniff(b"# Title\n\nSome text.") == "md"
    assert sniff(b"Plain words.") == "txt"
    assert sniff(b"\x7fELF\x02\x01\x01\x00\x00") is None  # a binary named .txt
    assert sniff(b"\xff\xfe\xfd") is None and sniff(b"   ") is None
    assert sniff(bytes(range(1, 32)) * 50) is None  # valid UTF-8, yet control characters
    assert shown_name("../../x.txt") == "x.txt" and shown_name("C:\\evil\\..\\y.md") == "y.md"


@pytest.mark.slow
def test_hostile_uploads_refused_and_nothing_lost(home_assistant: Any, tmp_path: Path) -> None:
    from rag.sources import Sources

    a = home_assistant
    src = Sources(a)
    before = {d.id for d in src.list()}
    assert len(before) == 2  # the seeds
    files = [
        ("binary.txt", _file(tmp_path, "binary.txt", b"\x7fELF\x00\x01\x02" * 100)),
        ("big.txt", _file(tmp_path, "big.txt", "word " * 2000)),
        ("../../x.txt", _file(tmp_path, "../../x.txt", FESTIVAL)),
        (
            "evil.html",
            _file(
                tmp_path,
                "evil.html",
                "<html><head><title><script>alert(1)</script></title></head>"
                "<body><p>Harmless text about gardening in April.</p></body></html>",
            ),
        ),
    ]
    report, build = src.add(files)
    reasons = {r.name: r.reason for r in report.refused}
    assert "binary" in reasons["binary.txt"]
    assert "4,096 bytes" in reasons["big.txt"] and "RAG_UPLOAD_MAX_BYTES" in reasons["big.txt"]
    assert len(report.stored) == 2 and build is not None and len(build.added) == 2
    up = uploads_dir(a.settings)
    assert sorted(p.name for p in up.iterdir() if not p.name.startswith(".")) == sorted(
        [*report.stored, "sources.toml"]
    )
    assert not (tmp_path / "x.txt").exists() and not (up.parent.parent / "x.txt").exists()
    meta = read_meta(up)
    assert {m["uploaded_as"] for m in meta.values()} == {"x.txt", "evil.html"}
    assert any(m["title"] == "<script>alert(1)</script>" for m in meta.values())  # stored as data; escaped when shown
    after = {d.id for d in src.list()}
    assert before < after and len(after) == 4
    ans = a.ask(Q)
    assert "three days" in ans.text and all(
        c.source.startswith(str(up)) or "uploads" in c.source for c in ans.citations
    )
    # Same bytes again: stored once; too many files: the whole upload refused with the limit named.
    again, build2 = src.add([("copy.txt", _file(tmp_path, "copy.txt", FESTIVAL))])
    assert again.duplicates == ("copy.txt",) and build2 is None
    with pytest.raises(InvalidQuestionError, match="RAG_UPLOAD_MAX_FILES"):
        src.add([("f.txt", _file(tmp_path, "f.txt", "x"))] * (a.settings.upload_max_files + 1))
    assert {d.id for d in src.list()} == after


@pytest.mark.slow
def test_collection_size_limit(assistant: Any, tmp_path: Path) -> None:
    from rag import Assistant
    from rag.sources import Sources

    a = Assistant(home=tmp_path / "h", collection="tiny", embedder=assistant.embedder, collection_max_bytes=150)
    report, _ = Sources(a).add(
        [("a.txt", _file(tmp_path, "a.txt", FESTIVAL)), ("b.txt", _file(tmp_path, "b.txt", "B" * 100))]
    )
    assert len(report.stored) == 1 and "RAG_COLLECTION_MAX_BYTES" in report.refused[0].reason


@pytest.mark.slow
def test_edit_and_remove(home_assistant: Any, tmp_path: Path) -> None:
    from rag.sources import Sources

    a = home_assistant
    src = Sources(a)
    report, _ = src.add([("festival.txt", _file(tmp_path, "festival.txt", FESTIVAL))])
    doc = next(d for d in src.list() if d.uploaded)
    assert doc.title == "festival" and doc.chunks >= 1
    build = src.edit(doc.id, title="Quentonville <b>guide</b>", publisher="Town hall", date="2026-03-01")
    assert build.embedded == 0 and build.published  # metadata only: no re-embedding
    edited = next(d for d in src.list() if d.id == doc.id)
    assert (edited.title, edited.publisher, edited.date) == ("Quentonville <b>guide</b>", "Town hall", "2026-03-01")
    assert a.ask(Q).citations[0].publisher == "Town hall"
    with pytest.raises(InvalidQuestionError, match="only title"):
        src.edit(doc.id, source="/etc/passwd")
    seed = next(d for d in src.list() if not d.uploaded)
    with pytest.raises(InvalidQuestionError, match="configured documents"):
        src.remove(seed.id)
    src.remove(doc.id)
    assert doc.id not in {d.id for d in src.list()} and len(src.list()) == 2
    assert not list(uploads_dir(a.settings).glob("*.txt"))
    ans = a.ask(Q)
    assert ans.abstained or all("uploads" not in c.source for c in ans.citations)


@pytest.mark.slow
def test_collections_are_separate_and_cli_keeps_uploads(assistant: Any, tmp_path: Path, repo: Path) -> None:
    from rag import Assistant
    from rag.sources import Collections, Sources

    home = tmp_path / "home"
    base = Assistant(home=home, embedder=assistant.embedder)
    cols = Collections(base)
    with pytest.raises(InvalidQuestionError, match="no collection named"):
        cols.get("project-x")  # a typo does not quietly start an empty collection
    proj = cols.get("project-x", create=True)
    assert proj.docs == {} and proj.ask(Q).abstained
    Sources(proj).add([("festival.txt", _file(tmp_path, "festival.txt", FESTIVAL))])
    assert "three days" in proj.ask(Q).text
    assert not any("zorblat" in c.quote for c in base.ask(Q).citations)  # the default collection never sees it
    assert list_collections(home) == ["rag", "project-x"]
    with pytest.raises(InvalidQuestionError, match="not a collection name"):
        cols.get("../etc")
    # A named collection indexed from a folder on the CLI keeps its uploads, and remembers the folder.
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "note.txt").write_text("The Quentonville bridge opened in 1911.\n", encoding="utf-8")
    env = dict(os.environ, RAG_HOME=str(home))
    run = [sys.executable, "-m", "rag.cli"]
    out = subprocess.run(
        [*run, "index", "--collection", "project-x", str(folder)],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "1 added" in out.stdout and "0 removed" in out.stdout, out.stdout
    out = subprocess.run(
        [*run, "index", "--collection", "project-x"], capture_output=True, text=True, cwd=repo, env=env, timeout=300
    )
    assert out.returncode == 0 and "0 removed" in out.stdout, out.stdout
    assert json.loads((home / "project-x_docs.json").read_text()) == [str(folder.resolve())]
    assert collection_targets(proj.settings) == [folder.resolve(), uploads_dir(proj.settings)]
    out = subprocess.run(
        [*run, "ask", "--collection", "project-x", "--json", "When did the Quentonville bridge open?"],
        capture_output=True,
        text=True,
        cwd=repo,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "1911" in json.loads(out.stdout)["text"]
    bad = subprocess.run([*run, "ask", "--collection", "../x", "q"], capture_output=True, text=True, cwd=repo, env=env)
    assert bad.returncode == 2 and "not a collection name" in bad.stderr


@pytest.mark.slow
def test_pdf_upload_by_content(assistant: Any, tmp_path: Path) -> None:
    from rag import Assistant
    from rag.sources import Sources

    a = Assistant(home=tmp_path / "home", collection="pdfs", embedder=assistant.embedder)
    src = Sources(a)
    pdf = _pdf(["Gallium export quotas were tightened in March.", "The new quota for gallium is forty tonnes a year."])
    report, build = src.add(
        [
            ("report.txt", _file(tmp_path, "report.txt", pdf)),  # a PDF named .txt: stored as the PDF it is
            ("broken.pdf", _file(tmp_path, "broken.pdf", b"%PDF-1.4 this is not really a pdf")),
        ]
    )
    assert [n.rsplit(".", 1)[1] for n in report.stored] == ["pdf"] and build is not None and len(build.added) == 1
    assert "PDF" in report.refused[0].reason
    ans = a.ask("What is the new quota for gallium?")
    assert "forty tonnes" in ans.text
    for c in ans.citations:
        path = Path(c.source) if Path(c.source).is_absolute() else Path(a.settings.root) / c.source
        assert path.read_text(encoding="utf-8")[c.start : c.end] == c.quote
    doc = next(d for d in src.list() if d.uploaded)
    src.edit(doc.id, title="Gallium report")
    assert next(d for d in src.list() if d.id == doc.id).title == "Gallium report"
    src.remove(doc.id)
    assert src.list() == []


@pytest.mark.slow
def test_rag_index_without_paths_keeps_the_default_collections_uploads(
    home_assistant: Any, tmp_path: Path, repo: Path
) -> None:
    from rag.sources import Sources

    a = home_assistant
    Sources(a).add([("festival.txt", _file(tmp_path, "festival.txt", FESTIVAL))])
    assert len(a.docs) == 3
    env = dict(os.environ, RAG_HOME=str(a.settings.home))
    for args in (["index"], ["index", str(repo / "seeds")], ["index", "--rebuild"]):
        out = subprocess.run(
            [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, cwd=repo, env=env, timeout=300
        )
        assert out.returncode == 0, out.stderr
        assert "0 removed" in out.stdout, (args, out.stdout)
    assert "three days" in a.ask(Q).text and len(a.docs) == 3  # the running assistant reopened, upload still there
