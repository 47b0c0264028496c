"""Crash safety: ``rag index`` SIGKILLed at several random points resumes to exactly the clean build.

The real CLI and the real default embedder run as subprocesses over a few thousand one-sentence files
(plus the seeds). Each killed run resumes the previous one and must have checkpointed progress before
it is killed, so the kill points lie spread over the build rather than all at start-up. Kill points
are drawn (seeded) from three kinds: right after a progress checkpoint, part-way through embedding the
next batch, and part way through writing a batch to the store (chunks written, sentences maybe not).

The test reads only what outlives any one build design: the CLI's output, the documents its progress
files record (the manifest, or a build journal next to it), and the Chroma collections themselves,
read by a fresh process per store (``_PROBE``) so no client in this process caches a store mid-test.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

FILES = 3000  # ~6 embedding batches of the default 1,024 texts (a chunk + a sentence per file)
POOL = 800  # distinct filler words: every one is embedded into the vocabulary at the end of a build
KILLS = 5
SEED = 20251124
WAIT_S = 240.0  # generous: a run that has not checkpointed by then is a failure, not a slow machine


def _filler_words(seeds_dir: Path) -> list[str]:
    """``POOL`` plain English words from the embedding model's vocabulary that the seed articles never use.

    Off-topic words keep the filler out of the seed answers; random words, unlike a template, give
    no near-tied look-alike sentences whose order float noise between batches could flip.
    """
    from index.embed import minilm_path

    used = {w.lower() for f in seeds_dir.glob("*.txt") for w in re.findall(r"[A-Za-z]+", f.read_text("utf-8"))}
    vocab = (minilm_path() / "vocab.txt").read_text(encoding="utf-8").split()
    words = sorted({w for w in vocab if w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 10} - used)
    return words[:: len(words) // POOL][:POOL]


def _corpus(folder: Path, seeds_dir: Path) -> Path:
    """``FILES`` distinct one-sentence files in folders of 100, the seeds, and two bad files."""
    rng = random.Random(SEED)
    words = _filler_words(seeds_dir)
    for i in range(FILES):
        sub = folder / f"batch{i // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        text = " ".join(rng.sample(words, rng.randint(5, 7))).capitalize()
        (sub / f"entry{i:05d}.txt").write_text(f"Entry {i}: {text}.\n", encoding="utf-8")
    for f in seeds_dir.iterdir():
        shutil.copyfile(f, folder / f.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    return folder


# Run in a fresh process per store: all Chroma record ids, the vocabulary, and the answers.
_PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import chromadb
    import numpy as np
    from chromadb.config import Settings

    home, corpus, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    questions = json.loads(sys.argv[4])
    client = chromadb.PersistentClient(str(home / "chroma"), Settings(anonymized_telemetry=False, allow_reset=False))
    collections = client.list_collections()
    if questions is None:  # only count
        print(json.dumps({"records": sum(c.count() for c in collections)}))
        raise SystemExit
    ids = {}
    for c in collections:
        # Chroma's default ef_search (100) misses true nearest neighbours here (thousands of filler
        # vectors around a few seed ones), and which it misses depends on insertion order, which a
        # resumed build changes: search exactly, so answers compare stored content, not that luck.
        c.modify(configuration={"hnsw": {"ef_search": 1000}})
        ids[c.name] = sorted(c.get(include=[])["ids"])
    from index.store import Store
    from index.vocab import Vocab
    from rag import Assistant

    vocab = Vocab.load(Store(home).vocab_path)
    np.save(out.with_suffix(".npy"), vocab.vecs)
    a = Assistant(home=home, docs=[corpus], root=corpus.parent, progress=False)
    answers = []
    for q in questions:
        ans = a.ask(q)
        answers.append([ans.text, ans.abstained, [[c.source, c.start, c.end] for c in ans.citations]])
    result = {"ids": ids, "words": list(vocab.words), "df": vocab.df, "n": vocab.n, "answers": answers}
    out.write_text(json.dumps(result), encoding="utf-8")
    """
)


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
        self.runs = 0

    def start(self) -> subprocess.Popen[bytes]:
        self.runs += 1
        out = (self.logs / f"{self.home.name}-{self.runs}.out").open("wb")
        err = (self.logs / f"{self.home.name}-{self.runs}.err").open("wb")
        cmd = [sys.executable, "-m", "rag.cli", "index"]
        return subprocess.Popen(cmd, cwd=self.repo, env=self.env, stdout=out, stderr=err)

    def run(self) -> tuple[str, str]:
        """A complete run: its stdout and stderr."""
        proc = self.start()
        assert proc.wait(timeout=WAIT_S * 2) == 0, self.output()[1]
        return self.output()

    def output(self) -> tuple[str, str]:
        stem = self.logs / f"{self.home.name}-{self.runs}"
        return Path(f"{stem}.out").read_text(), Path(f"{stem}.err").read_text()

    def docs(self) -> dict[str, dict]:
        """The documents whose records the saved progress accounts for (source -> manifest entry)."""
        found: dict[str, dict] = {}
        for name in ("rag_manifest.json", "rag_build.json"):  # committed index, unfinished build's journal
            try:
                found.update(json.loads((self.home / name).read_text(encoding="utf-8"))["docs"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        return found

    def checkpointed(self) -> int:
        """Documents the saved progress records (0 before the first checkpoint)."""
        return len(self.docs())

    def probe(self, questions: list[str] | None) -> dict:
        """``_PROBE``'s findings about this store (``questions=None``: just count its records)."""
        out = self.logs / f"{self.home.name}-probe.json"
        args = [str(self.home), str(self.corpus), str(out), json.dumps(questions)]
        got = subprocess.run(
            [sys.executable, "-c", _PROBE, *args], cwd=self.repo, capture_output=True, text=True, timeout=WAIT_S
        )
        assert got.returncode == 0, got.stderr[-3000:]
        if questions is None:
            return json.loads(got.stdout.splitlines()[-1])
        return dict(json.loads(out.read_text(encoding="utf-8")), vecs=np.load(out.with_suffix(".npy")))

    def unrecorded(self) -> int:
        """Chunks + sentences stored beyond what the saved progress accounts for: a killed write's leftovers.

        Counted by a fresh process opening the store, as the next run will: Chroma replays its write
        log on open, so its SQLite tables alone may not show a write the kill interrupted.
        """
        recorded = sum(e["chunks"] + e["sentences"] for e in self.docs().values())
        return int(self.probe(None)["records"]) - recorded

    def segments_stamp(self) -> tuple[tuple[str, int, int], ...]:
        """Size and mtime of the files in Chroma's per-collection vector folders.

        They change when a batch's records have been logged and applied to a collection, i.e. part
        way through writing a batch: a kill then leaves records that no checkpoint accounts for.
        """
        stamps = []
        for p in sorted((self.home / "chroma").glob("*/*")):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            stamps.append((f"{p.parent.name}/{p.name}", st.st_size, st.st_mtime_ns))
        return tuple(stamps)


def _wait(until: Callable[[], bool], proc: subprocess.Popen[bytes], poll_s: float = 0.02) -> None:
    """Wait until ``until()`` holds, the process exits, or ``WAIT_S`` passes."""
    deadline = time.monotonic() + WAIT_S
    while not until() and proc.poll() is None:
        assert time.monotonic() < deadline, "the build made no progress"
        time.sleep(poll_s)


def _kill_mid_build(ix: _Index, mode: str, rng: random.Random) -> tuple[int, int, int | None]:
    """Start ``rag index``, wait for a new checkpoint, kill it at a ``mode`` point.

    Returns the documents checkpointed before and after the run, and (mid-write) the records it left
    that no checkpoint accounts for.
    """
    before = ix.checkpointed()
    proc = ix.start()
    _wait(lambda: ix.checkpointed() > before, proc)
    if mode == "mid-embedding":
        time.sleep(rng.uniform(0.1, 1.0))
    elif mode == "mid-write":
        # The store settles after the checkpoint; its next change is the next batch being written.
        stamp: list[object] = [None]

        def settled() -> bool:
            before, stamp[0] = stamp[0], ix.segments_stamp()
            return before == stamp[0]

        _wait(settled, proc, poll_s=0.3)
        _wait(lambda: ix.segments_stamp() != stamp[0], proc, poll_s=0.005)
        time.sleep(rng.uniform(0.0, 0.03))
    assert proc.poll() is None, f"run {ix.runs} finished before it could be killed ({mode})"
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    after = ix.checkpointed()
    assert after > before, f"run {ix.runs} was killed before it saved any progress"
    return before, after, ix.unrecorded() if mode == "mid-write" else None


def test_killed_index_runs_resume_to_the_clean_build(tmp_path: Path, seeds_dir: Path, repo: Path, acceptance) -> None:
    clock = [time.monotonic()]

    def lap(what: str) -> None:  # printed as it happens, so a failure still shows where the time went
        clock.append(time.monotonic())
        print(f"crash safety: {what} in {clock[-1] - clock[-2]:.0f}s", flush=True)

    corpus = _corpus(tmp_path / "corpus", seeds_dir)
    logs = tmp_path / "logs"
    logs.mkdir()
    rng = random.Random(SEED)
    kinds = ["after-checkpoint", "mid-embedding", "mid-write"]
    modes = kinds + [rng.choice(kinds) for _ in range(KILLS - len(kinds))]  # each kind at least once
    rng.shuffle(modes)
    lap(f"wrote {FILES + 4} files")

    killed = _Index(repo, corpus, tmp_path / "killed", logs)
    points = [(mode, *_kill_mid_build(killed, mode, rng)) for mode in modes]
    lap(f"{KILLS} runs killed at {[(m, n, u) for m, _, n, u in points]} (mode, docs checkpointed, records not)")
    assert FILES // 2 < points[-1][2] < FILES, points  # kill points spread over the build, none after its end
    assert any(u for *_, u in points), "no kill interrupted a write: the resume had nothing to clean up"
    _, err = killed.run()
    lap("resumed run")
    assert "rag: skipped corpus/empty.txt: empty file" in err and "rag: skipped corpus/binary.txt" in err

    clean = _Index(repo, corpus, tmp_path / "clean", logs)
    clean.run()
    lap("clean build")

    questions = [q["question"] for q in acceptance]
    got, want = killed.probe(questions), clean.probe(questions)
    lap("both stores read and asked the acceptance questions")
    assert got["ids"] == want["ids"]  # same records in each collection: one copy of every chunk and sentence
    chunks = sum(len(ids) for name, ids in want["ids"].items() if "chunks" in name)
    sentences = sum(len(ids) for name, ids in want["ids"].items() if "sentences" in name)
    assert chunks == sum(e["chunks"] for e in clean.docs().values()) and chunks >= FILES
    assert killed.docs() == clean.docs() and len(clean.docs()) == FILES + 2
    assert (got["n"], got["df"], got["words"]) == (want["n"], want["df"], want["words"])
    assert np.allclose(got["vecs"], want["vecs"], atol=1e-3)
    print(f"crash safety: {chunks} chunks, {sentences} sentences, the same ids in both stores", flush=True)
    assert got["answers"] == want["answers"]
    assert sum(not abstained for _, abstained, _ in want["answers"]) >= sum(q["answerable"] for q in acceptance) / 2
    print(f"crash safety: total {clock[-1] - clock[0]:.0f}s")
