"""Outputs of an evaluation: the terminal table (rich), JSON, a markdown report of every failed prompt
with what was retrieved, and JUnit XML with one test case per prompt. The PNG chart is in `plot`.

Not handled: HTML reports, diffs between two runs (compare two JSON files instead).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from rag.evaluation.metrics import COUNTS, QUALITY, STAGES, Case, percentile
from rag.evaluation.runner import EvalResult

LABELS = {"hit_at_k": "hit@{k}", "mrr": "MRR"}
SHORT = {  # terminal column space is scarce
    "context_recall": "context recall",
    "answer_accuracy": "accuracy",
    "token_f1": "token F1",
    "citation_precision": "citation prec.",
    "citation_validity": "citation valid.",
    "refusal_accuracy": "refusal acc.",
    "false_refusal_rate": "false refusals",
}


def label(metric: str, k: int, short: bool = False) -> str:
    return ((short and SHORT.get(metric)) or LABELS.get(metric, metric)).format(k=k)


def fmt(value: float | None, metric: str = "") -> str:
    if value is None:
        return "-"
    if metric in COUNTS or isinstance(value, int):
        return str(value)
    if metric.startswith("latency_"):
        return f"{value:.2f} s"
    return f"{value:.3f}"


def failure_reason(case: Case, k: int) -> str | None:
    """Why a case failed, in words; None when it did not."""
    if case.error is not None:
        return f"error: {case.error}"
    if case.citation_valid is False:
        return "a citation marker names no listed source"
    if case.correct is not False:
        return None
    if case.answer is None:
        where = f"rank {case.hit_rank}" if case.hit_rank else "not retrieved"
        return f"no gold article in the top {k} passages ({where})"
    if not case.answerable:
        return "answered an unanswerable prompt"
    if case.refused:
        return "refused an answerable prompt"
    return "the answer contains no gold answer"


# --- terminal


def print_table(result: EvalResult, console=None) -> None:
    """Quality metrics (rows) overall and per type (columns), then latency per stage."""
    from rich.console import Console
    from rich.table import Table

    if console is None:
        console = Console()
        if not console.is_terminal:  # CI logs and pipes: no reason to squeeze into 80 columns
            console = Console(width=200)
    k = result.settings.get("k", 5)
    types = list(result.by_type) if len(result.by_type) > 1 else []
    table = Table(title=f"newsrag eval: {result.metrics['n']} prompts", title_justify="left")
    table.add_column("metric", no_wrap=True)
    table.add_column("all", justify="right", style="bold", no_wrap=True)
    for name in types:
        table.add_column(name, justify="right", overflow="fold")
    for count in COUNTS:
        row = [result.metrics, *(result.by_type[t] for t in types)]
        if count == "n" or result.metrics.get(count):
            table.add_row(count.replace("_", " "), *(str(m.get(count, 0)) for m in row))
    for metric in QUALITY:
        values = [result.metrics.get(metric), *(result.by_type[t].get(metric) for t in types)]
        if all(v is None for v in values):
            continue
        table.add_row(label(metric, k, short=True), *(fmt(v, metric) for v in values))
    console.print(table)

    latency = Table(title="latency per stage", title_justify="left")
    for name in ("stage", "p50", "p95"):
        latency.add_column(name, justify="left" if name == "stage" else "right")
    for stage in STAGES:
        p50, p95 = result.metrics.get(f"latency_{stage}_p50"), result.metrics.get(f"latency_{stage}_p95")
        if p50 is not None:
            latency.add_row(stage, fmt(p50, "latency_"), fmt(p95, "latency_"))
    console.print(latency)


# --- files


def write_json(result: EvalResult, path: Path, extra: dict | None = None) -> None:
    """`result.as_dict()`, plus `extra` top-level keys (e.g. `baseline` and `comparison`)."""
    data = dict(result.as_dict(), **(extra or {}))
    _parent(path).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def write_markdown(result: EvalResult, path: Path, extra: Sequence[str] = ()) -> None:
    """The report of `result`, followed by the `extra` lines (e.g. the baseline section)."""
    text = markdown(result)
    if extra:
        text += "\n".join(["", *extra]) + "\n"
    _parent(path).write_text(text, encoding="utf-8")


def markdown(result: EvalResult) -> str:
    k = result.settings.get("k", 5)
    s = result.settings
    lines = [
        f"# newsrag eval: {s.get('prompts', 'prompts')}",
        "",
        ", ".join(f"{key}: `{value}`" for key, value in s.items() if key != "prompts"),
        "",
        "## Metrics",
        "",
    ]
    types = list(result.by_type)
    lines.append("| metric | all | " + " | ".join(types) + " |")
    lines.append("|---|---:|" + "---:|" * len(types))
    for metric in result.metrics:
        if metric in COUNTS and metric != "n" and not result.metrics[metric]:
            continue
        row = [result.metrics[metric]] + [result.by_type[t].get(metric) for t in types]
        if all(v is None for v in row):
            continue
        lines.append(f"| {label(metric, k)} | " + " | ".join(fmt(v, metric) for v in row) + " |")
    lines += _gate_evidence(result.cases)
    lines += failed_prompts("## Failed prompts", result.cases, k, _failed_case)
    return "\n".join(lines) + "\n"


def failed_prompts(
    heading: str, cases: Sequence[Case], k: int, describe: Callable[[Case, str], list[str]]
) -> list[str]:
    """A report section: `heading` with the count, then `describe(case, why)` for each failed case."""
    failed = [(case, why) for case in cases if (why := failure_reason(case, k))]
    lines = ["", f"{heading} ({len(failed)} of {len(cases)})", ""]
    if not failed:
        lines.append("None.")
    for case, why in failed:
        lines += describe(case, why)
    return lines


def _gate_evidence(cases: Sequence[Case]) -> list[str]:
    """Best dense similarity per prompt, answerable vs not: what the refusal threshold is calibrated on."""
    groups = {
        "answerable": [c.best_dense for c in cases if c.answerable and c.best_dense is not None],
        "unanswerable": [c.best_dense for c in cases if not c.answerable and c.best_dense is not None],
    }
    if not any(groups.values()):
        return []
    qs = (0, 5, 25, 50, 75, 95, 100)
    lines = [
        "",
        "## Refusal evidence: best dense similarity per prompt",
        "",
        "| prompts | n | " + " | ".join("min" if q == 0 else "max" if q == 100 else f"p{q}" for q in qs) + " |",
        "|---|---:|" + "---:|" * len(qs),
    ]
    for name, values in groups.items():
        if values:
            cells = " | ".join(f"{percentile(values, q):.3f}" for q in qs)
            lines.append(f"| {name} | {len(values)} | {cells} |")
    return lines


def _failed_case(case: Case, why: str) -> list[str]:
    gold = ", ".join(f"`{a}`" for a in case.answers) or "-"
    lines = [
        f"### {case.id} ({case.type}): {why}",
        "",
        f"- **Question:** {_md(case.question)}",
        (
            f"- **Answerable:** {'yes' if case.answerable else 'no'}; gold answers: {gold}; "
            f"gold articles: {', '.join(case.supporting_article_ids) or '-'}"
        ),
    ]
    if case.answer is not None:
        refused = f" (refused by {case.refused_by})" if case.refused else ""
        lines.append(f"- **Answer{refused}:** {_md(case.answer)}")
    if case.refused and case.refusal:
        lines += _refusal(case.refusal)
    for c in case.citations:
        flags = (
            ", ".join(name for name, on in (("supported", c["supported"]), ("precise", c["precise"])) if on)
            or "unsupported, imprecise"
        )
        lines.append(f'  - [{c["n"]}] `{c["article_id"]}` ({flags}): "{_md(c["quote"])}"')
    best = f"{case.best_dense:.3f}" if case.best_dense is not None else "-"
    lines += [
        f"- **Gold rank:** {case.hit_rank or '-'}; best dense similarity: {best}",
        "",
        "| rank | article | gold | given | dense | passage |",
        "|---:|---|:-:|:-:|---:|---|",
    ]
    for r in case.retrieved:
        dense = f"{r['dense']:.3f}" if r["dense"] is not None else "-"
        lines.append(
            f"| {r['rank']} | `{r['article_id']}` | {'✓' if r['gold'] else ''} | {'✓' if r['given'] else ''} "
            f"| {dense} | {_md(r['text'])} |"
        )
    return [*lines, ""]


def _refusal(refusal: dict) -> list[str]:
    """The refusing gate, the draft the model wrote, and that gate's evidence (key: value lines)."""
    draft = str(refusal.get("draft") or "")
    lines = [
        f"- **Refusal gate:** {refusal.get('gate') or '-'}",
        f"  - draft: {_md(draft) if draft.strip() else '(none: no model ran)'}",
    ]
    evidence = refusal.get("evidence") or {}
    if evidence:
        lines.append("  - evidence:")
        lines += [f"    - {key}: {_evidence_value(value)}" for key, value in evidence.items()]
    return lines


def _evidence_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_evidence_value(v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(_evidence_value(v) for v in value) or "-"
    return _md(str(value))


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def write_junit(result: EvalResult, path: Path) -> None:
    """One <testcase> per prompt: failure with the reason, skipped when nothing could be judged."""
    import xml.etree.ElementTree as ET

    k = result.settings.get("k", 5)
    reasons = [failure_reason(c, k) for c in result.cases]
    suite = ET.Element(
        "testsuite",
        name="newsrag eval",
        tests=str(len(result.cases)),
        failures=str(sum(1 for c, r in zip(result.cases, reasons, strict=True) if r and c.error is None)),
        errors=str(sum(1 for c in result.cases if c.error is not None)),
        skipped=str(sum(1 for c, r in zip(result.cases, reasons, strict=True) if not r and c.correct is None)),
        time=f"{sum(c.timings.get('total', 0.0) for c in result.cases):.3f}",
    )
    for case, reason in zip(result.cases, reasons, strict=True):
        node = ET.SubElement(
            suite, "testcase", classname=f"eval.{case.type}", name=case.id, time=f"{case.timings.get('total', 0.0):.3f}"
        )
        details = _details(case)
        if case.error is not None:
            ET.SubElement(node, "error", message=reason or "", type="InputError").text = details
        elif reason:
            ET.SubElement(node, "failure", message=reason, type="AssertionError").text = details
        elif case.correct is None:
            ET.SubElement(node, "skipped", message="nothing to judge: no gold answer or gold article")
        ET.SubElement(node, "system-out").text = details
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    tree.write(_parent(path), encoding="utf-8", xml_declaration=True)


def _details(case: Case) -> str:
    lines = [
        f"question: {case.question}",
        f"gold answers: {case.answers}",
        f"gold articles: {case.supporting_article_ids}",
    ]
    if case.answer is not None:
        lines.append(f"answer{' (refused)' if case.refused else ''}: {case.answer}")
    lines.append(f"gold rank: {case.hit_rank}; retrieved: {[r['article_id'] for r in case.retrieved[:5]]}")
    return "\n".join(lines)


def _parent(path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def metric_rows(result: EvalResult, metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    """{metric: {type: value}} for the metrics measured in some type (the chart's data)."""
    rows: dict[str, dict[str, float]] = {}
    for metric in metrics:
        values = {t: v for t, m in result.by_type.items() if (v := m.get(metric)) is not None}
        if values:
            rows[metric] = values
    return rows
