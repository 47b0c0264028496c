"""A damaged Chroma space is found on open and rebuilt from the durable vectors, embedding nothing again;
with the vectors gone too, it is refused with ``IndexCorruptError`` naming the command that rebuilds.

Real MiniLM, real Chroma. Each damage is done to a copy of one built index, the way a disk, a crash
or a stray tool would do it: truncating or scribbling on the vector index files and on Chroma's
SQLite database, deleting a segment folder or the whole space.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.embed import default_embedder
from rag import Assistant
from rag.errors import IndexCorruptError

QUESTION = "Which country's government intervened at Nexperia?"


def _right(text: str) -> bool:
    return "dutch" in text.lower() or "netherlands" in text.lower()


class Counting:
    """The real embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        self.inner = default_embedder()
        self.name, self.dim, self.texts = self.inner.name, self.inner.dim, 0

    def embed(self, texts):
        self.texts += len(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("built") / "home"
    a = Assistant(home=home)
    assert _right(a.ask(QUESTION).text)
    a.store.close()
    return home


def _space(home: Path) -> Path:
    manifest = json.loads((home / "rag_manifest.json").read_text(encoding="utf-8"))
    return home / "gens" / f"rag.{manifest['space']}"


def _scribble(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    for _ in range(n):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path.write_bytes(bytes(data))


def _segment(space: Path, name: str) -> Path:
    return sorted(space.glob(f"*/{name}"))[0]


DAMAGE = {
    "truncated vector data": lambda s: os.truncate(_segment(s, "data_level0.bin"), 1000),
    "scribbled vector data": lambda s: _scribble(_segment(s, "data_level0.bin"), 20_000),
    "truncated link lists": lambda s: os.truncate(_segment(s, "link_lists.bin"), 10),
    "scribbled index header": lambda s: _scribble(_segment(s, "header.bin"), 50),
    "truncated database": lambda s: os.truncate(s / "chroma.sqlite3", 8192),
    "scribbled database": lambda s: _scribble(s / "chroma.sqlite3", 20_000),
    "segment folder deleted": lambda s: shutil.rmtree(_segment(s, "header.bin").parent),
    "space deleted": lambda s: shutil.rmtree(s),
}


def _damaged(built: Path, tmp_path: Path, how: str) -> Path:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    DAMAGE[how](_space(home))
    return home


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_damaged_space_is_repaired_without_embedding(built: Path, tmp_path: Path, how: str, capfd) -> None:
    home = _damaged(built, tmp_path, how)
    gen = json.loads((home / "rag_manifest.json").read_text(encoding="utf-8"))["gen"]
    emb = Counting()
    a = Assistant(home=home, embedder=emb)
    assert emb.texts == 0  # rebuilt from the saved vectors (and saved word vectors)
    notice = [line for line in capfd.readouterr().err.splitlines() if "was damaged" in line]
    assert len(notice) == 1 and "rebuilding it from the saved vectors" in notice[0]
    assert a.store.committed["gen"] == gen + 1 and a.store.problem is None
    assert _right(a.ask(QUESTION).text)
    asked = emb.texts
    assert Assistant(home=home, embedder=emb).store.problem is None and emb.texts == asked  # sound from now on


def test_damaged_space_cli_repairs_and_answers(built: Path, tmp_path: Path, repo: Path) -> None:
    home = _damaged(built, tmp_path, "scribbled database")
    env = dict(os.environ, RAG_HOME=str(home))
    out = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", QUESTION],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert _right(out.stdout) and "Traceback" not in out.stderr
    assert [line for line in out.stderr.splitlines() if line.strip()][0].startswith("rag: the index at")


def test_damage_without_saved_vectors_is_refused_with_the_fix(built: Path, tmp_path: Path, repo: Path) -> None:
    home = _damaged(built, tmp_path, "scribbled vector data")
    (home / "rag_vectors.sqlite").unlink()
    with pytest.raises(IndexCorruptError, match="run `rag index`") as info:
        Assistant(home=home)
    assert "saved vectors lack" in str(info.value)
    env = dict(os.environ, RAG_HOME=str(home))
    ask = [sys.executable, "-m", "rag.cli", "ask", QUESTION]
    out = subprocess.run(ask, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 2 and len(lines) == 1 and "run `rag index`" in lines[0], out.stderr
    fixed = subprocess.run(
        [sys.executable, "-m", "rag.cli", "index"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    assert fixed.returncode == 0, fixed.stderr
    again = subprocess.run(ask, cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and _right(again.stdout), again.stderr


def test_damaged_saved_vectors_are_set_aside_and_reembedded(built: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(built, home)
    (home / "rag_vectors.sqlite").write_bytes(b"this is not a database" * 100)
    emb = Counting()
    a = Assistant(home=home, embedder=emb)  # the committed space is sound: it keeps answering
    assert _right(a.ask(QUESTION).text)
    report = a.index()
    assert report.embedded == 2 and emb.texts > 0 and list(home.glob("rag_vectors.sqlite.corrupt-*"))


def test_a_vocabulary_of_an_older_format_is_re_made_once_on_open(built: Path, tmp_path: Path) -> None:
    from index.vocab import VOCAB_FORMAT, Vocab

    home = tmp_path / "home"
    shutil.copytree(built, home)
    gen = json.loads((home / "rag_manifest.json").read_text(encoding="utf-8"))["gen"]
    current = home / f"rag_vocab.g{gen}.v{VOCAB_FORMAT}.npz"
    want = Vocab.load(current)
    old = home / f"rag_vocab.g{gen}.npz"  # how the previous format named it
    current.rename(old)
    emb = Counting()
    a = Assistant(home=home, embedder=emb)
    assert current.is_file() and a.store.committed["gen"] == gen  # the same generation, its vocabulary re-made
    assert not old.exists()  # the replaced file is not left for the next build's sweep
    got = Vocab.load(current)
    assert (got.words, got.df, got.n) == (want.words, want.df, want.n)
    assert emb.texts == 0  # counted from the saved sentences, word vectors from the saved word cache
    assert _right(a.ask(QUESTION).text)
