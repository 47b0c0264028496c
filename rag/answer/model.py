"""The answer stage's cross-encoder as a torch module: all-MiniLM-L6-v2 reading (question, sentence), two logits.

Used by training (``train/``) and by the one-time ONNX export (``rag.answer.export``); the assistant
itself scores with the ONNX copy (``rag.answer.scorer``), never with torch.

Only the top ``TRAINED_LAYERS`` transformer layers and the head are trained; the embeddings and the
lower layers stay the installed base weights. So what is shipped is small (those layers in fp16 plus
the head, ~11 MB) and is applied to the base weights at install time, and training is cheap on a CPU:
the frozen lower layers run once per pair (their output is cached), every epoch runs only the top.

Logits: ``sel`` (this sentence answers the question) and ``ans`` (this evidence answers it: the
answerability decision, trained against SQuAD 2.0's unanswerable questions). Pooling is the mean over
tokens, as the base model was trained with.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TRAINED_LAYERS", "MAX_LENGTH", "load_base", "CrossEncoder", "score", "save_adapter", "load_adapter"]

TRAINED_LAYERS = 3  # of 6
MAX_LENGTH = 128  # wordpieces of question + sentence (longer sentences are cut)


def load_base() -> tuple[Any, Any]:
    """The bundled MiniLM as a transformers ``BertModel`` (eager attention) and its tokenizer."""
    from transformers import AutoTokenizer, BertModel
    from transformers.utils import logging as hf_logging

    from index.embed import minilm_path

    hf_logging.disable_progress_bar()
    path = str(minilm_path())
    model = BertModel.from_pretrained(path, attn_implementation="eager", add_pooling_layer=False)
    return model, AutoTokenizer.from_pretrained(path)


def _mask(attention: Any) -> Any:
    import torch

    return (1.0 - attention[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min


class CrossEncoder:
    """Base model + trained top layers + head, as a torch module (training and ONNX export)."""

    def __init__(
        self, model: Any | None = None, tokenizer: Any | None = None, max_length: int = MAX_LENGTH, seed: int = 0
    ) -> None:
        import torch

        if model is None:
            model, tokenizer = load_base()
        self.model: Any = model
        self.tokenizer: Any = tokenizer
        self.max_length = max_length
        # The head's starting weights come from ``seed`` alone, not from whatever drew on torch's global
        # generator before (model loading, other stages): otherwise a rebuild depends on what ran first.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.head = torch.nn.Linear(model.config.hidden_size, 2)
        self.split = model.config.num_hidden_layers - TRAINED_LAYERS
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.encoder.layer[self.split :]:
            for p in layer.parameters():
                p.requires_grad_(True)

    def encode(self, questions: Sequence[str], sentences: Sequence[str]) -> dict[str, Any]:
        return self.tokenizer(
            list(questions), list(sentences), truncation="only_second", max_length=self.max_length,
            padding=True, return_tensors="pt",
        )  # fmt: skip

    def lower(self, batch: dict[str, Any]) -> Any:
        """Hidden states after the frozen layers (no gradient)."""
        import torch

        with torch.no_grad():
            hidden = self.model.embeddings(input_ids=batch["input_ids"], token_type_ids=batch["token_type_ids"])
            mask = _mask(batch["attention_mask"])
            for layer in self.model.encoder.layer[: self.split]:
                hidden = layer(hidden, attention_mask=mask)
                if isinstance(hidden, tuple):
                    hidden = hidden[0]
        return hidden

    def upper(self, hidden: Any, attention: Any) -> Any:
        """The trained layers, mean pooling and the head: ``(batch, 2)`` logits."""
        mask = _mask(attention)
        for layer in self.model.encoder.layer[self.split :]:
            hidden = layer(hidden, attention_mask=mask)
            if isinstance(hidden, tuple):
                hidden = hidden[0]
        weights = attention.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.head(pooled)

    def trainable(self) -> list[Any]:
        return [p for layer in self.model.encoder.layer[self.split :] for p in layer.parameters()] + list(
            self.head.parameters()
        )

    def train_mode(self, on: bool) -> None:
        self.model.train(on)
        self.head.train(on)


def score(ce: CrossEncoder, questions: Sequence[str], sentences: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """``(n, 2)`` logits for the pairs (torch; the assistant uses the ONNX export)."""
    import torch

    out = []
    ce.train_mode(False)
    with torch.no_grad():
        for i in range(0, len(questions), batch_size):
            batch = ce.encode(questions[i : i + batch_size], sentences[i : i + batch_size])
            out.append(ce.upper(ce.lower(batch), batch["attention_mask"]).numpy())
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.float32)


def save_adapter(ce: CrossEncoder, path: Path) -> None:
    """The trained layers (fp16) and the head, as safetensors."""
    from safetensors.torch import save_file

    tensors = {}
    for i, layer in enumerate(ce.model.encoder.layer[ce.split :], start=ce.split):
        for name, p in layer.state_dict().items():
            tensors[f"encoder.layer.{i}.{name}"] = p.detach().half().contiguous()
    for name, p in ce.head.state_dict().items():
        tensors[f"head.{name}"] = p.detach().float().contiguous()
    path.parent.mkdir(parents=True, exist_ok=True)
    # One metadata key only: safetensors writes several in no fixed order, so the same weights would
    # give files of different sha256. (The trained layers are named in the tensors themselves.)
    save_file(tensors, str(path), metadata={"max_length": str(ce.max_length)})


def load_adapter(path: Path) -> CrossEncoder:
    """The base model with ``path`` applied (at the maximum length it was trained with)."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as fh:
        max_length = int((fh.metadata() or {}).get("max_length", MAX_LENGTH))
    ce = CrossEncoder(max_length=max_length)
    tensors = load_file(str(path))
    layers = {k: v.to(torch.float32) for k, v in tensors.items() if k.startswith("encoder.")}
    missing = ce.model.load_state_dict(layers, strict=False)
    assert not missing.unexpected_keys, missing.unexpected_keys
    ce.head.load_state_dict({k[len("head.") :]: v for k, v in tensors.items() if k.startswith("head.")})
    ce.train_mode(False)
    return ce
