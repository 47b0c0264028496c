"""Fine-tuning of the answer stage's cross-encoder (``rag.answer.model``) on labelled pairs, on a CPU.

The frozen lower layers run once per pair and their output is cached (fp16), so every epoch runs only
the trained top layers and the head: about half the work of full fine-tuning per step.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from typing import Any

from rag.answer.model import CrossEncoder

__all__ = ["train"]


def _batches(n: int, size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(n))
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, n, size)]


def train(
    ce: CrossEncoder,
    pairs: Sequence[Any],
    epochs: int,
    seed: int,
    batch_size: int = 32,
    lr: float = 5e-5,
    head_lr: float = 1e-3,
    log: Any = print,
) -> dict[str, Any]:
    """Fine-tune ``ce`` on ``pairs`` (``.question``, ``.sentence``, ``.sel``, ``.ans``); returns a training log."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    t0 = time.monotonic()
    # Cache the frozen lower layers once per pair, in length-sorted groups (little padding).
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].question) + len(pairs[i].sentence))
    cache: list[tuple[Any, Any]] = [None] * len(pairs)  # type: ignore[list-item]
    ce.train_mode(False)
    for i in range(0, len(order), 64):
        idx = order[i : i + 64]
        batch = ce.encode([pairs[j].question for j in idx], [pairs[j].sentence for j in idx])
        hidden = ce.lower(batch).to(torch.float16)
        lengths = batch["attention_mask"].sum(1)
        for k, j in enumerate(idx):
            n = int(lengths[k])
            cache[j] = (hidden[k, :n].clone(), n)
    log(f"cached the frozen layers of {len(pairs)} pairs in {time.monotonic() - t0:.0f}s")
    sel = torch.tensor([p.sel for p in pairs], dtype=torch.float32)
    ans = torch.tensor([p.ans for p in pairs], dtype=torch.float32)
    params = [
        {"params": [p for layer in ce.model.encoder.layer[ce.split :] for p in layer.parameters()], "lr": lr},
        {"params": list(ce.head.parameters()), "lr": head_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=0.01)
    steps = epochs * math.ceil(len(pairs) / batch_size)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm))
    )
    pos = float(sel[sel >= 0].mean()) if bool((sel >= 0).any()) else 0.5
    sel_weight = torch.tensor((1 - pos) / max(pos, 1e-6))  # answer sentences are rare: balance the loss
    history = []
    step = 0
    ce.train_mode(True)
    for epoch in range(epochs):
        # Batches of similar length: sort within shuffled buckets of 50 batches.
        idx_all = list(range(len(pairs)))
        rng.shuffle(idx_all)
        buckets = [idx_all[i : i + batch_size * 50] for i in range(0, len(idx_all), batch_size * 50)]
        batches = []
        for b in buckets:
            b.sort(key=lambda j: cache[j][1])
            batches += [b[i : i + batch_size] for i in range(0, len(b), batch_size)]
        rng.shuffle(batches)
        total = 0.0
        for idx in batches:
            n = max(cache[j][1] for j in idx)
            hidden = torch.zeros((len(idx), n, cache[idx[0]][0].shape[-1]), dtype=torch.float32)
            attention = torch.zeros((len(idx), n), dtype=torch.long)
            for k, j in enumerate(idx):
                h, m = cache[j]
                hidden[k, :m] = h.to(torch.float32)
                attention[k, :m] = 1
            logits = ce.upper(hidden, attention)
            ys, ya = sel[idx], ans[idx]
            chosen = ys >= 0  # -1: no selection label (the verifier's examples carry answerability only)
            loss = logits.sum() * 0.0
            if chosen.any():
                loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(
                    logits[chosen, 0], ys[chosen], pos_weight=sel_weight
                )
            labelled = ya >= 0
            if labelled.any():
                loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(logits[labelled, 1], ya[labelled])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(ce.trainable(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total += float(loss.detach())
            if step % 100 == 0:
                log(
                    f"epoch {epoch + 1} step {step}/{steps} loss {total / (step - epoch * len(batches)):.4f} "
                    f"({time.monotonic() - t0:.0f}s)"
                )
        history.append(total / max(1, len(batches)))
    ce.train_mode(False)
    return {"epochs": epochs, "steps": steps, "loss": history, "seconds": round(time.monotonic() - t0, 1)}
