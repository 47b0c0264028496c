"""Unit tests of evals/metrics.py (and the gate helpers of evals/run.py) on hand-made answers and a fake judge."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from evals import metrics as m
from evals.run import REPO, EvalInputError, check_thresholds, load_questions, load_thresholds
from rag.types import Answer, Chunk, Citation, Passage

SOURCE = "doc.txt"
TEXT = (
    "Currently, only three-month licences are available. "
    "A one-year licence is close. "
    "The EU sees stability; Beijing sees discretion. "
    "Prices rose sharply."
)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9-]+", m.normalise(text)))


def fake_judge(premise: str, hypothesis: str) -> bool:
    """Supported iff every word of the hypothesis occurs in the premise."""
    return bool(_words(hypothesis)) and _words(hypothesis) <= _words(premise)


def cite(n: int, quote: str, publisher: str = "South China Morning Post", source: str = SOURCE) -> Citation:
    start = TEXT.find(quote)
    assert start >= 0, quote
    return Citation(n, source, start, start + len(quote), quote, publisher=publisher)


def load(source: str) -> str:
    if source != SOURCE:
        raise FileNotFoundError(source)
    return TEXT


Q1 = "Currently, only three-month licences are available."
Q2 = "A one-year licence is close."
Q3 = "The EU sees stability; Beijing sees discretion."
Q4 = "Prices rose sharply."


# -- normalisation and correctness -----------------------------------------------------------
def test_normalise_nfkc_quotes_dashes_case_space() -> None:
    assert m.normalise("  China\u2019s \u201cDe\u2011escalation\u201d\n\tMODE ") == 'china\'s "de-escalation" mode'
    assert m.normalise("\ufb01ne \uff21\uff22") == "fine ab"  # NFKC: ligature, full-width letters
    assert (
        m.normalise("one\u2013year one\u2014year one\u2212year co\u00adoperate")
        == "one-year one-year one-year cooperate"
    )


def test_missing_groups_needs_every_group_and_one_alternative_each() -> None:
    text = "The EU sees \u201cstability\u201d; Beijing sees DISCRETION. [1]"
    assert m.missing_groups(text, [["stability"], ["discretion", "leverage"]]) == []
    assert m.missing_groups(text, [["stability"], ["volume", "quota"]]) == [["volume", "quota"]]
    assert m.missing_groups("a one\u2011year licence", [["one-year"]]) == []  # non-breaking hyphen
    assert m.missing_groups("China's grip", [["China\u2019s"]]) == []


def test_is_correct_requires_not_abstained() -> None:
    good = Answer("q", "A one-year licence is close. [1]", (cite(1, Q2),))
    assert m.is_correct(good, [["one-year", "annual"]])
    assert not m.is_correct(good, [["three-month"]])
    abstained = Answer("q", "The indexed documents don't answer this: one-year.", abstained=True)
    assert not m.is_correct(abstained, [["one-year"]])


# -- citation validity ---------------------------------------------------------------------
def test_invalid_citations() -> None:
    ok = cite(1, Q2)
    shifted = Citation(2, SOURCE, ok.start + 1, ok.end + 1, Q2)
    outside = Citation(3, SOURCE, len(TEXT) - 2, len(TEXT) + 5, "y.")
    missing = Citation(4, "gone.txt", 0, 3, "Cur")
    bad = m.invalid_citations([ok, shifted, outside, missing], load)
    assert [c.id for c, _ in bad] == [2, 3, 4]
    assert "differs" in bad[0][1] and "outside" in bad[1][1] and "unreadable" in bad[2][1]
    assert m.invalid_citations([ok], load) == []


# -- sentences and ALCE --------------------------------------------------------------------
def test_split_sentences_on_markers() -> None:
    text = "First claim. [1] Second claim [2][3]. Trailing text without a marker"
    assert m.split_sentences(text) == [
        ("First claim.", (1,)),
        ("Second claim", (2, 3)),
        (". Trailing text without a marker", ()),
    ]
    assert m.split_sentences("Only one. [1] .") == [("Only one.", (1,))]  # stray punctuation dropped
    assert m.split_sentences("No markers at all.") == [("No markers at all.", ())]


def test_split_attribution() -> None:
    assert m.split_attribution("According to REEx: Annual licenses buy time.") == ("REEx", "Annual licenses buy time.")
    assert m.split_attribution("according to the Post, it is close.") == ("the Post", "it is close.")
    assert m.split_attribution("Annual licenses buy time.") == (None, "Annual licenses buy time.")


def test_alce_all_supported() -> None:
    ans = Answer("q", f"{Q1} [1] {Q2} [2]", (cite(1, Q1), cite(2, Q2)))
    s = m.alce_citation_scores(ans, fake_judge)
    assert (s.recall, s.precision, s.sentences, s.citations) == (1.0, 1.0, 2, 2)
    assert s.problems == ()


def test_alce_markers_are_stripped_before_judging() -> None:
    seen: list[str] = []

    def judge(premise: str, hypothesis: str) -> bool:
        seen.append(hypothesis)
        return True

    m.alce_citation_scores(Answer("q", f"{Q2} [1]", (cite(1, Q2),)), judge)
    assert seen == [Q2]


def test_alce_recall_counts_uncited_and_unsupported_sentences() -> None:
    ans = Answer("q", f"{Q1} [1] Prices fell. [2] Nothing cites this", (cite(1, Q1), cite(2, Q4)))
    s = m.alce_citation_scores(ans, fake_judge)
    assert s.sentences == 3 and s.supported == 1
    assert s.recall == pytest.approx(1 / 3)
    # the unsupported sentence's citation is never precise; the uncited sentence adds no citation
    assert (s.citations, s.precise, s.precision) == (2, 1, 0.5)
    assert any("cites nothing" in p for p in s.problems) and any("not supported" in p for p in s.problems)


def test_alce_precision_redundant_citation() -> None:
    # [1] supports the sentence alone; [2] neither supports it alone nor is needed -> imprecise.
    ans = Answer("q", f"{Q2} [1][2]", (cite(1, Q2), cite(2, Q4)))
    s = m.alce_citation_scores(ans, fake_judge)
    assert (s.recall, s.citations, s.precise, s.precision) == (1.0, 2, 1, 0.5)
    assert any("[2]" in p and "redundant" in p for p in s.problems)


def test_alce_precision_both_needed_or_both_sufficient() -> None:
    # Each citation is needed: neither alone supports the sentence, and removing either breaks support.
    needed = Answer("q", "Only three-month licences; a one-year licence is close [1][2]", (cite(1, Q1), cite(2, Q2)))
    s = m.alce_citation_scores(needed, fake_judge)
    assert (s.recall, s.precision) == (1.0, 1.0)
    # Two citations that each support the sentence alone are both precise (ALCE condition A).
    twice = Answer("q", "A one-year licence is close [1][2]", (cite(1, Q2), cite(2, Q2)))
    assert m.alce_citation_scores(twice, fake_judge).precision == 1.0


def test_alce_dangling_marker_and_empty_answer() -> None:
    s = m.alce_citation_scores(Answer("q", f"{Q2} [1][7]", (cite(1, Q2),)), fake_judge)
    assert (s.recall, s.citations, s.precise) == (0.0, 2, 0)
    assert "missing ids [7]" in s.problems[0]
    empty = m.alce_citation_scores(Answer("q", ""), fake_judge)
    assert (empty.recall, empty.precision, empty.sentences) == (0.0, 0.0, 0)


def test_alce_attribution_lead() -> None:
    c = cite(1, Q2, publisher="South China Morning Post")
    names = {SOURCE: {"South China Morning Post", "SCMP", "the Post"}}

    def by_source(x: Citation) -> set[str]:
        return names[x.source]

    right = Answer("q", f"According to SCMP: {Q2} [1]", (c,))
    assert m.alce_citation_scores(right, fake_judge, by_source).recall == 1.0
    # without the alias table only the publisher's full name is known
    assert m.alce_citation_scores(right, fake_judge).recall == 0.0
    full = Answer("q", f"According to South China Morning Post: {Q2} [1]", (c,))
    assert m.alce_citation_scores(full, fake_judge).recall == 1.0
    wrong = Answer("q", f"According to REEx: {Q2} [1]", (c,))
    s = m.alce_citation_scores(wrong, fake_judge, by_source)
    assert s.recall == 0.0 and "attributed to 'REEx'" in s.problems[0]


def test_cached_judge_calls_once_per_pair() -> None:
    calls: list[tuple[str, str]] = []

    def judge(p: str, h: str) -> bool:
        calls.append((p, h))
        return True

    j = m.cached_judge(judge)
    assert j("a", "b") and j("a", "b") and j("a", "c")
    assert calls == [("a", "b"), ("a", "c")]


# -- retrieval -----------------------------------------------------------------------------
def test_is_hit_substring_and_long_overlap() -> None:
    passage = "Intro. Currently, only three\u2011month licences are available. More text follows here."
    assert m.is_hit(passage, ["only three-month licences"])  # normalised substring
    cut = "close to agreeing on a general licensing procedure for rare earths, whereby a company"
    assert m.is_hit("... are close to agreeing on a general licensing procedure for rare", [cut])  # >= 40 chars
    assert not m.is_hit("Something else entirely.", [cut])
    assert not m.is_hit("licensing procedure", ["a general licensing procedure for rare"])  # short, no overlap rule


def test_rank_hit_at_k_and_mrr() -> None:
    texts = ["nothing", "still nothing", "the pressure valve is here"]
    assert m.first_hit_rank(texts, ["pressure valve"]) == 3
    assert m.first_hit_rank(texts, ["pressure valve"], k=2) == 0
    ranks = [1, 2, 0, 4]
    assert m.hit_at_k(ranks, 5) == 0.75
    assert m.hit_at_k(ranks, 1) == 0.25
    assert m.mrr(ranks) == pytest.approx((1 + 0.5 + 0 + 0.25) / 4)
    assert m.mrr(ranks, k=2) == pytest.approx((1 + 0.5) / 4)
    assert m.hit_at_k([], 5) == 0.0 and m.mrr([]) == 0.0


# -- abstention, latency, balanced accuracy ---------------------------------------------------
def test_abstention_rates() -> None:
    assert m.abstention_recall([True, True, False, True]) == 0.75
    assert m.false_abstention_rate([False, False, False, True, False]) == 0.2
    assert m.abstention_recall([]) == 0.0


def test_percentiles_interpolate() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert m.percentile(values, 50) == 3.0
    assert m.percentile(values, 95) == pytest.approx(4.8)
    assert m.percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        m.percentile([], 50)
    s = m.latency_summary(values)
    assert (s["n"], s["p50_ms"], s["p95_ms"], s["max_ms"]) == (5, 3.0, 4.8, 5.0)
    assert m.latency_summary([])["n"] == 0


def test_balanced_accuracy() -> None:
    gold = [True, True, True, True, False, False]
    pred = [True, True, True, False, False, True]
    bacc, rec_pos, rec_neg = m.balanced_accuracy(gold, pred)
    assert (rec_pos, rec_neg) == (0.75, 0.5) and bacc == 0.625
    assert m.balanced_accuracy([True, False], [True, True])[0] == 0.5  # always "yes" -> 0.5
    with pytest.raises(ValueError):
        m.balanced_accuracy([True], [])


# -- per question and aggregate ------------------------------------------------------------
def _passage(text: str, rank: int) -> Passage:
    return Passage(Chunk(f"c{rank}", "d", text, 0, len(text), ()), 1.0 / rank, rank, SOURCE)


def test_score_question_and_aggregate() -> None:
    answerable = {"id": "a", "category": "fact", "answerable": True, "question": "How long?",
                  "must": [["one-year"]], "support": ["one-year licence is close"]}  # fmt: skip
    missed = dict(answerable, id="b", must=[["volume"]])
    unanswerable = {"id": "c", "category": "trap", "answerable": False, "question": "Price?"}
    good = Answer("How long?", f"{Q2} [1]", (cite(1, Q2),), (_passage("x", 1), _passage(TEXT, 2)))
    bad_cite = Citation(1, SOURCE, 0, 5, "WRONG")
    wrong = Answer("How long?", f"{Q2} [1]", (bad_cite,), (_passage("x", 1),))
    abstain = Answer("Price?", "The indexed documents don't answer this: price.", abstained=True, reason="price")
    answered_trap = Answer("Price?", f"{Q4} [1]", (cite(1, Q4),))

    r1 = m.score_question(answerable, good, 10.0, fake_judge, load, k=5)
    assert r1.correct and r1.rank == 2 and r1.reasons == () and r1.valid_citations == 1
    r2 = m.score_question(missed, wrong, 20.0, fake_judge, load, k=5)
    assert not r2.correct and r2.rank == 0 and r2.valid_citations == 0
    assert any("missing ['volume']" in x for x in r2.reasons) and any("invalid" in x for x in r2.reasons)
    assert any("no support phrase" in x for x in r2.reasons)
    r3 = m.score_question(unanswerable, abstain, 30.0, fake_judge, load, k=5)
    assert r3.correct and r3.cite is None and r3.rank is None
    r4 = m.score_question(unanswerable, answered_trap, 40.0, fake_judge, load, k=5)
    assert not r4.correct and "answered an unanswerable question" in r4.reasons

    agg = m.aggregate([r1, r2, r3, r4], k=5)
    assert agg["correctness"] == 0.5  # over answerable questions only
    assert agg["abstention_recall"] == 0.5 and agg["false_abstention"] == 0.0
    assert agg["citation_validity"] == pytest.approx(2 / 3, abs=1e-4)
    assert agg["hit_at_k"] == 0.5 and agg["mrr"] == 0.25
    assert agg["latency_p50_ms"] == 25.0
    only_traps = m.aggregate([r3], k=5)
    assert only_traps["correctness"] is None and only_traps["citation_recall"] is None
    assert r1.to_dict()["citation_recall"] == 1.0


# -- the gate helpers of evals/run.py ----------------------------------------------------------
def test_thresholds_file_holds_the_issue_floors() -> None:
    th = load_thresholds()
    assert th["min"] == {
        "correctness": 0.90,
        "citation_validity": 1.00,
        "citation_recall": 0.95,
        "citation_precision": 0.80,
        "abstention_recall": 0.90,
        "judge_balanced_accuracy": 0.72,
        "judge_balanced_accuracy_cv": 0.72,
    }
    assert th["max"] == {"false_abstention": 0.10}
    tomllib.loads((REPO / "evals" / "thresholds.toml").read_text())  # valid TOML


def test_check_thresholds() -> None:
    th = {"min": {"correctness": 0.9, "judge_balanced_accuracy": 0.72}, "max": {"false_abstention": 0.1}}
    assert check_thresholds({"correctness": 0.9, "false_abstention": 0.1}, th) == []
    fails = check_thresholds({"correctness": 0.8, "false_abstention": 0.2}, th)
    assert fails == ["correctness = 0.8000, needs >= 0.90", "false_abstention = 0.2000, needs <= 0.10"]
    assert check_thresholds({"correctness": None}, th) == ["correctness: not measured (no eligible question)"]


def test_load_questions_errors(tmp_path: Path) -> None:
    with pytest.raises(EvalInputError, match="cannot read"):
        load_questions(tmp_path / "none.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x", "answerable": true}\n{oops\n')
    with pytest.raises(EvalInputError, match="bad.jsonl:2"):
        load_questions(bad)
    bad.write_text('{"question": "x"}\n')
    with pytest.raises(EvalInputError, match="answerable"):
        load_questions(bad)
    bad.write_text("\n")
    with pytest.raises(EvalInputError, match="no questions"):
        load_questions(bad)
    assert len(load_questions(REPO / "evals" / "questions.jsonl")) >= 56


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--questions", "/no/such.jsonl"], "cannot read questions file"),
        (["--k", "0"], "--k must be"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    out = subprocess.run([sys.executable, "-m", "evals", *args], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr
