"""The benchmarks' shared arithmetic: latency statistics and the hit@k / MRR rule."""

from __future__ import annotations

import statistics

from hypothesis import given
from hypothesis import strategies as st

from evals.bench_common import quality, stats

_MS = st.lists(st.floats(min_value=0.0, max_value=1e5, allow_nan=False), min_size=1, max_size=200)


@given(_MS)
def test_stats_p50_is_the_median_and_percentiles_are_ordered(ms: list[float]) -> None:
    got = stats(ms)
    assert got["n"] == len(ms)
    assert abs(got["p50_ms"] - statistics.median(ms)) <= 0.006  # both rounded to 0.01
    assert min(ms) - 0.006 <= got["p50_ms"] <= got["p95_ms"] + 0.006 <= got["max_ms"] + 0.012
    assert got["max_ms"] == round(max(ms), 2)


def test_quality_counts_rank_of_first_hit_on_answerable_questions_only() -> None:
    questions = [
        {"question": "a", "answerable": True, "support": ["the answer to a"]},
        {"question": "b", "answerable": True, "support": ["the answer to b"]},
        {"question": "c", "answerable": False, "support": []},
    ]
    ranked = {
        "a": ["noise", "The Answer to  A, quoted"],  # normalised match at rank 2
        "b": ["noise", "more noise", "still none", "the answer to b"],  # rank 4: outside k=3
        "c": ["anything"],
    }
    got = quality(lambda q: ranked[q], questions, k=3)
    assert got == {"k": 3, "questions": 2, "hit": 0.5, "mrr": 0.25}
