"""A build's generation life cycle: plan it (resume or clean up a killed one), commit it, sweep after it.

The rules readers rely on are in ``index.generation``; this module keeps them: nothing committed is
touched before the new manifest is, and everything a build leaves behind is either resumed or deleted by
the next build.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from typing import Any

from index.bm25 import bm25_dir, bm25_key, build_bm25, load_bm25, save_bm25
from index.embed import Embedder
from index.generation import live_filters, live_where
from index.store import MANIFEST_VERSION, Store
from index.vocab import TermCounts, Vocab, vocab_from_counts

__all__ = ["Plan", "plan_build", "upgrade_v1", "finish_commit", "commit", "repair"]

BM25_TOP_K = 10  # persisted default only: each reader sets its own number of candidates


@dataclass
class Plan:
    """What one build writes, and where."""

    base: int  # the committed generation the build starts from
    gen: int  # the generation it writes (base + 1)
    space: str  # the collections it writes into
    fresh: bool  # start from no documents (rebuild, other embedder or chunker, nothing committed)
    resumed: bool  # continues a killed build of exactly this plan
    done: dict[str, Any] = field(default_factory=dict)  # documents that build wrote (source -> entry)
    committed: dict[str, Any] = field(default_factory=dict)  # committed documents it replaces (none if fresh)

    def journal(self, embedder: str, chunker: str) -> dict[str, Any]:
        """The progress record a resumed build must match."""
        return {
            "gen": self.gen,
            "base": self.base,
            "space": self.space,
            "fresh": self.fresh,
            "embedder": embedder,
            "chunker": chunker,
            "docs": self.done,
        }


def plan_build(store: Store, manifest: dict[str, Any], embedder: str, chunker: str, rebuild: bool) -> Plan:
    """Plan the next generation and clear what a killed build left that will not be resumed.

    A full rebuild of a committed index goes to new collections (readers stay on the old ones); other
    builds write into the committed collections. ``store`` must be on the committed space.
    """
    base = int(manifest.get("gen", 0))
    has_docs = bool(manifest["docs"])
    fresh = rebuild or not has_docs or manifest.get("embedder") != embedder or manifest.get("chunker") != chunker
    space = f"g{base + 1}" if fresh and has_docs else store.space
    plan = Plan(base, base + 1, space, fresh, False, committed={} if fresh else dict(manifest["docs"]))
    old = store.journal()
    want = plan.journal(embedder, chunker)
    plan.resumed = old is not None and all(old.get(k) == v for k, v in want.items() if k != "docs")
    if old is not None and plan.resumed:
        plan.done = dict(old.get("docs") or {})
    for other in store.spaces() - {store.space, space}:
        store.drop_space(other)  # a killed rebuild's, or the old one of a rebuild killed before dropping it
    shared = space == store.space and has_docs  # committed records live in the target collections
    uncommitted = {"gen": {"$gt": base}} if shared else None
    if plan.resumed:
        _delete_unless(store, space, uncommitted, {f"{e['id']}-{e['sha256'][:12]}" for e in plan.done.values()})
    elif not shared:
        store.drop_space(space)  # nothing there is read by anyone: start it empty
        if space == store.space:
            store.use_space(space)
    elif old is not None:
        _delete_unless(store, space, uncommitted, set())  # what a killed build of another plan wrote
    return plan


def _version(record_id: str) -> str:
    """``<doc id>-<sha12>``: the document version a chunk or sentence id belongs to."""
    return record_id.rsplit("-", 1)[0]


def _delete_unless(store: Store, space: str, where: dict[str, Any] | None, keep: set[str]) -> None:
    """Delete the records of ``space`` matching ``where`` unless they belong to a version in ``keep``."""
    previous = store.space
    store.use_space(space)
    try:
        drop = {w: [i for i, _ in store.records(w, where) if _version(i) not in keep] for w in ("chunks", "sents")}
        store.delete_ids(drop["chunks"], drop["sents"])
    finally:
        store.use_space(previous)


def upgrade_v1(store: Store, manifest: dict[str, Any]) -> dict[str, Any]:
    """Turn a version-1 index (records without ``gen``) into generation 0, in place, and commit it.

    Records of the versions the manifest names are tagged ``gen = 0``; anything else (part of a document
    a killed version-1 build was writing) is deleted. Version-1 readers use no filter, so they keep
    answering meanwhile.
    """
    live = {f"{e['id']}-{e['sha256'][:12]}" for e in manifest["docs"].values()}
    for which in ("chunks", "sents"):
        records = store.records(which)
        stray = [i for i, _ in records if _version(i) not in live]
        store.delete_ids(*((stray, []) if which == "chunks" else ([], stray)))
        store.tag(which, [i for i, m in records if _version(i) in live and m.get("gen") != 0], 0)
    legacy, g0 = store.vocab_file(None), store.vocab_file(0)
    if legacy.exists() and not manifest.get("vocab_stale"):
        tmp = g0.with_name(f"{g0.stem}.tmp{os.getpid()}.npz")
        shutil.copyfile(legacy, tmp)
        os.replace(tmp, g0)
    upgraded = {k: v for k, v in manifest.items() if k != "vocab_stale"}
    upgraded.update(version=MANIFEST_VERSION, gen=0, space=store.space)
    store.write_manifest(upgraded)
    return upgraded


def commit(
    store: Store,
    plan: Plan,
    embedder: Embedder,
    manifest: dict[str, Any],
    retired: list[str],
    counts: TermCounts | None,
) -> None:
    """Write generation ``plan.gen``'s vocabulary and BM25 index, make ``manifest`` the one readers see,
    then sweep what it replaced (``retired`` documents' older records, the old space, old files)."""
    live = live_where(plan.gen, retired)
    _save_vocab(store, embedder, counts, plan, live)
    bm25 = build_bm25(store.live_nodes(live_filters(plan.gen, retired)), BM25_TOP_K)
    if bm25 is not None:
        save_bm25(bm25, bm25_dir(store.home, store.name, f"g{plan.gen}"))
    data = dict(manifest, version=MANIFEST_VERSION, gen=plan.gen, space=plan.space)
    if retired:
        data["retired"] = sorted(retired)
    store.write_manifest(data)  # the commit
    finish_commit(store, spaces=True)
    # Last: while a journal exists readers filter every query on the generation (see HybridRetriever).
    store.drop_journal()


def finish_commit(store: Store, spaces: bool) -> None:
    """Delete what the committed generation replaced: older records of ``retired`` documents, files of
    other generations and (``spaces``) collections other than the committed ones.

    Runs right after a commit, and again at the start of the next build in case a kill interrupted it.
    """
    data = store.committed
    if data.get("retired"):
        store.delete_documents(data["retired"], gen=int(data["gen"]), below=True)
        store.write_manifest({k: v for k, v in data.items() if k != "retired"})
    if spaces:
        for other in store.spaces() - {store.space}:
            store.drop_space(other)
    _remove_stale_files(store)


def _remove_stale_files(store: Store) -> None:
    """Vocabularies and BM25 folders of other generations, and temporary files of killed writers."""
    name = re.escape(store.name)
    keep = {store.vocab_path.name, bm25_dir(store.home, store.name, bm25_key(store.committed)).name}
    stale = re.compile(
        rf"^{name}_vocab(\.g\d+)?(\.tmp\d+)?\.npz$|^{name}_bm25\.(g\d+|v1-[0-9a-f]+)(\.(tmp|old)\d+)?$"
        rf"|^{name}_(manifest|build)\.tmp\d+$"
    )
    for path in store.home.iterdir():
        if path.name in keep or not stale.match(path.name):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def repair(store: Store, embedder: Embedder) -> None:
    """Re-make the committed generation's vocabulary or BM25 index if one is missing (same content)."""
    data = store.committed
    live = live_where(data.get("gen"), data.get("retired", ()))
    if not store.vocab_path.exists():
        counts = TermCounts()
        counts.add(store.sentence_texts(live))
        vocab_from_counts(counts, embedder).save(store.vocab_path)
    size = sum(int(e.get("chunks", 0)) for e in data["docs"].values())
    path = bm25_dir(store.home, store.name, bm25_key(data))
    if size and load_bm25(path, BM25_TOP_K, size) is None:
        bm25 = build_bm25(store.live_nodes(live_filters(data.get("gen"), data.get("retired", ()))), BM25_TOP_K)
        if bm25 is not None:
            save_bm25(bm25, path)


def _save_vocab(store: Store, embedder: Embedder, counts: TermCounts | None, plan: Plan, live: Any) -> None:
    """Write generation ``plan.gen``'s vocabulary (word vectors of the committed one reused, same model)."""
    previous = None
    if not plan.fresh and store.vocab_path.exists():  # word vectors of another model are never reused
        try:
            previous = Vocab.load(store.vocab_path)
        except Exception:  # a damaged vocabulary is rebuilt, never trusted
            previous = None
    if counts is None:  # no trustworthy saved counts: recount every live sentence (slow on big corpora)
        counts = TermCounts()
        counts.add(store.sentence_texts(live))
    vocab_from_counts(counts, embedder, previous).save(store.vocab_file(plan.gen))
