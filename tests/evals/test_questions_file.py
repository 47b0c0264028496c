"""Sanity checks for the evaluation question sets: evals/questions.jsonl and the later, blind-written sets."""

import json
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
QUESTIONS = REPO / "evals" / "questions.jsonl"
HELDOUT = REPO / "evals" / "heldout.jsonl"
BLIND = REPO / "evals" / "blind.jsonl"
UNSEEN = [REPO / "evals" / f"unseen{n}.jsonl" for n in ("", "2", "3", "4")]
SEEDS_DIR = REPO / "seeds"
ACCEPTANCE = REPO.parent / "shared" / "evals" / "acceptance.jsonl"

CATEGORIES = {
    "single_fact",
    "number_date",
    "attribution",
    "cross_source",
    "comparison",
    "paraphrase",
    "near_miss",
    "off_topic",
    "chrome_trap",
    "ignore_docs",
}
ANSWERABLE_CATEGORIES = {
    "single_fact",
    "number_date",
    "attribution",
    "cross_source",
    "comparison",
    "paraphrase",
}
UNANSWERABLE_CATEGORIES = {"near_miss", "off_topic", "chrome_trap", "ignore_docs"}
MIN_NEW_QUESTIONS = 40


def _load_jsonl(path: Path) -> list[dict]:
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - reported via assert
            pytest.fail(f"{path.name}:{lineno} is not valid JSON: {exc}")
        assert isinstance(row, dict), f"{path.name}:{lineno} is not a JSON object"
        rows.append(row)
    return rows


@pytest.fixture(
    scope="module",
    params=[QUESTIONS, HELDOUT, BLIND, *UNSEEN],
    ids=["questions", "heldout", "blind", "unseen", "unseen2", "unseen3", "unseen4"],
)
def question_file(request: pytest.FixtureRequest) -> Path:
    assert request.param.is_file(), f"missing {request.param}"
    return request.param


@pytest.fixture(scope="module")
def questions(question_file: Path) -> list[dict]:
    return _load_jsonl(question_file)


@pytest.fixture(scope="module")
def main_questions() -> list[dict]:
    return _load_jsonl(QUESTIONS)


@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    files = sorted(SEEDS_DIR.glob("*.txt"))
    assert files, f"no seed files in {SEEDS_DIR}"
    return [p.read_text(encoding="utf-8") for p in files]


def test_every_line_parses(questions, question_file):
    text = question_file.read_text(encoding="utf-8")
    non_blank = [ln for ln in text.splitlines() if ln.strip()]
    assert len(non_blank) == len(questions)
    assert questions, "question file is empty"


def test_ids_unique(questions):
    counts = Counter(q.get("id") for q in questions)
    dupes = [i for i, n in counts.items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_required_fields_and_types(questions):
    for q in questions:
        qid = q.get("id")
        assert isinstance(qid, str) and qid.strip(), f"bad id in {q}"
        assert isinstance(q.get("question"), str) and q["question"].strip(), f"{qid}: bad question"
        assert isinstance(q.get("answerable"), bool), f"{qid}: answerable must be a bool"
        assert isinstance(q.get("category"), str), f"{qid}: category must be a string"
        if "origin" in q:
            assert isinstance(q["origin"], str), f"{qid}: origin must be a string"
        if "must" in q:
            must = q["must"]
            assert isinstance(must, list), f"{qid}: must must be a list"
            for group in must:
                assert isinstance(group, list) and group, f"{qid}: empty/invalid must group"
                for alt in group:
                    assert isinstance(alt, str) and alt.strip(), f"{qid}: bad must alternative {alt!r}"
        if "support" in q:
            support = q["support"]
            assert isinstance(support, list), f"{qid}: support must be a list"
            for s in support:
                assert isinstance(s, str) and s.strip(), f"{qid}: bad support string {s!r}"


def test_categories_allowed(questions):
    for q in questions:
        assert q["category"] in CATEGORIES, f"{q['id']}: unknown category {q['category']!r}"


def test_category_matches_answerability(questions):
    for q in questions:
        if q["category"] in UNANSWERABLE_CATEGORIES:
            assert q["answerable"] is False, f"{q['id']}: {q['category']} must be unanswerable"
        else:
            assert q["category"] in ANSWERABLE_CATEGORIES
            assert q["answerable"] is True, f"{q['id']}: {q['category']} must be answerable"


def test_enough_new_questions(main_questions):
    new = [q for q in main_questions if q.get("origin") != "acceptance"]
    assert len(new) >= MIN_NEW_QUESTIONS, f"only {len(new)} non-acceptance questions"


def test_every_category_represented(main_questions):
    present = {q["category"] for q in main_questions}
    assert CATEGORIES <= present, f"missing categories: {sorted(CATEGORIES - present)}"


def test_acceptance_questions_included_unchanged(main_questions):
    if not ACCEPTANCE.is_file():
        pytest.skip(f"{ACCEPTANCE} not present")
    by_id = {q["id"]: q for q in main_questions}
    for acc in _load_jsonl(ACCEPTANCE):
        assert acc["id"] in by_id, f"acceptance question {acc['id']} missing"
        ours = by_id[acc["id"]]
        for key, value in acc.items():
            assert ours.get(key) == value, f"{acc['id']}: field {key!r} differs from acceptance"
        assert ours.get("origin") == "acceptance", f"{acc['id']}: origin should be 'acceptance'"


def test_answerable_have_must_and_support(questions):
    for q in questions:
        if q["answerable"]:
            assert q.get("must"), f"{q['id']}: answerable question needs non-empty must"
            assert q.get("support"), f"{q['id']}: answerable question needs non-empty support"
        else:
            assert "must" not in q, f"{q['id']}: unanswerable question must not have must"
            assert "support" not in q, f"{q['id']}: unanswerable question must not have support"


def test_support_strings_are_verbatim_in_seeds(questions, seed_texts):
    for q in questions:
        for s in q.get("support", []):
            assert any(s in text for text in seed_texts), (
                f"{q['id']}: support string not found verbatim in seeds: {s!r}"
            )


def test_must_groups_satisfiable_from_support(questions, seed_texts):
    """Every must group has an alternative inside the cited support text (guards typos
    and ensures an extractive answer quoting the support would pass)."""
    corpus = "\n".join(seed_texts).lower()
    for q in questions:
        support = " ".join(q.get("support", [])).lower()
        for group in q.get("must", []):
            assert any(alt.lower() in corpus for alt in group), (
                f"{q['id']}: no alternative of must group {group} occurs in the seeds"
            )
            assert any(alt.lower() in support for alt in group), (
                f"{q['id']}: no alternative of must group {group} occurs in its support strings"
            )
