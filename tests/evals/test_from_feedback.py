"""``rag eval --from-feedback``: a real feedback file (the chat page's FeedbackLog over real answers) -> candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.run import load_questions, main
from ui.feedback import FeedbackLog

ANSWERED = "How long do Chinese rare-earth export licences last today?"
OFF_TOPIC = "Who won the 2022 football World Cup?"


@pytest.fixture()
def feedback_file(assistant, tmp_path: Path) -> Path:
    """What a chat session writes: ratings of real answers, a follow-up, a re-rated question, a broken line."""
    log = FeedbackLog(tmp_path / "home" / "feedback.jsonl")
    good = assistant.ask(ANSWERED)
    log.record(ANSWERED, ANSWERED, good, liked=False, k=5)
    log.record(ANSWERED, ANSWERED, good, liked=True, k=5)  # re-rated: the latest rating wins
    log.record(OFF_TOPIC, OFF_TOPIC, assistant.ask(OFF_TOPIC), liked=True)
    follow = "licences what about one-year — and then?"
    log.record("and then?", follow, assistant.ask(follow), liked=False)
    with log.path.open("a", encoding="utf-8") as fh:
        fh.write("not json\n" + json.dumps({"rating": "meh", "question": "x"}) + "\n")
    return log.path


def test_from_feedback_writes_reviewable_candidates(
    feedback_file: Path, tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "candidates.jsonl"
    assert main(["--from-feedback", str(feedback_file), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote 3 candidate question(s) (2 liked, 1 disliked)" in said and "skipped 2 line(s)" in said
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    by_q = {r["question"]: r for r in rows}
    assert set(by_q) == {ANSWERED, OFF_TOPIC, "and then?"}
    liked = by_q[ANSWERED]
    assert liked["answerable"] is True and liked["feedback"]["rating"] == "up" and liked["must"] == []
    assert liked["support"] and all(q in liked["feedback"]["answer"] for q in liked["support"])
    for c in liked["feedback"]["citations"]:  # the citations, still exact spans
        assert (repo / c["source"]).read_text(encoding="utf-8")[c["start"] : c["end"]] == c["quote"]
    assert liked["support"] == [c["quote"] for c in liked["feedback"]["citations"]]
    assert by_q[OFF_TOPIC]["answerable"] is False and by_q[OFF_TOPIC]["feedback"]["abstained"] is True
    follow = by_q["and then?"]
    assert follow["feedback"]["rating"] == "down" and "rewrite it to stand alone" in follow["review"]
    assert all(r["review"] and r["id"].startswith("fb-") and r["category"] == "from_feedback" for r in rows)
    # the file is already in the questions format: after review it is added as it is
    assert [q["question"] for q in load_questions(out)] == [r["question"] for r in rows]


def test_from_feedback_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--from-feedback", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "c.jsonl")]) == 2
    assert "cannot read feedback file" in capsys.readouterr().err
    (tmp_path / "f.jsonl").write_text("{}\n")
    assert main(["--from-feedback", str(tmp_path / "f.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "needs --out" in err and err.count("\n") == 1
