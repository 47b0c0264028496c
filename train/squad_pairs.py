"""(question, sentence) pairs with two labels from SQuAD 2.0, split by article.

* ``sel``: the sentence answers the question (it holds a gold answer span);
* ``ans``: this evidence answers the question, learned only on the cases that teach answerability: a
  gold sentence (1) against every sentence of an *unanswerable* question's paragraph, written by
  crowdworkers to look answerable (0), and against look-alike sentences from other paragraphs (0).
  Other sentences of an answerable question's paragraph carry no ``ans`` label (``-1``, masked).

Sentences are split with the same splitter the index uses (``index.sentences.split_paragraph``), so
training sees sentences cut exactly as the assistant will see them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.sentences import split_paragraph

__all__ = ["Pair", "Question", "load_squad", "split_articles", "lookalikes", "make_pairs", "HELD_OUT", "CALIBRATION"]

# Held out by article (never trained on): reported test articles, and calibration articles.
HELD_OUT = ("1973_oil_crisis", "Harvard_University")
CALIBRATION = ("Normans", "Scottish_Parliament")


@dataclass(frozen=True)
class Question:
    """One SQuAD question with its paragraph's sentences and which of them hold a gold answer."""

    qid: str
    article: str
    question: str
    sentences: tuple[str, ...]
    gold: frozenset[int]  # indices into ``sentences``; empty for an unanswerable question
    answers: tuple[str, ...]
    paragraph: int


@dataclass(frozen=True)
class Pair:
    """A training example."""

    question: str
    sentence: str
    sel: int
    ans: int  # -1: no answerability label
    qid: str


def load_squad(path: Path) -> list[Question]:
    """Every question of a SQuAD 2.0 file, with its paragraph cut into sentences."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: list[Question] = []
    for article in data["data"]:
        for p_i, para in enumerate(article["paragraphs"]):
            ctx = para["context"]
            spans = split_paragraph(ctx)
            sents = tuple(ctx[s:e] for s, e in spans)
            for qa in para["qas"]:
                gold: set[int] = set()
                for ans in qa.get("answers", []):
                    a0, a1 = ans["answer_start"], ans["answer_start"] + len(ans["text"])
                    gold.update(i for i, (s, e) in enumerate(spans) if s <= a0 and a1 <= e)
                impossible = bool(qa.get("is_impossible")) or not qa.get("answers")
                if not impossible and not gold:
                    continue  # an answer across a sentence boundary: no sentence holds it
                out.append(
                    Question(
                        qa["id"],
                        article["title"],
                        qa["question"].strip(),
                        sents,
                        frozenset() if impossible else frozenset(gold),
                        tuple(a["text"] for a in qa.get("answers", [])),
                        p_i,
                    )
                )
    return out


def split_articles(questions: Sequence[Question]) -> dict[str, list[Question]]:
    """``train`` / ``calibration`` / ``test`` by article."""
    parts: dict[str, list[Question]] = {"train": [], "calibration": [], "test": []}
    for q in questions:
        part = "test" if q.article in HELD_OUT else "calibration" if q.article in CALIBRATION else "train"
        parts[part].append(q)
    return parts


def lookalikes(questions: Sequence[Question], embed: Any) -> list[list[str]]:
    """Per question, the other paragraphs' sentences of its article, closest to the question first.

    ``embed(texts) -> unit vectors`` (the bundled MiniLM) ranks them: these are the sentences retrieval
    will put next to the real answer.
    """
    seen: dict[str, set[tuple[int, str]]] = {}
    for q in questions:
        seen.setdefault(q.article, set()).update((q.paragraph, s) for s in q.sentences)
    by_article = {article: sorted(items) for article, items in seen.items()}
    vecs = {a: embed([s for _, s in items]) for a, items in by_article.items()}
    out = []
    for q, qv in zip(questions, embed([q.question for q in questions])):
        items = by_article[q.article]
        sims = np.asarray(vecs[q.article]) @ qv
        out.append([items[j][1] for j in np.argsort(-sims) if items[j][0] != q.paragraph])
    return out


def make_pairs(questions: Sequence[Question], embed: Any, cross_negatives: int = 2, seed: int = 0) -> list[Pair]:
    """All pairs of ``questions`` plus ``cross_negatives`` look-alike sentences from other paragraphs each.

    ``embed(texts) -> unit vectors`` picks the look-alikes: the other paragraphs' sentences closest to
    the question (the bundled MiniLM), the ones retrieval will put next to the real answer.
    """
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for q, others in zip(questions, lookalikes(questions, embed)):
        for i, s in enumerate(q.sentences):
            if i in q.gold:
                pairs.append(Pair(q.question, s, 1, 1, q.qid))
            else:
                pairs.append(Pair(q.question, s, 0, 0 if not q.gold else -1, q.qid))
        for s in others[:cross_negatives]:
            pairs.append(Pair(q.question, s, 0, 0, q.qid))
    rng.shuffle(pairs)
    return pairs
