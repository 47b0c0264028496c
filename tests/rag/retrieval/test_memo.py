"""One question's sentence reads: the same sentences as the store gives, each fetched from Chroma once."""

from __future__ import annotations

import numpy as np

from rag.retrieval.memo import SentenceMemo


def test_a_second_read_is_served_from_the_memo_and_matches_the_store(assistant) -> None:
    store = assistant.store
    passages = assistant.retrieve("How long are the licences valid?", k=3)
    ids = list(dict.fromkeys(sid for p in passages for sid in p.chunk.sentence_ids))
    asked: list[list[str]] = []

    class _Counting:
        def sentences_by_id(self, wanted):
            asked.append(list(wanted))
            return store.sentences_by_id(wanted)

    memo = SentenceMemo(_Counting())  # type: ignore[arg-type]
    first = memo.sentences_for(ids)
    again = memo.sentences_for([*ids[::2], "no-such-sentence", *ids[:1]])
    assert asked == [ids, ["no-such-sentence"]]  # the known ids were not fetched again
    want = store.sentences_for(ids)
    assert first[0] == want[0] and np.array_equal(first[1], want[1])
    assert again[0] == [*want[0][::2], want[0][0]]  # in the order asked, the unknown id left out
    assert np.array_equal(again[1], np.vstack([want[1][::2], want[1][:1]]))
    memo.sentences_for(["no-such-sentence"])
    assert len(asked) == 2  # an id known to be missing is not asked for again
    assert memo.sentences_for(["no-such-sentence"])[0] == []
