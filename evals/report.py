"""The report of ``rag eval``: scores overall and per category with the gate, as a table, Markdown and a chart."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.inputs import check_thresholds, load_thresholds
from evals.metrics import QuestionResult, aggregate

__all__ = ["COLUMNS", "CHART_METRICS", "build_report", "render_table", "render_markdown", "plot_scores", "write_report"]

# What the table and chart show, in order: (key in the scores, column title).
COLUMNS = (
    ("correctness", "correct"),
    ("abstention_recall", "abstain"),
    ("citation_validity", "valid"),
    ("citation_recall", "cit.R"),
    ("citation_precision", "cit.P"),
    ("hit_at_k", "hit@k"),
    ("mrr", "MRR"),
    ("latency_p50_ms", "p50 ms"),
)
CHART_METRICS = ("correctness", "abstention_recall", "citation_recall", "citation_precision", "hit_at_k")


def build_report(
    results: Sequence[QuestionResult],
    k: int,
    meta: Mapping[str, Any],
    thresholds: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """Overall and per-category scores, the gate (``thresholds``, default ``THRESHOLDS``), every question's result."""
    categories: dict[str, list[QuestionResult]] = {}
    for r in results:
        categories.setdefault(r.category, []).append(r)
    overall = aggregate(results, k)
    thresholds = load_thresholds() if thresholds is None else thresholds
    failures = check_thresholds(overall, thresholds)
    return {
        **meta,
        "overall": overall,
        "categories": {c: aggregate(rs, k) for c, rs in categories.items()},
        "thresholds": thresholds,
        "gate": {"passed": not failures, "failures": failures},
        "results": [r.to_dict() for r in results],
    }


def _fmt(value: Any, key: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if key.endswith("_ms") else f"{value:.2f}"


def render_table(report: Mapping[str, Any]) -> str:
    """Plain-text table: one row per category, then overall, then the gate and broken questions."""
    k = report["overall"]["k"]
    heads = ["category", "n", *[t.replace("@k", f"@{k}") for _, t in COLUMNS]]
    rows = [
        [cat, str(s["questions"]), *[_fmt(s[key], key) for key, _ in COLUMNS]]
        for cat, s in sorted(report["categories"].items())
    ]
    o = report["overall"]
    rows.append(["overall", str(o["questions"]), *[_fmt(o[key], key) for key, _ in COLUMNS]])
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    line = "  ".join

    def fmt(r: list[str]) -> str:
        return line(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

    out = [fmt(heads), fmt(["-" * w for w in widths]), *map(fmt, rows[:-1]), fmt(["-" * w for w in widths])]
    out.append(fmt(rows[-1]))
    out.append(
        f"false abstention {_fmt(o['false_abstention'], '')}   latency p50 {_fmt(o['latency_p50_ms'], '_ms')} ms, "
        f"p95 {_fmt(o['latency_p95_ms'], '_ms')} ms   ({o['answerable']} answerable, {o['unanswerable']} not)"
    )
    gate = report["gate"]
    out.append("gate: PASS" if gate["passed"] else "gate: FAIL\n" + "\n".join(f"  {f}" for f in gate["failures"]))
    broken = [r for r in report["results"] if r["reasons"]]
    if broken:
        out.append(f"questions with problems ({len(broken)}):")
        out += [f"  {r['id']} [{r['category']}] {'; '.join(r['reasons'])}" for r in broken]
    return "\n".join(out)


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report as Markdown: gate, per-category table, and per-question problems."""
    o, th = report["overall"], report["thresholds"]
    lines = [
        f"# Grounding eval — {report['created']}",
        "",
        f"`{report['questions_file']}`, {o['questions']} questions, mode `{report['mode']}`, k = {o['k']}, "
        f"{report['runtime_s']:.0f} s.",
        "",
        "| metric | value | threshold | |",
        "|---|---|---|---|",
    ]
    for key in ("correctness", "citation_validity", "citation_recall", "citation_precision", "hit_at_k", "mrr"):
        lines.append(_md_gate_row(key, o[key], th))
    for key in ("abstention_recall", "false_abstention", "latency_p50_ms", "latency_p95_ms"):
        lines.append(_md_gate_row(key, o[key], th))
    heads = ["category", "n", *[t for _, t in COLUMNS]]
    lines += ["", "| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for cat, s in sorted(report["categories"].items()):
        lines.append(f"| {cat} | {s['questions']} | " + " | ".join(_fmt(s[k], k) for k, _ in COLUMNS) + " |")
    lines.append(f"| **overall** | {o['questions']} | " + " | ".join(_fmt(o[k], k) for k, _ in COLUMNS) + " |")
    broken = [r for r in report["results"] if r["reasons"]]
    lines += ["", f"## Questions with problems ({len(broken)})", ""]
    for r in broken:
        lines.append(f"- **{r['id']}** ({r['category']}) {r['question']}")
        lines += [f"  - {why}" for why in r["reasons"]]
    return "\n".join(lines) + "\n"


def _md_gate_row(key: str, value: Any, th: Mapping[str, Mapping[str, float]]) -> str:
    if key in th["min"]:
        limit, ok = f">= {th['min'][key]:.2f}", value is not None and value >= th["min"][key]
    elif key in th["max"]:
        limit, ok = f"<= {th['max'][key]:.2f}", value is not None and value <= th["max"][key]
    else:
        return f"| {key} | {_fmt(value, key)} | | |"
    return f"| {key} | {_fmt(value, key)} | {limit} | {'pass' if ok else '**FAIL**'} |"


def plot_scores(report: Mapping[str, Any], path: Path) -> None:
    """Bar chart of the main scores per category (and overall) into ``path`` (PNG, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {**dict(sorted(report["categories"].items())), "overall": report["overall"]}
    names = list(groups)
    fig, ax = plt.subplots(figsize=(max(9.0, 1.4 * len(names)), 4.8))
    width = 0.8 / len(CHART_METRICS)
    for j, key in enumerate(CHART_METRICS):
        xs = [i + (j - (len(CHART_METRICS) - 1) / 2) * width for i in range(len(names))]
        ys = [groups[n][key] if groups[n][key] is not None else 0.0 for n in names]
        ax.bar(xs, ys, width, label=key.replace("_", " ").replace("hit at k", f"hit@{report['overall']['k']}"))
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"Grounding eval per category ({report['created'][:16]}; a missing bar = not applicable)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: Mapping[str, Any], out: Path) -> None:
    """``latest.json``, ``latest.md`` and ``scores.png`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "latest.md").write_text(render_markdown(report), encoding="utf-8")
    plot_scores(report, out / "scores.png")
