"""Pack sentences into retrieval chunks sized for all-MiniLM-L6-v2's 256-wordpiece window."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from index.types import Chunk, Document, Sentence

__all__ = ["MAX_TOKENS", "chunk_sentences", "count_tokens"]

# 256 wordpieces minus [CLS]/[SEP] and headroom: nothing we embed gets silently truncated.
MAX_TOKENS = 200


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    from index.embed import minilm_path

    tok = Tokenizer.from_file(str(minilm_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens(texts: Sequence[str]) -> list[int]:
    """Wordpiece counts of ``texts`` under MiniLM's own tokenizer (without special tokens)."""
    if not texts:
        return []
    encs = _tokenizer().encode_batch(list(texts), add_special_tokens=False)
    return [len(e.ids) for e in encs]


def chunk_sentences(
    doc: Document,
    sentences: Sequence[Sentence],
    max_tokens: int = MAX_TOKENS,
    overlap: int = 1,
    counter: Callable[[Sequence[str]], list[int]] = count_tokens,
) -> list[Chunk]:
    """Greedy sentence packing with ``overlap`` sentences carried into the next chunk."""
    if not sentences:
        return []
    sizes = counter([s.text for s in sentences])
    groups: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, n in enumerate(sizes):
        if current and used + n > max_tokens:
            groups.append(current)
            carry = [j for j in current[-overlap:] if overlap] if len(current) > overlap else []
            current, used = list(carry), sum(sizes[j] for j in carry)
            if used + n > max_tokens:
                current, used = [], 0
        current.append(i)
        used += n
    if current:
        groups.append(current)
    chunks = []
    for k, idx in enumerate(groups):
        sents = [sentences[i] for i in idx]
        chunks.append(
            Chunk(
                id=f"{doc.id}-{doc.sha256[:12]}-{k:05d}",
                doc_id=doc.id,
                text=" ".join(s.text for s in sents),
                start=sents[0].start,
                end=sents[-1].end,
                sentences=tuple((s.start, s.end) for s in sents),
                first_sentence=idx[0],
            )
        )
    return chunks
