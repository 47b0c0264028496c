"""Rebuilding the cross-encoder is reproducible: same data and seed, byte-identical adapter file.

Real parts: the bundled MiniLM base, torch on the CPU, safetensors on disk (a few pairs, one epoch).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from rag.answer.model import CrossEncoder, load_adapter, save_adapter
from tests.train.test_squad_pairs import _embed, _file
from train.cross_encoder import train
from train.squad_pairs import load_squad, make_pairs, split_articles


def _build(tmp_path: Path, name: str, seed: int) -> str:
    pairs = make_pairs(split_articles(load_squad(_file(tmp_path)))["train"], _embed, seed=seed)
    torch.rand(int(torch.randint(1, 50, (1,))))  # disturb the global generator, as other stages would
    ce = CrossEncoder(seed=seed)
    train(ce, pairs, epochs=1, seed=seed, batch_size=2, log=lambda *_: None)
    path = tmp_path / name
    save_adapter(ce, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_adapter_bytes(tmp_path: Path) -> None:
    first = _build(tmp_path, "a.safetensors", seed=13)
    assert _build(tmp_path, "b.safetensors", seed=13) == first
    assert _build(tmp_path, "c.safetensors", seed=14) != first  # the seed is what decides, not luck


def test_head_starts_from_the_seed_alone() -> None:
    torch.manual_seed(1)
    a = CrossEncoder(seed=5).head.weight.detach().clone()
    state = torch.random.get_rng_state()
    torch.manual_seed(2)
    b = CrossEncoder(seed=5).head.weight.detach().clone()
    assert torch.equal(a, b)
    torch.manual_seed(1)
    CrossEncoder(seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's generator is left as it was


def test_saved_adapter_loads_back_with_its_length(tmp_path: Path) -> None:
    ce = CrossEncoder(max_length=96, seed=3)
    save_adapter(ce, tmp_path / "x.safetensors")
    back = load_adapter(tmp_path / "x.safetensors")
    assert back.max_length == 96
    assert torch.equal(back.head.weight, ce.head.weight)
