"""Numbers for `newsrag bench`: latency summaries, the issue's targets, and the machine.

Pure functions over plain numbers and dicts, so they are tested without models. Not handled here: running
anything or measuring time (`rag.bench.runner` and its phase modules do that), and percentiles: the bench
takes `newsrag eval`'s (`rag.evaluation.metrics.percentile`).
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from index.cpu import cpu_model
from rag.evaluation.metrics import percentile

# The targets of issue 7 ("Performance: a benchmark command, and make it fast on 2 cores").
TARGET_INGEST_VS_ENCODER = 0.9  # at least, chunks/s of ingest over passages/s of the raw encoder
TARGET_INGEST_VS_REFERENCE = 2.0  # at least, articles/s of ingest over the LangChain tutorial pipeline
TARGET_REINGEST_FRACTION = 0.05  # at most, re-ingest time of an unchanged corpus over the first ingest's
TARGET_HYBRID_P95_MS = 50.0  # at most, at TARGET_HYBRID_SIZE chunks
TARGET_HYBRID_SIZE = "100000"
TARGET_TTFT_S = 4.0  # at most, for the Lavrov question ("who mediated in Moscow?")
# Issue 15 ("Fast on every CPU, and at archive scale"):
TARGET_HYBRID_VS_SLOWER = 1.3  # at most, hybrid p95 over the slower of dense and BM25 p95, same run and size
TARGET_BM25_VS_DENSE = 2.0  # at most, BM25 p95 over dense p95 at TARGET_HYBRID_SIZE
ARCHIVE_SIZE = "1000000"
TARGET_ARCHIVE_GROWTH = 2.0  # at most, hybrid p95 at ARCHIVE_SIZE over hybrid p95 at TARGET_HYBRID_SIZE
TARGET_SERVING_RSS_MB = 6144.0  # at most (6 GB), resident memory serving ARCHIVE_SIZE chunks


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95 (and mean, max, count) in milliseconds of per-query latencies given in seconds."""
    if not seconds:
        raise ValueError("Expected at least one latency to summarise, got none")
    ms = [s * 1000.0 for s in seconds]
    p50, p95 = percentile(ms, 50), percentile(ms, 95)
    assert p50 is not None and p95 is not None  # there are values
    return {
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "max_ms": round(max(ms), 3),
        "n": len(ms),
    }


def rate(count: float, seconds: float) -> float:
    """count per second; 0.0 when nothing was timed (never a division by zero)."""
    return count / seconds if seconds > 0 else 0.0


def throughput(phase: str, result: Mapping[str, Any], *counts: str) -> dict[str, float]:
    """A phase's report keys: `{phase}_seconds`, `{phase}_cpu_seconds` and `{phase}_{count}_per_s` for each
    of `counts` (keys of `result`, which holds `seconds` and `cpu_seconds` too)."""
    seconds = result["seconds"]
    return {
        f"{phase}_seconds": seconds,
        f"{phase}_cpu_seconds": result["cpu_seconds"],
        **{f"{phase}_{count}_per_s": rate(result[count], seconds) for count in counts},
    }


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else 0.0


def median_of(rows: Sequence[dict[str, Any]], key: str) -> float:
    values = [float(r[key]) for r in rows if r.get(key) is not None]
    return float(statistics.median(values)) if values else 0.0


def _target(value: float | None, target: float, at_least: bool, unit: str = "") -> dict[str, Any]:
    met = None if value is None else (value >= target if at_least else value <= target)
    return {"value": value, "target": f"{'>=' if at_least else '<='} {target:g}{unit}", "met": met}


def targets(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target of the issue: its measured value, the bound, and met (None when not measured)."""
    ingest_s = report.get("ingest_seconds")
    reingest_s = report.get("reingest_seconds")
    fraction = ratio(reingest_s, ingest_s) if ingest_s and reingest_s is not None else None
    retrieval = report.get("retrieval", {})
    hybrid = _p95(retrieval, TARGET_HYBRID_SIZE, "hybrid")
    archive = _p95(retrieval, ARCHIVE_SIZE, "hybrid")
    llm = report.get("llm") or {}
    dense, bm25 = _p95(retrieval, TARGET_HYBRID_SIZE, "dense"), _p95(retrieval, TARGET_HYBRID_SIZE, "bm25")
    per_size = {
        f"hybrid_vs_slower_at_{size}": _target(_vs_slower(retrieval, size), TARGET_HYBRID_VS_SLOWER, False, "x")
        for size in (TARGET_HYBRID_SIZE, ARCHIVE_SIZE)
    }
    return {
        **per_size,
        f"bm25_vs_dense_p95_at_{TARGET_HYBRID_SIZE}": _target(
            ratio(bm25, dense) if bm25 is not None and dense else None, TARGET_BM25_VS_DENSE, False, "x"
        ),
        f"hybrid_p95_{ARCHIVE_SIZE}_vs_{TARGET_HYBRID_SIZE}": _target(
            ratio(archive, hybrid) if archive is not None and hybrid else None, TARGET_ARCHIVE_GROWTH, False, "x"
        ),
        f"serving_rss_mb_at_{ARCHIVE_SIZE}": _target(
            retrieval.get(ARCHIVE_SIZE, {}).get("rss_mb"), TARGET_SERVING_RSS_MB, False, " MB"
        ),
        "ingest_vs_encoder": _target(report.get("ingest_vs_encoder"), TARGET_INGEST_VS_ENCODER, True, "x"),
        "ingest_vs_reference": _target(report.get("ingest_vs_reference"), TARGET_INGEST_VS_REFERENCE, True, "x"),
        "reingest_fraction": _target(fraction, TARGET_REINGEST_FRACTION, False),
        f"hybrid_p95_ms_at_{TARGET_HYBRID_SIZE}": _target(hybrid, TARGET_HYBRID_P95_MS, False, " ms"),
        "lavrov_ttft_s": _target(llm.get("lavrov_ttft_s"), TARGET_TTFT_S, False, " s"),
    }


def _p95(retrieval: dict[str, Any], size: str, mode: str) -> float | None:
    return retrieval.get(size, {}).get(mode, {}).get("p95_ms")


def _vs_slower(retrieval: dict[str, Any], size: str) -> float | None:
    """Hybrid p95 over the slower of its two halves' p95 at `size`; None when not measured."""
    hybrid, dense, bm25 = (_p95(retrieval, size, mode) for mode in ("hybrid", "dense", "bm25"))
    if hybrid is None or dense is None or bm25 is None:
        return None
    return ratio(hybrid, max(dense, bm25))


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory and load: the load average says whether other jobs shared the CPU."""
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:  # not Linux: memory unknown
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu_model": cpu_model(),
        "memory_gb": memory_gb,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "loadavg": list(load_average()),
    }


def load_average() -> tuple[float, float, float]:
    try:
        return tuple(round(x, 2) for x in os.getloadavg())  # type: ignore[return-value]
    except OSError:
        return (0.0, 0.0, 0.0)


def cpu_busy_seconds() -> float | None:
    """CPU seconds all processes of the machine have used since boot (/proc/stat), None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def others_share(busy_s: float | None, own_cpu_s: float, wall_s: float, cores: int) -> float | None:
    """Fraction of the machine's CPU that other processes used during a phase (0: we had it alone)."""
    if busy_s is None or wall_s <= 0:
        return None
    return round(max(0.0, busy_s - own_cpu_s) / (wall_s * cores), 3)


def contention(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Whether other processes competed for the CPU during the run: the largest share of the machine that
    others used during any phase. Above 0.1, timings are distorted and say more about the neighbours."""
    shares = {name: p["others_cpu_share"] for name, p in phases.items() if p.get("others_cpu_share") is not None}
    worst = max(shares.values(), default=None)
    return {"others_cpu_share": shares, "contended": None if worst is None else worst > 0.1}
