"""Ours against the baseline (`newsrag eval --baseline`): differences, latency ratios, their table and report.

`compare` gives `<metric>_diff` (ours minus baseline) for every quality and latency metric, and
`<metric>_ratio` (ours / baseline) for the p50 and p95 latency of `ttft` and `total`; None where either
side was not measured (or the baseline took no time). `--fail-under` takes bars on these too: the diff of a
higher-is-better metric fails below its bar; a ratio, and the diff of a lower-is-better metric (false
refusals, latency), fail above it (`metrics.lower_is_better` reads the name).

Not handled: significance. On a few dozen prompts a difference of one prompt is noise.
"""

from __future__ import annotations

from rag.evaluation.metrics import COUNTS, QUALITY, STAGES, Case
from rag.evaluation.reports import _md, failed_prompts, fmt, label
from rag.evaluation.runner import EvalResult

LATENCY = tuple(f"latency_{s}_{p}" for s in STAGES for p in ("p50", "p95"))
RATIOS = tuple(f"latency_{s}_{p}" for s in ("ttft", "total") for p in ("p50", "p95"))
COMPARISON_METRICS = (*(f"{m}_diff" for m in (*QUALITY, *LATENCY)), *(f"{m}_ratio" for m in RATIOS))
PIPELINE = "LangChain tutorial pipeline"
TITLE = f"Baseline ({PIPELINE})"


def compare(ours: dict, baseline: dict) -> dict[str, float | None]:
    """{`<metric>_diff`: ours - baseline, `<metric>_ratio`: ours / baseline} (keys in COMPARISON_METRICS)."""
    out: dict[str, float | None] = {}
    for metric in (*QUALITY, *LATENCY):
        a, b = ours.get(metric), baseline.get(metric)
        out[f"{metric}_diff"] = a - b if a is not None and b is not None else None
    for metric in RATIOS:
        a, b = ours.get(metric), baseline.get(metric)
        out[f"{metric}_ratio"] = a / b if a is not None and b else None
    return {name: round(v, 4) if v is not None else None for name, v in out.items()}


def _diff(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f} s" if metric.startswith("latency_") else f"{value:+.3f}"


def _ratio(comparison: dict, metric: str) -> str:
    value = comparison.get(f"{metric}_ratio")
    return f"{value:.2f}x" if value is not None else ""


def _rows(ours: EvalResult, baseline: EvalResult) -> list[str]:
    """Metrics to show: `n` and the other counts when non-zero, then those measured on either side."""
    rows = [c for c in COUNTS if c == "n" or ours.metrics.get(c) or baseline.metrics.get(c)]
    return rows + [
        m for m in (*QUALITY, *LATENCY) if ours.metrics.get(m) is not None or baseline.metrics.get(m) is not None
    ]


def _types(ours: EvalResult, baseline: EvalResult) -> list[str]:
    return list(dict.fromkeys([*ours.by_type, *baseline.by_type]))


def _cell(a: dict | None, b: dict | None, metric: str) -> str:
    return f"{fmt((a or {}).get(metric), metric)} / {fmt((b or {}).get(metric), metric)}"


# --- terminal


def print_comparison(ours: EvalResult, baseline: EvalResult, comparison: dict, console=None) -> None:
    """One rich table: ours, the baseline, the difference, the latency ratio, and a column per type (ours / base)."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # CI logs and pipes: no reason to squeeze into 80 columns
            console = Console(width=200)
    k = ours.settings.get("k", 5)
    types = _types(ours, baseline) if len(ours.by_type) > 1 else []
    table = Table(title=f"newsrag eval: {ours.metrics['n']} prompts, ours vs {PIPELINE}", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for name in ("ours", "baseline", "difference", "ours/baseline"):
        table.add_column(name, justify="right", style="bold" if name == "ours" else None, no_wrap=True)
    for name in types:
        table.add_column(f"{name} (ours / base)", justify="right", overflow="fold")
    for metric in _rows(ours, baseline):
        a, b = ours.metrics.get(metric), baseline.metrics.get(metric)
        diff = "" if metric in COUNTS else _diff(comparison.get(f"{metric}_diff"), metric)
        plain = metric in COUNTS or metric.startswith("latency_")
        name = metric.replace("_", " ") if plain else label(metric, k, short=True)
        cells = [_cell(ours.by_type.get(t), baseline.by_type.get(t), metric) for t in types]
        table.add_row(name, fmt(a, metric), fmt(b, metric), diff, _ratio(comparison, metric), *cells)
    console.print(table)


# --- markdown


def markdown_section(ours: EvalResult, baseline: EvalResult, comparison: dict) -> list[str]:
    """The report's baseline section: side-by-side metrics, per type, and the baseline's failed prompts."""
    k = ours.settings.get("k", 5)
    s = baseline.settings
    lines = [
        f"## {TITLE}",
        "",
        ", ".join(f"{key}: `{value}`" for key, value in s.items()),
        "",
        "The same prompts, embeddings and chat model through LangChain's tutorial RAG pipeline "
        "(single-turn: a follow-up is asked its last question only; no citations, no relevance gate).",
        "",
        "| metric | ours | baseline | difference | ours / baseline |",
        "|---|---:|---:|---:|---:|",
    ]
    for metric in _rows(ours, baseline):
        a, b = ours.metrics.get(metric), baseline.metrics.get(metric)
        diff = "" if metric in COUNTS else _diff(comparison.get(f"{metric}_diff"), metric)
        cells = [label(metric, k), fmt(a, metric), fmt(b, metric), diff, _ratio(comparison, metric)]
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "### By type", "", "| type | metric | ours | baseline | difference |", "|---|---|---:|---:|---:|"]
    for name in _types(ours, baseline):
        mine, theirs = ours.by_type.get(name, {}), baseline.by_type.get(name, {})
        for metric in ("n", *QUALITY):
            x, y = mine.get(metric), theirs.get(metric)
            if x is None and y is None:
                continue
            diff = "" if metric in COUNTS or x is None or y is None else _diff(x - y, metric)
            lines.append(f"| {name} | {label(metric, k)} | {fmt(x, metric)} | {fmt(y, metric)} | {diff} |")

    return lines + failed_prompts("### Baseline failed prompts", baseline.cases, k, _failed_line) + [""]


def _failed_line(case: Case, why: str) -> list[str]:
    retrieved = ", ".join(f"`{r['article_id']}`" + (" (gold)" if r["gold"] else "") for r in case.retrieved)
    return [f'- `{case.id}` ({case.type}): {why}. Answer: "{_md(case.answer or "")}"; retrieved: {retrieved or "-"}']
