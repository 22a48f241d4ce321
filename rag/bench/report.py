"""The report of `newsrag bench`: its JSON keys, the JSON file, the table and the closing line.

JSON keys (besides machine, settings, per-phase details): `encoder_passages_per_s`, `ingest_seconds`,
`ingest_articles_per_s`, `ingest_chunks_per_s`, `ingest_vs_encoder`, `reference_articles_per_s`,
`ingest_vs_reference`, `reingest_seconds`, `reingest_fraction`,
`retrieval` -> {size: {"dense"|"bm25"|"hybrid": {"p50_ms", "p95_ms", ...}, "stats_seconds", "store_bytes",
"rss_mb"}} (sizes 1000 to 1000000), `machine` -> {"cpu_model", "cpu": {"flags", "avx2", "avx512", "vnni",
"summary"}, "encoder": {"requested", "chosen", "why", "calibration" (passages/s per backend, when `auto`
followed the record of `newsrag prepare`)}, "llama_cpp": llama.cpp's system info, ...},
`llm` -> {"prompt_tokens_per_s", "gen_tokens_per_s", "ttft_s", "total_s", "lavrov_ttft_s",
"memory_read_gb_per_s", "model_gb", "gen_tokens_per_s_bound", "gen_vs_bound" (`rag.bench.bandwidth`), ...},
`peak_rss_mb` -> {phase: MB}, `contention`, `targets` -> {name: {"value", "target", "met"}}.

Not handled here: running the phases (`rag.bench.runner`) or printing anything (the command in `ui/cli/bench.py`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def phase_line(name: str, stats: dict[str, Any]) -> str:
    """One finished phase: wall and CPU time, peak memory, and the CPU other processes took meanwhile."""
    share = stats["others_cpu_share"]
    busy = f", other processes used {share:.0%} of the CPU" if share is not None else ""
    return (
        f"{name}: {stats['wall_s']:.1f} s wall, {stats['cpu_s']:.1f} s CPU, "
        f"peak RSS {stats['peak_rss_mb']:.0f} MB{busy}"
    )


def failures(report: dict[str, Any]) -> str | None:
    """The failed phases and their errors in one line; None when every phase ran."""
    if not report.get("failed"):
        return None
    return "; ".join(f"{name}: {error}" for name, error in report["failed"].items())


def summary(report: dict[str, Any], json_path: Path | None = None) -> str:
    """The closing line: corpus size, ingest speed, targets met, contention, and where the figures went."""
    met = [t["met"] for t in report["targets"].values() if t["met"] is not None]
    contended = report["contention"]["contended"]
    return (
        f"{report['articles']} articles, {report['chunks']} chunks: "
        f"ingest {report['ingest_chunks_per_s']:.1f} chunks/s, {sum(met)}/{len(met)} targets met"
        + (" (CONTENDED: other processes used the CPU; timings are distorted)" if contended else "")
        + (f"; figures in {json_path}" if json_path else "")
    )


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}{unit}" if abs(value) < 100 else f"{value:,.0f}{unit}"
    return f"{value}{unit}"


def table(report: dict[str, Any]) -> Any:
    """The figures as one rich table: measure, value, and the target when there is one."""
    from rich.table import Table

    marks = {True: "[green]met[/]", False: "[red]not met[/]", None: "-"}
    goals = report["targets"]

    def goal(name: str) -> str:
        t = goals.get(name)
        return f"{t['target']} {marks[t['met']]}" if t else ""

    m = report["machine"]
    cpu = m.get("cpu") or {}
    t = Table(
        title=f"newsrag bench: {report['corpus']}",
        caption=f"{m['cores']} cores, {m['cpu_model']} ({cpu.get('summary') or 'flags unknown'})",
    )
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_column("target")
    t.add_row("CPU", f"{m['cpu_model']}, {m['cores']} cores", "")
    t.add_row("CPU flags", " ".join(cpu.get("flags") or []) or "-", "")
    enc = m.get("encoder") or {}
    t.add_row("encoder backend", f"{enc.get('chosen', '-')} ({enc.get('why', '-')})", "")
    t.add_row("llama.cpp system info", m.get("llama_cpp") or "-", "")
    t.add_row("articles / chunks", f"{report.get('articles')} / {report.get('chunks')}", "")
    t.add_row("raw encoder (passages/s)", _fmt(report.get("encoder_passages_per_s")), "")
    t.add_row("ingest (articles/s)", _fmt(report.get("ingest_articles_per_s")), "")
    t.add_row("ingest (chunks/s)", _fmt(report.get("ingest_chunks_per_s")), "")
    t.add_row("ingest / raw encoder", _fmt(report.get("ingest_vs_encoder"), "x"), goal("ingest_vs_encoder"))
    t.add_row("  same, on CPU time", _fmt(report.get("ingest_vs_encoder_cpu"), "x"), "")
    t.add_row("reference pipeline (articles/s)", _fmt(report.get("reference_articles_per_s")), "")
    t.add_row(
        "ingest / reference (articles/s)", _fmt(report.get("ingest_vs_reference"), "x"), goal("ingest_vs_reference")
    )
    t.add_row("  same, on CPU time", _fmt(report.get("ingest_vs_reference_cpu"), "x"), "")
    seconds = f"{_fmt(report.get('ingest_seconds'))} / {_fmt(report.get('reingest_seconds'))}"
    t.add_row("ingest / re-ingest (s)", seconds, goal("reingest_fraction"))
    for size, modes in report.get("retrieval", {}).items():
        for mode in ("dense", "bm25", "hybrid"):
            row = modes[mode]
            target = goal(f"hybrid_p95_ms_at_{size}") if mode == "hybrid" else ""
            latency = f"{row['p50_ms']:.1f} / {row['p95_ms']:.1f}"
            t.add_row(f"{mode} @ {int(size):,} p50 / p95 (ms)", latency, target)
        if f"hybrid_vs_slower_at_{size}" in goals:
            vs = goals[f"hybrid_vs_slower_at_{size}"]["value"]
            t.add_row(
                f"  hybrid / slower half @ {int(size):,} (p95)", _fmt(vs, "x"), goal(f"hybrid_vs_slower_at_{size}")
            )
        if "store_bytes" in modes:
            t.add_row(f"store on disk @ {int(size):,} (MB)", _fmt(modes["store_bytes"] / 2**20), "")
            t.add_row(f"serving RSS @ {int(size):,} (MB)", _fmt(modes.get("rss_mb")), goal(f"serving_rss_mb_at_{size}"))
            t.add_row(f"newsrag stats @ {int(size):,} (s)", _fmt(modes.get("stats_seconds")), "")
    for name in ("bm25_vs_dense_p95_at_100000", "hybrid_p95_1000000_vs_100000"):
        if name in goals:
            t.add_row(name.replace("_", " "), _fmt(goals[name]["value"], "x"), goal(name))
    llm = report.get("llm")
    if llm:
        speeds = f"{llm['prompt_tokens_per_s']:.1f} / {llm['gen_tokens_per_s']:.1f}"
        t.add_row("LLM prompt / generated (tokens/s)", speeds, "")
        if llm.get("gen_tokens_per_s_bound"):
            memory = f"{llm['memory_read_gb_per_s']:.1f} GB/s, {llm['model_gb']:.2f} GB model"
            t.add_row("memory read bandwidth, model size", memory, "")
            bound = f"{llm['gen_tokens_per_s_bound']:.1f} ({llm['gen_vs_bound']:.2f}x reached)"
            t.add_row("LLM generation bound (tokens/s)", bound, "")
        t.add_row("LLM time to first token / total (s)", f"{llm['ttft_s']:.2f} / {llm['total_s']:.2f}", "")
        t.add_row("LLM TTFT, Lavrov question (s)", _fmt(llm.get("lavrov_ttft_s")), goal("lavrov_ttft_s"))
    for name, mb in report["peak_rss_mb"].items():
        t.add_row(f"peak RSS {name} (MB)", f"{mb:,.0f}", "")
    share = report["contention"]["others_cpu_share"]
    if share:
        t.add_row("CPU used by other processes (max)", f"{max(share.values()):.0%}", "")
    return t
