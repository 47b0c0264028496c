"""Embedding a build's documents in batches across documents, each batch saved in one transaction.

Batching across documents keeps the embedder's calls full when a folder holds many short files; saving
each batch durably (``index.vectors``) is what lets a killed build resume without embedding it again.
"""

from __future__ import annotations

from typing import Any

from index.chunk import chunk_sentences
from index.clean import clean
from index.embed import Embedder
from index.report import BuildReport
from index.sentences import sentences_of
from index.types import Chunk, Document, Sentence
from index.vectors import Record, Vectors, version_key

__all__ = ["BatchWriter"]


class BatchWriter:
    """Embeds pending documents together and saves each batch to the durable vectors in one transaction."""

    def __init__(self, vectors: Vectors, embedder: Embedder, batch_texts: int, report: BuildReport) -> None:
        self.vectors, self.embedder, self.batch_texts, self.report = vectors, embedder, batch_texts, report
        self.stored = set(vectors.versions())
        self.pending: list[tuple[Document, list[Chunk], list[Sentence]]] = []
        self.pending_texts = 0
        self.waiting = 0  # documents loaded whose vectors were saved already (counted at the next flush)

    def add(self, doc: Document) -> dict[str, Any]:
        """Queue ``doc`` for embedding unless its version is saved already; returns its manifest entry."""
        sentences = sentences_of(doc.id, clean(doc.raw_text, doc.meta.get("format", "txt")))
        chunks = chunk_sentences(doc, sentences)
        entry = {
            "id": doc.id,
            "sha256": doc.sha256,
            "chunks": len(chunks),
            "sentences": len(sentences),
            "meta": doc.meta,
        }
        if version_key(doc.id, doc.sha256) in self.stored:
            self.report.reused.append(doc.path)
            self.waiting += 1
        else:
            self.pending.append((doc, chunks, sentences))
            self.pending_texts += len(chunks) + len(sentences)
        return entry

    def flush(self, force: bool) -> int:
        """Embed and save the pending documents once there are enough (or ``force``); returns documents done."""
        done, self.waiting = self.waiting, 0
        if self.pending and (force or self.pending_texts >= self.batch_texts):
            done += self._embed()
        return done

    def _embed(self) -> int:
        texts: list[str] = []
        for _, chunks, sentences in self.pending:
            texts.extend(c.text for c in chunks)
            texts.extend(s.text for s in sentences)
        vecs = self.embedder.embed(texts)
        items, at = [], 0
        for doc, chunks, sentences in self.pending:
            crecs = [
                Record(
                    c.id,
                    c.text,
                    {
                        "start": c.start,
                        "end": c.end,
                        "spans": [list(p) for p in c.sentences],
                        "s_first": c.first_sentence,
                    },
                    vecs[at + i],
                )
                for i, c in enumerate(chunks)
            ]
            at += len(chunks)
            prefix = version_key(doc.id, doc.sha256)
            srecs = [
                Record(
                    f"{prefix}-s{i:05d}",
                    s.text,
                    {"start": s.start, "end": s.end, "heading": s.heading, "idx": i},
                    vecs[at + i],
                )
                for i, s in enumerate(sentences)
            ]
            at += len(sentences)
            items.append((prefix, doc.id, doc.sha256, crecs, srecs))
            self.report.chunks += len(chunks)
        self.vectors.put(items)
        self.stored.update(i[0] for i in items)
        self.report.texts += len(texts)
        done = len(self.pending)
        self.pending, self.pending_texts = [], 0
        return done
