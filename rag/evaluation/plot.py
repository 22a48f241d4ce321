"""A PNG bar chart of the quality metrics by prompt type (matplotlib, Agg backend: no display needed).

Only metrics in [0, 1] are drawn (not latencies); a metric measured in no type is left out, one measured
in some types only leaves gaps. Not handled: interactive or SVG output.
"""

from __future__ import annotations

from pathlib import Path

from rag.evaluation.metrics import QUALITY
from rag.evaluation.reports import label, metric_rows
from rag.evaluation.runner import EvalResult


def write_plot(result: EvalResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: never a GUI backend (CI, servers)
    import matplotlib.pyplot as plt

    k = result.settings.get("k", 5)
    rows = metric_rows(result, QUALITY)
    overall = "(all)"  # cannot clash with a prompt type named "all"
    groups = {overall: result.metrics, **result.by_type} if len(result.by_type) > 1 else dict(result.by_type)
    for metric, values in rows.items():
        value = result.metrics.get(metric)
        if overall in groups and value is not None:
            rows[metric] = {overall: value, **values}
    types = list(groups)
    width = 0.8 / max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(types) + 3), 4.5), dpi=110)
    for i, (metric, values) in enumerate(rows.items()):
        xs = [t + (i - (len(rows) - 1) / 2) * width for t in range(len(types))]
        heights = [values.get(name, float("nan")) for name in types]
        ax.bar(xs, heights, width=width, label=label(metric, k))
    ax.set_xticks(range(len(types)))
    ax.set_xticklabels([f"{t}\n(n={groups[t]['n']})" for t in types], rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"newsrag eval by type ({result.metrics['n']} prompts)")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
