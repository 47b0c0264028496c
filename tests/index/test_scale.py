"""Large-corpus mechanics: batching, resuming a killed build without duplicates, incremental vocabulary, PDFs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.store import Store
from index.vocab import TermCounts, Vocab
from tests.index.test_build import CountingEmbedder


def _corpus(folder: Path, seeds_dir: Path, n: int) -> Path:
    """``n`` small documents cut from the seed articles (deterministic)."""
    folder.mkdir(parents=True, exist_ok=True)
    paras = []
    for f in sorted(seeds_dir.glob("*.txt")):
        paras += [p.strip() for p in f.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 80]
    for i in range(n):
        body = "\n\n".join(paras[(i * 3 + j) % len(paras)] for j in range(3))
        (folder / f"doc{i:03d}.txt").write_text(f"Document {i}\n\n{body}\n", encoding="utf-8")
    return folder


def _state(store: Store) -> tuple[list[str], list[str], tuple[int, int]]:
    return sorted(store.chunks.get(include=[])["ids"]), sorted(store.sents.get(include=[])["ids"]), store.count()


def test_batches_across_documents_and_chroma_limit(tmp_path: Path, seeds_dir: Path, monkeypatch) -> None:
    import index.store

    docs = _corpus(tmp_path / "docs", seeds_dir, 12)
    (docs / "chrome_only.txt").write_text("Advertisement\n\n----\n", encoding="utf-8")  # no sentence at all
    emb = CountingEmbedder()
    monkeypatch.setattr(index.store, "MAX_BATCH", 7)  # force many Chroma calls per flush
    store = Store(tmp_path / "home")
    report = build_index([docs], store, emb, tmp_path, progress=False, batch_texts=60)
    assert len(report.added) == 13
    assert emb.calls < 12  # several documents per embedding call (+1 for the vocabulary)
    chunks, sents = store.count()
    manifest = store.manifest()["docs"]
    assert chunks == sum(e["chunks"] for e in manifest.values()) == report.chunks
    assert sents == sum(e["sentences"] for e in manifest.values())


def test_incremental_vocab_equals_full_recount_and_embeds_no_word_twice(tmp_path: Path, seeds_dir: Path) -> None:
    docs = _corpus(tmp_path / "docs", seeds_dir, 8)
    store = Store(tmp_path / "home")
    emb = CountingEmbedder()
    build_index([docs], store, emb, tmp_path, progress=False)
    first_words = Vocab.load(store.vocab_path).words
    (docs / "doc001.txt").write_text("A replaced document about gallium and germanium quotas.\n", encoding="utf-8")
    (docs / "doc002.txt").unlink()
    (docs / "new.txt").write_text("An added note on antimony shipments to Rotterdam.\n", encoding="utf-8")
    emb.texts = 0
    report = build_index([docs], store, emb, tmp_path, progress=False)
    assert report.updated and report.removed and report.added
    got = Vocab.load(store.vocab_path, with_counts=True)
    full = TermCounts()
    full.add(store.sents.get(include=["documents"])["documents"])
    assert got.counts is not None
    assert got.n == full.n and got.df == dict(full.df) and dict(got.counts.freq) == dict(full.freq)
    assert "antimony" in got.words and "gallium" in got.words
    # Only the two new documents' texts and their new words were embedded: saved word vectors are reused.
    assert emb.texts == report.texts + len(
        {
            "antimony",
            "shipments",
            "rotterdam",
            "replaced",
            "gallium",
            "germanium",
            "quotas",
            "document",
            "added",
            "note",
        }
        - set(first_words)
    )


_KILLABLE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from index.build import build_index
    from index.store import Store
    from tests.index.test_build import CountingEmbedder

    class Slow(CountingEmbedder):
        def embed(self, texts):
            time.sleep(0.25)
            return super().embed(texts)

    build_index([Path(sys.argv[1])], Store(Path(sys.argv[2])), Slow(), Path(sys.argv[3]), progress=False,
                batch_texts=20)
    """
)


def saved_versions(home: Path) -> int:
    """Document versions whose vectors a build saved durably (0 before the first batch)."""
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{home / 'rag_vectors.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT count(*) FROM versions").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killed_build_resumes_without_duplicates(tmp_path: Path, seeds_dir: Path, repo: Path) -> None:
    docs = _corpus(tmp_path / "docs", seeds_dir, 40)
    home = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(docs), str(home), str(tmp_path)],
        cwd=repo,
        env=dict(os.environ, PYTHONPATH=str(repo)),
    )
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        done = saved_versions(home)
        if done >= 8:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the build finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = saved_versions(home)
    assert 8 <= done < 40

    store = Store(home)
    assert not store.manifest()["docs"]  # nothing committed, progress saved
    emb = CountingEmbedder()
    report = build_index([docs], store, emb, tmp_path, progress=False)
    assert len(report.reused) == done and len(report.added) == 40 and report.embedded == 40 - done

    clean = Store(tmp_path / "clean")
    build_index([docs], clean, CountingEmbedder(), tmp_path, progress=False)
    assert _state(store) == _state(clean)  # same chunk and sentence ids, no duplicates
    assert store.manifest()["docs"] == clean.manifest()["docs"]
    a, b = Vocab.load(store.vocab_path), Vocab.load(clean.vocab_path)
    assert a.n == b.n and a.df == b.df and a.words == b.words and np.allclose(a.vecs, b.vecs)


def _pdf(lines: list[str]) -> bytes:
    """A minimal one-page PDF showing ``lines`` in Helvetica (enough for pypdf's text extraction)."""
    ops = ["BT", "/F1 12 Tf", "72 720 Td", "14 TL"]
    for line in lines:
        ops.append("(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_pdf_is_cited_through_its_text_copy(tmp_path: Path) -> None:
    from rag import Assistant

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.pdf").write_bytes(
        _pdf(
            [
                "Gallium export quotas were tightened in March.",
                "The ministry said the new quota for gallium is forty tonnes a year.",
            ]
        )
    )
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    a = Assistant(home=tmp_path / "home", docs=[docs], root=tmp_path, progress=False)
    report = a.index()
    assert [s.path for s in a.index().skipped] == ["docs/broken.pdf"] and not report.added
    source = "home/pdf-text/docs/report.pdf.txt"
    assert source in a.store.manifest()["docs"]
    ans = a.ask("What is the new quota for gallium?")
    assert not ans.abstained and "forty tonnes" in ans.text
    for c in ans.citations:
        assert c.source == source
        assert (tmp_path / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote
    assert [m["original"] for m in a.docs.values()] == ["docs/report.pdf"]
    # Unchanged PDF: nothing re-extracted or re-embedded; a deleted text copy is re-made (its vectors are saved).
    assert a.index().embedded == 0
    (tmp_path / source).unlink()
    again = a.index()
    assert again.embedded == 0 and again.reused == [source] and (tmp_path / source).is_file()
