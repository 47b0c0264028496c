"""Render a ``rag bench`` result: a Markdown table (README-ready) and a PNG plot vs corpus size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["table", "plot"]


def table(result: dict[str, Any]) -> str:
    """One Markdown table row per corpus size and system, with the ours/peer ratios."""
    m = result["machine"]
    lines = [
        f"machine: {m.get('cpus_usable', m['cpu_count'])} cores, no GPU, {m['platform']}, Python {m['python']}; "
        f"started {result['started']}, whole run {result['wall_s']:.0f} s",
        "",
        "| size | system | docs | chunks | build s | chunks/s | hit@k | MRR | acceptance | retrieve p50/p95 ms "
        "| ask p50/p95 ms | cold first answer s | cold `rag ask` s (median of 5) | peak RSS MB | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["sizes"]:
        o, p, r = row["ours"], row["peer"], row["ratio"]
        load = f"{row['loadavg_start'][0]:.1f}→{row['loadavg_end'][0]:.1f}"
        acc = o["acceptance"]
        cached = " (cached)" if o["build"].get("cached") else ""
        cli = f"{o['cold_cli']['median_s']:.2f}" if "cold_cli" in o else "–"
        lines.append(
            f"| {row['size']} | ours | {o['build']['docs'] or row['corpus']['files']} | {o['build']['chunks']} "
            f"| {o['build']['seconds']:.1f}{cached} | {o['build']['chunks_per_s']:.1f} "
            f"| {o['quality']['hit']:.3f} @{o['quality']['k']} | {o['quality']['mrr']:.3f} "
            f"| {acc['correct']}/{acc['total']} (abstain {acc['abstained_ok']}) "
            f"| {o['retrieve']['p50_ms']:.1f} / {o['retrieve']['p95_ms']:.1f} "
            f"| {o['ask']['p50_ms']:.1f} / {o['ask']['p95_ms']:.1f} "
            f"| {o['cold']['first_answer_s']:.2f} | {cli} | {o['cold']['peak_rss_mb']:.0f} | {load} |"
        )
        q2, q5 = p["quality_top2"], p["quality_top5"]
        lines.append(
            f"| {row['size']} | LlamaIndex plain | {p['build']['docs']} | {p['build']['chunks']} "
            f"| {p['build']['seconds']:.1f} | {p['build']['chunks_per_s']:.1f} "
            f"| {q2['hit']:.3f} @2 ({q5['hit']:.3f} @5) | {q2['mrr']:.3f} | – "
            f"| {p['retrieve']['p50_ms']:.1f} / {p['retrieve']['p95_ms']:.1f} "
            f"| {p['query_engine_mockllm']['p50_ms']:.1f} / {p['query_engine_mockllm']['p95_ms']:.1f} (MockLLM) "
            f"| {p['cold']['first_answer_s']:.2f} | – | {p['cold']['peak_rss_mb']:.0f} | |"
        )
        lines.append(
            f"| {row['size']} | ratio ours/peer | | | {r['build_s']:.2f} | {r['chunks_per_s']:.2f} "
            f"| {r['hit']:.2f} | {r['mrr']:.2f} | | {r['retrieve_p50']:.2f} / {r['retrieve_p95']:.2f} | "
            f"| {r['cold_first_answer_s']:.2f} | | {r['peak_rss_mb']:.2f} | |"
        )
    e = result.get("embedding")
    if e:
        lines += [
            "",
            f"embedding throughput ({e['texts']} texts of ~{e['mean_tokens']:.0f} wordpieces, alternating): "
            f"ONNX {e['onnx_per_s']:.1f}/s vs sentence-transformers (torch fp32) {e['torch_per_s']:.1f}/s "
            f"= {e['speedup']:.2f}x",
        ]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Latency (p50, log scale) and hit rate vs corpus size, both systems, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["sizes"]
    xs = [max(2, int(r["corpus"]["files"])) for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=90)
    series = [
        ("ours: ask (end to end)", [r["ours"]["ask"]["p50_ms"] for r in rows], "C0", "-"),
        ("ours: retrieval", [r["ours"]["retrieve"]["p50_ms"] for r in rows], "C0", "--"),
        ("LlamaIndex: retrieval top-2", [r["peer"]["retrieve"]["p50_ms"] for r in rows], "C1", "--"),
    ]
    for label, ys, color, style in series:
        left.plot(xs, ys, style, color=color, marker="o", label=label)
    left.set(xscale="log", yscale="log", xlabel="documents", ylabel="warm p50 latency (ms)", title="Latency")
    left.legend(fontsize=8)
    quality = [
        ("ours hit@5", [r["ours"]["quality"]["hit"] for r in rows], "C0", "-"),
        ("LlamaIndex hit@2", [r["peer"]["quality_top2"]["hit"] for r in rows], "C1", "--"),
        ("LlamaIndex hit@5", [r["peer"]["quality_top5"]["hit"] for r in rows], "C1", ":"),
    ]
    for label, ys, color, style in quality:
        right.plot(xs, ys, style, color=color, marker="o", label=label)
    right.set(xscale="log", ylim=(0, 1.02), xlabel="documents", ylabel="hit rate", title="Retrieval quality")
    right.legend(fontsize=8, loc="lower left")
    from matplotlib.ticker import ScalarFormatter

    left.yaxis.set_major_formatter(ScalarFormatter())
    left.yaxis.set_minor_formatter(ScalarFormatter())
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"rag bench ({result['machine'].get('cpus_usable', '?')} cores, no GPU)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
