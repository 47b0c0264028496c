"""Crash safety: ``rag index`` SIGKILLed at 22 seeded points resumes to exactly the clean build.

The real CLI and the real default embedder run as subprocesses. A first build commits seeds + 800
one-sentence files; then 2,000 files are added, 20 changed and 10 deleted, and the update is killed
again and again. Kill points come from failpoints (``index.failpoints``) and from outside:

* durable-vector writes: inside a transaction (rows written, not committed), during its COMMIT, and
  at a random moment while a batch is being embedded (killed from outside);
* Chroma writes of the new generation: *during* an ``add`` call (killed from another process a random
  time into it), right after one, after the whole space was written and checked but before the
  manifest swap, and from outside at a random moment of the publish;
* after the manifest swap, before the sweep.

After every kill the committed index (opened by a fresh process, as a user would) answers the
acceptance questions exactly as before, and nothing needs repairing. At the end one more ``rag index``
finishes; it embeds nothing (every batch a killed run saved is reused), and the result has the same
ids, manifest, vocabulary and answers as a clean build in another folder, with one copy of each record.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FIRST, ADDED, CHANGED, DELETED = 800, 2000, 20, 10
POOL = 800  # distinct filler words
KILLS = 22
SEED = 20251201
WAIT_S = 240.0  # generous: a run that gets nowhere by then is a failure, not a slow machine


def _filler_words(seeds_dir: Path) -> list[str]:
    """``POOL`` plain English words from the embedding model's vocabulary that the seed articles never use.

    Off-topic words keep the filler out of the seed answers; random words, unlike a template, give
    no near-tied look-alike sentences whose order float noise could flip.
    """
    from index.embed import minilm_path

    used = {w.lower() for f in seeds_dir.glob("*.txt") for w in re.findall(r"[A-Za-z]+", f.read_text("utf-8"))}
    vocab = (minilm_path() / "vocab.txt").read_text(encoding="utf-8").split()
    words = sorted({w for w in vocab if w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 10} - used)
    return words[:: len(words) // POOL][:POOL]


def _write(folder: Path, i: int, rng: random.Random, words: list[str], tag: str = "") -> None:
    sub = folder / f"batch{i // 100:02d}"
    sub.mkdir(parents=True, exist_ok=True)
    text = " ".join(rng.sample(words, rng.randint(5, 7))).capitalize()
    (sub / f"entry{i:05d}.txt").write_text(f"Entry {i}{tag}: {text}.\n", encoding="utf-8")


def _corpus(folder: Path, seeds_dir: Path, words: list[str]) -> Path:
    """The first corpus: ``FIRST`` one-sentence files in folders of 100, the seeds, and two bad files."""
    rng = random.Random(SEED)
    for i in range(FIRST):
        _write(folder, i, rng, words)
    for f in seeds_dir.iterdir():
        shutil.copyfile(f, folder / f.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    return folder


def _update(folder: Path, words: list[str]) -> None:
    """``ADDED`` new files, ``CHANGED`` rewritten and ``DELETED`` removed ones."""
    rng = random.Random(SEED + 1)
    for i in range(FIRST, FIRST + ADDED):
        _write(folder, i, rng, words)
    picked = rng.sample(range(FIRST), CHANGED + DELETED)
    for i in picked[:CHANGED]:
        _write(folder, i, rng, words, tag=" (revised)")
    for i in picked[CHANGED:]:
        (folder / f"batch{i // 100:02d}" / f"entry{i:05d}.txt").unlink()


# One reader process for the whole test, as a user's notebook or chat page would be: for each home
# named on stdin it opens a fresh Assistant (so a fresh look at what is committed) and prints the
# committed space's record ids, the manifest, the vocabulary, the answers, and whatever the opening
# printed (a damaged index would be repaired, with a notice).
_PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from pathlib import Path
    from rag import Assistant
    from index.vocab import Vocab

    corpus, questions = Path(sys.argv[1]), json.loads(sys.argv[2])
    for line in sys.stdin:
        home = Path(line.strip())
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            a = Assistant(home=home, docs=[corpus], root=corpus.parent, progress=False)
        store = a.store
        # Search exactly, so answers compare stored content, not the luck of an approximate search.
        for col in (store.chunks, store.sents):
            col.modify(configuration={"hnsw": {"ef_search": 1000}})
        vocab = Vocab.load(store.vocab_path)
        answers = []
        for q in questions:
            ans = a.ask(q)
            answers.append([ans.text, ans.abstained, [[c.source, c.start, c.end] for c in ans.citations]])
        result = {
            "gen": store.committed["gen"],
            "ids": [sorted(store.chunks.get(include=[])["ids"]), sorted(store.sents.get(include=[])["ids"])],
            "docs": store.committed["docs"],
            "vocab": [list(vocab.words), vocab.df, vocab.n, vocab.vecs.round(3).tolist()[:50]],
            "answers": answers,
            "stderr": err.getvalue(),
        }
        store.close()
        print(json.dumps(result), flush=True)
    """
)


class _Reader:
    """The long-lived reader process running ``_PROBE``."""

    def __init__(self, repo: Path, corpus: Path, questions: list[str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _PROBE, str(corpus), json.dumps(questions)],
            cwd=repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def look(self, home: Path) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{home}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the reader process died (exit {self.proc.poll()})"
        return json.loads(line)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


class _Index:
    """``rag index`` over one corpus into one home folder, as a user runs it."""

    def __init__(self, repo: Path, corpus: Path, home: Path, logs: Path) -> None:
        self.repo, self.corpus, self.home, self.logs = repo, corpus, home, logs
        self.env = dict(
            os.environ,
            RAG_HOME=str(home),
            RAG_DOCS=json.dumps([str(corpus)]),
            RAG_ROOT=str(corpus.parent),
            RAG_PROGRESS="false",
        )
        self.env.pop("RAG_FAILPOINTS", None)
        self.runs = 0

    def start(self, failpoints: str = "") -> subprocess.Popen[bytes]:
        self.runs += 1
        out = (self.logs / f"{self.home.name}-{self.runs}.out").open("wb")
        err = (self.logs / f"{self.home.name}-{self.runs}.err").open("wb")
        env = dict(self.env, RAG_FAILPOINTS=failpoints) if failpoints else self.env
        return subprocess.Popen(
            [sys.executable, "-m", "rag.cli", "index"], cwd=self.repo, env=env, stdout=out, stderr=err
        )

    def output(self) -> tuple[str, str]:
        stem = self.logs / f"{self.home.name}-{self.runs}"
        return Path(f"{stem}.out").read_text(), Path(f"{stem}.err").read_text()

    def run(self) -> tuple[str, str]:
        """A complete run: its stdout and stderr."""
        proc = self.start()
        assert proc.wait(timeout=WAIT_S * 2) == 0, self.output()[1][-3000:]
        return self.output()

    def saved(self) -> int:
        """Document versions in the durable vectors (0 before the first batch)."""
        return len(self.created())

    def spaces(self) -> set[str]:
        root = self.home / "gens"
        return {p.name for p in root.iterdir()} if root.is_dir() else set()

    def created(self) -> dict[str, float]:
        """When each saved document version was written: a version embedded again gets a new time."""
        try:
            db = sqlite3.connect(f"file:{self.home / 'rag_vectors.sqlite'}?mode=ro", uri=True, timeout=10)
            try:
                return {v: float(t) for v, t in db.execute("SELECT version, created FROM versions")}
            finally:
                db.close()
        except sqlite3.Error:
            return {}


def _kill(ix: _Index, plan: tuple[str, str, float], rng: random.Random) -> str:
    """Run ``rag index`` killed as ``plan`` says; returns how it died (for the failure message)."""
    kind, spec, delay = plan
    before = ix.saved()
    proc = ix.start(spec)
    deadline = time.monotonic() + WAIT_S
    if kind == "outside-embedding":  # once this run has saved a batch, a random moment of the next
        while ix.saved() == before and proc.poll() is None:
            assert time.monotonic() < deadline, "the build saved nothing"
            time.sleep(0.01)
        time.sleep(delay)
    elif kind == "outside-publish":  # a random moment after this run began writing its Chroma space
        started = time.time_ns()
        space = ix.home / "gens" / "rag.g2"

        def writing() -> bool:
            try:
                return space.stat().st_mtime_ns > started
            except FileNotFoundError:
                return False

        while not writing() and proc.poll() is None:
            assert time.monotonic() < deadline, "the build never started its Chroma space"
            time.sleep(0.01)
        time.sleep(delay)
    if kind.startswith("outside"):
        assert proc.poll() is None, f"run {ix.runs} finished before it could be killed ({plan})"
        os.kill(proc.pid, signal.SIGKILL)
    code = proc.wait(timeout=WAIT_S)
    assert code == -signal.SIGKILL, f"run {ix.runs} ({plan}) was not killed: exit {code}\n{ix.output()[1][-2000:]}"
    return f"{kind} {spec} saved {before}->{ix.saved()}"


def _plan(rng: random.Random, left: int, i: int) -> tuple[str, str, float]:
    """The next kill point: one of the embedding-phase kinds while ``left`` documents remain to embed."""
    if left:
        kind = ["in-transaction", "in-commit", "outside-embedding"][i % 3]
        if kind == "in-transaction":  # the 2nd batch's transaction, if there is one (a batch: ~500 files)
            return kind, f"vectors.commit=kill@{2 if left > 600 else 1}", 0.0
        if kind == "in-commit":
            return kind, f"vectors.commit=kill-in@1:{rng.uniform(0.0, 0.02):.4f}", 0.0
        return kind, "", rng.uniform(0.05, 1.0)
    kind = ["in-chroma-add", "after-chroma-add", "checked-not-committed", "outside-publish"][i % 4]
    if kind == "in-chroma-add":
        return kind, f"chroma.add=kill-in@{rng.randint(1, 2)}:{rng.uniform(0.0, 1.5):.4f}", 0.0
    if kind == "after-chroma-add":
        return kind, f"chroma.added=kill@{rng.randint(1, 2)}", 0.0
    if kind == "checked-not-committed":
        return kind, "publish.verified=kill@1", 0.0
    return kind, "", rng.uniform(0.0, 3.0)


def test_killed_index_runs_resume_to_the_clean_build(tmp_path: Path, seeds_dir: Path, repo: Path, acceptance) -> None:
    clock = [time.monotonic()]

    def lap(what: str) -> None:  # printed as it happens, so a failure still shows where the time went
        clock.append(time.monotonic())
        print(f"crash safety: {what} in {clock[-1] - clock[-2]:.0f}s", flush=True)

    words = _filler_words(seeds_dir)
    corpus = _corpus(tmp_path / "corpus", seeds_dir, words)
    logs = tmp_path / "logs"
    logs.mkdir()
    questions = [q["question"] for q in acceptance]
    killed = _Index(repo, corpus, tmp_path / "killed", logs)
    killed.run()
    reader = _Reader(repo, corpus, questions)
    first = reader.look(killed.home)
    assert first["gen"] == 1 and len(first["docs"]) == FIRST + 2
    lap(f"first build ({FIRST + 2} documents) and its answers")

    _update(corpus, words)
    rng = random.Random(SEED)
    deaths = []
    needed = FIRST + 2 + ADDED + CHANGED  # versions: the first build's, plus the added and changed files'
    for _ in range(KILLS - 1):
        before = killed.created()
        plan = _plan(rng, needed - len(before), len(deaths))
        deaths.append(_kill(killed, plan, rng))
        now = reader.look(killed.home)
        assert now["gen"] == 1 and now["answers"] == first["answers"] and now["docs"] == first["docs"], deaths[-1]
        assert "damaged" not in now["stderr"], (deaths[-1], now["stderr"])
        after = killed.created()
        # No saved batch is lost, and none is embedded again (its versions keep their write time).
        assert {v: after.get(v) for v in before} == before, deaths[-1]
    before = killed.created()
    deaths.append(_kill(killed, ("after-commit", "publish.committed=kill@1", 0.0), rng))
    assert {v: killed.created().get(v) for v in before} == before
    lap(f"{KILLS} runs killed: " + "; ".join(deaths))
    kinds = {d.split()[0] for d in deaths}
    assert kinds >= {
        "in-transaction",
        "in-commit",
        "outside-embedding",
        "in-chroma-add",
        "after-chroma-add",
        "checked-not-committed",
        "outside-publish",
        "after-commit",
    }, kinds
    assert len(killed.spaces()) >= 2  # the commit happened, the sweep did not

    out, err = killed.run()
    lap("resumed run")
    assert "0 chunks embedded" in out, out  # every batch the killed runs saved was reused
    assert "rag: skipped corpus/empty.txt: empty file" in err and "rag: skipped corpus/binary.txt" in err
    assert len(killed.spaces()) == 1

    clean = _Index(repo, corpus, tmp_path / "clean", logs)
    clean.run()
    lap("clean build")
    got, want = reader.look(killed.home), reader.look(clean.home)
    reader.close()
    lap("both stores read and asked the acceptance questions")
    assert got["docs"] == want["docs"] and len(want["docs"]) == FIRST + ADDED - DELETED + 2
    assert got["ids"] == want["ids"]  # same records: one copy of every chunk and sentence, none lost
    chunks, sentences = (len(x) for x in want["ids"])
    assert chunks == sum(e["chunks"] for e in want["docs"].values()) and len(set(got["ids"][0])) == chunks
    assert sentences == sum(e["sentences"] for e in want["docs"].values())
    assert got["vocab"] == want["vocab"]
    assert got["answers"] == want["answers"]
    assert len(killed.created()) == len(clean.created()) == len(want["docs"])  # superseded versions were swept
    print(f"crash safety: {chunks} chunks, {sentences} sentences, the same ids in both stores", flush=True)
    print(f"crash safety: total {clock[-1] - clock[0]:.0f}s")
