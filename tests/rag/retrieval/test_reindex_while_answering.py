"""A full re-index in another process: the running Assistant keeps answering from the last complete index.

Real MiniLM, real Chroma. The seeds are indexed and the acceptance answers recorded; then a few hundred
unrelated documents are added and a ``--rebuild`` runs in a subprocess (several seconds of embedding).
Meanwhile the original Assistant, and one opened while the build runs, ask the acceptance questions over
and over: every answer must equal the recorded one (text and citations). After the build commits, the
original Assistant picks up the new generation by itself and its answers are still correct.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index.build import build_index
from index.generation import file_stamp
from index.load import doc_id_for
from index.store import Store
from rag.retrieval.retrieve import HybridRetriever
from tests.index.test_build import CountingEmbedder
from tests.index.test_scale import _corpus, _state, saved_versions
from tests.rag.test_acceptance import _overlaps

FILLER_DOCS = 300

# The real CLI: `rag index --rebuild` writes a new generation beside the one being read.
_REBUILD = "from rag.cli import main; raise SystemExit(main(['index', '--rebuild']))"  # a new generation

_PLACES = ["Lindenholm", "Brackwater", "Ostervik", "Fennmoor", "Calder Rise", "Upper Tarn", "Welmsford"]
_SKIES = ["light rain", "a clear sky", "low cloud", "morning fog", "scattered showers", "hail at noon"]
_BIRDS = ["swallows", "lapwings", "curlews", "wrens", "starlings", "herons", "goldfinches"]


def _filler(folder: Path, n: int) -> None:
    """``n`` weather-diary notes: nothing the acceptance questions ask about (deterministic)."""
    folder.mkdir(parents=True)
    for i in range(n):
        place, sky, bird = _PLACES[i % 7], _SKIES[i % 6], _BIRDS[(i // 7) % 7]
        lines = [
            f"Weather diary {i} from {place}",
            "",
            f"On day {i % 28 + 1} the station at {place} recorded {sky} and a westerly breeze of {i % 30 + 4} "
            "kilometres per hour.",
            f"The rain gauge held {i % 17 + 2} millimetres by evening, and the river stood {i % 9 + 1} "
            "centimetres above its summer mark.",
            f"Observers counted {i % 40 + 10} {bird} along the hedgerows near the old mill.",
            f"Night temperatures fell to {i % 11 - 3} degrees, so the allotment frames stayed shut.",
            f"Note {i}: the barometer read {980 + i % 45} hectopascals at dusk.",
        ]
        (folder / f"diary{i:04d}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _key(answer) -> str:
    d = answer.to_dict()
    return json.dumps({"text": d["text"], "abstained": d["abstained"], "citations": d["citations"]}, sort_keys=True)


def _correct(answer, q: dict, root: Path) -> bool:
    """The acceptance rule of tests/rag/test_acceptance.py."""
    if not q["answerable"]:
        return answer.abstained and not answer.citations
    low = answer.text.lower()
    return (
        not answer.abstained
        and all(any(alt.lower() in low for alt in group) for group in q["must"])
        and any(_overlaps(c, q["support"], root) for c in answer.citations)
    )


@pytest.mark.slow
def test_answers_stay_those_of_the_last_complete_index(tmp_path: Path, seeds_dir: Path, acceptance, repo) -> None:
    from rag import Assistant

    corpus = tmp_path / "corpus"
    shutil.copytree(seeds_dir, corpus)
    home = tmp_path / "home"
    settings = {"home": home, "docs": [corpus], "root": tmp_path, "progress": False}
    a = Assistant(**settings)
    questions = [q["question"] for q in acceptance]
    recorded = {q: _key(a.ask(q)) for q in questions}
    assert a.store.committed["gen"] == 1 and len(a.docs) == 2

    _filler(corpus / "diaries", FILLER_DOCS)
    env = dict(
        os.environ,
        PYTHONPATH=str(repo),
        RAG_HOME=str(home),
        RAG_DOCS=json.dumps([str(corpus)]),
        RAG_ROOT=str(tmp_path),
        RAG_PROGRESS="false",
    )
    manifest = home / "rag_manifest.json"
    base = saved_versions(home)
    before = file_stamp(manifest)
    proc = subprocess.Popen(
        [sys.executable, "-c", _REBUILD], cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    readers = [a]
    during = 0  # asks that began after the build saved its first batch and ended before it committed
    progress: list[int] = []  # documents whose vectors the build had saved, seen between asks
    mismatched: list[str] = []
    deadline = time.monotonic() + 600
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if saved_versions(home) == base:
                time.sleep(0.05)  # the subprocess is still importing, scanning, embedding its first batch
                continue
            if len(readers) == 1:
                readers.append(Assistant(**settings))  # opened while the new generation is being made
            for reader in readers:
                for q in questions:
                    before_ask = file_stamp(manifest) == before
                    got = _key(reader.ask(q))
                    if before_ask and file_stamp(manifest) == before and proc.poll() is None:
                        during += 1
                        if got != recorded[q]:
                            mismatched.append(q)
            progress.append(saved_versions(home))
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    assert f"{FILLER_DOCS} added" in out and "2 unchanged" in out, out
    assert not mismatched, mismatched
    assert during >= 2 * len(questions), f"only {during} asks overlapped the build"
    assert len(set(progress)) >= 2, f"the build wrote nothing while we asked: {progress}"

    # Committed: the original Assistant moves to the new generation on its next question.
    answers = {q["id"]: a.ask(q["question"]) for q in acceptance}
    assert a.store.committed["gen"] == 2 and a.store.space == "g2" and len(a.docs) == FILLER_DOCS + 2
    assert a.store.spaces() == {"g2"}  # the old space was dropped
    wrong = [qid for qid, ans in answers.items() if not _correct(ans, _by_id(acceptance, qid), tmp_path)]
    assert not wrong, {qid: answers[qid].text for qid in wrong}
    for ans in answers.values():
        for c in ans.citations:
            assert (tmp_path / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


def _by_id(acceptance: list[dict], qid: str) -> dict:
    return next(q for q in acceptance if q["id"] == qid)


# -- the generation rules, with hash vectors (fast) -------------------------------------------


class _Gate(CountingEmbedder):
    """Hash vectors; the ``stop_at``-th call waits for ``go`` (or raises ``KeyboardInterrupt``: a kill)."""

    def __init__(self, stop_at: int, kill: bool = False) -> None:
        super().__init__()
        self.stop_at, self.kill, self.entered = stop_at, kill, 0
        self.reached, self.go = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    def embed(self, texts):
        with self._lock:
            self.entered += 1
            stop = self.entered == self.stop_at
        if stop:
            self.reached.set()
            if self.kill:
                raise KeyboardInterrupt("killed mid-build")
            assert self.go.wait(60)
        return super().embed(texts)


def _visible(home: Path) -> set[str]:
    """Chunk ids a reader opened now can retrieve (every chunk fits in the candidate lists)."""
    store = Store(home)
    retriever = HybridRetriever(store, CountingEmbedder(), k=500, candidates=500)
    return {p.chunk.id for p in retriever.retrieve("gallium quotas antimony shipments", k=500)}


def _change(docs: Path) -> None:
    """Replace one document, remove one, add one."""
    (docs / "doc001.txt").write_text("A replaced document about gallium and germanium quotas.\n", encoding="utf-8")
    (docs / "doc002.txt").unlink()
    (docs / "new.txt").write_text("An added note on antimony shipments to Rotterdam.\n", encoding="utf-8")


def test_a_running_build_is_invisible_until_it_commits(tmp_path: Path, seeds_dir: Path) -> None:
    docs, home = _corpus(tmp_path / "docs", seeds_dir, 6), tmp_path / "home"
    build_index([docs], Store(home), CountingEmbedder(), tmp_path, progress=False)
    before, saved = _visible(home), saved_versions(home)
    _change(docs)
    gate = _Gate(stop_at=2)  # the first document is embedded and saved, the build waits before the second
    builder = threading.Thread(
        target=build_index, args=([docs], Store(home), gate, tmp_path), kwargs={"progress": False, "batch_texts": 1}
    )
    builder.start()
    try:
        assert gate.reached.wait(60)
        assert saved_versions(home) > saved, "the build has saved vectors"
        assert _visible(home) == before  # but readers see exactly the committed generation
    finally:
        gate.go.set()
        builder.join(60)
    after = _visible(home)
    store = Store(home)
    assert after == set(store.chunks.get(include=[])["ids"])  # the new space holds only the new generation
    assert store.committed["gen"] == 2 and store.spaces() == {"g2"}
    assert not any(i.startswith(doc_id_for("docs/doc002.txt")) for i in after)


def test_a_killed_build_stays_invisible_and_is_resumed(tmp_path: Path, seeds_dir: Path) -> None:
    docs, home = _corpus(tmp_path / "docs", seeds_dir, 6), tmp_path / "home"
    build_index([docs], Store(home), CountingEmbedder(), tmp_path, progress=False)
    before, saved = _visible(home), saved_versions(home)
    _change(docs)
    with pytest.raises(KeyboardInterrupt):
        build_index([docs], Store(home), _Gate(stop_at=2, kill=True), tmp_path, progress=False, batch_texts=1)
    store = Store(home)
    assert saved_versions(home) == saved + 1  # one new document's vectors were saved
    assert _visible(home) == before and store.committed["gen"] == 1

    emb = CountingEmbedder()
    report = build_index([docs], store, emb, tmp_path, progress=False)
    assert report.unchanged and "docs/doc002.txt" in report.removed and len(report.reused) == 1
    assert report.embedded == 1  # only the document the killed build had not reached
    clean = Store(tmp_path / "clean")
    build_index([docs], clean, CountingEmbedder(), tmp_path, progress=False)
    assert _state(store) == _state(clean)  # same ids as a clean build, nothing duplicated or left over
    assert store.committed["gen"] == 2 and saved_versions(home) == saved_versions(tmp_path / "clean")


def test_an_index_of_the_previous_format_is_rebuilt_from_its_own_documents(tmp_path: Path, seeds_dir: Path) -> None:
    from rag import Assistant

    docs, home = _corpus(tmp_path / "docs", seeds_dir, 4), tmp_path / "home"
    build_index([docs], Store(home), CountingEmbedder(), tmp_path, progress=False)
    manifest = json.loads((home / "rag_manifest.json").read_text(encoding="utf-8"))
    # What a version-2 index left: one Chroma folder for every generation, no durable vectors.
    shutil.rmtree(home / "gens")
    (home / "rag_vectors.sqlite").unlink()
    (home / "chroma").mkdir()
    (home / "chroma" / "chroma.sqlite3").write_bytes(b"old")
    (home / "rag_manifest.json").write_text(json.dumps(dict(manifest, version=2, space="")), encoding="utf-8")
    # Its documents are not the default ones: the upgrade re-indexes what the old manifest names.
    a = Assistant(home=home, docs=[seeds_dir], root=tmp_path, embedder=CountingEmbedder(), progress=False)
    assert a.store.committed["version"] == 3 and set(a.store.committed["docs"]) == set(manifest["docs"])
    assert not (home / "chroma").exists() and a.store.committed["gen"] == manifest["gen"] + 1


def test_a_build_in_this_process_does_not_disturb_answers_meanwhile(
    tmp_path: Path, seeds_dir: Path, acceptance
) -> None:
    from rag import Assistant

    corpus = tmp_path / "corpus"
    shutil.copytree(seeds_dir, corpus)
    a = Assistant(home=tmp_path / "home", docs=[corpus], root=tmp_path, embedder=CountingEmbedder(), progress=False)
    questions = [q["question"] for q in acceptance]
    recorded = {q: _key(a.ask(q)) for q in questions}
    _filler(corpus / "diaries", 20)
    gate = _Gate(stop_at=2)  # every record of the new generation is written; its vocabulary is next
    a.embedder = gate  # the build in this process embeds through it (asks too: hash vectors, same as before)
    builder = threading.Thread(target=a.index, kwargs={"rebuild": True})
    builder.start()
    try:
        assert gate.reached.wait(60)
        assert {q: _key(a.ask(q)) for q in questions} == recorded
    finally:
        gate.go.set()
        builder.join(60)
    assert a.store.committed["gen"] == 2 and len(a.docs) == 22
    assert a.ask(questions[0]).text
