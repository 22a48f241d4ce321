"""`newsrag bench`: ingestion, retrieval and local-LLM performance of one corpus, measured in one run.

Phases, in order, each in a fresh Python process so that its peak RSS (`ru_maxrss`) and
CPU time are its own; their figures come back as plain dicts:

1. encoder   - sentence-transformers `encode` of the chunk texts ingest will embed (`rag.bench.phases`)
2. ingest    - `newsrag ingest` into a fresh temporary store
3. reingest  - the same again, unchanged: everything skipped
4. reference - the LangChain tutorial pipeline on the same articles
5. retrieval_N - per size N, ascending: grow a second store to N chunks with stored vectors, time queries
                 (`rag.bench.retrieval`); serving_N - open it afresh as a server does: `newsrag stats`
                 time, size on disk, resident memory after queries
6. llm       - five fixed questions through retrieval, the real prompt and the local model (`rag.bench.llm`)

While a phase runs, /proc/stat tells how much CPU the rest of the machine used (`others_cpu_share`): a
benchmark on a shared machine is reported as contended rather than silently slow. Everything is written
under a temporary directory that is removed at the end; the user's store is never touched.
"""

from __future__ import annotations

import logging
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import NewsragError
from rag.bench import llm as bench_llm
from rag.bench import machine as bench_machine
from rag.bench import phases as bench_phases
from rag.bench import retrieval as bench_retrieval
from rag.bench.setup import BenchSetup
from rag.bench.stats import (
    contention,
    cpu_busy_seconds,
    load_average,
    machine,
    others_share,
    ratio,
    targets,
    throughput,
)

log = logging.getLogger(__name__)


class BenchError(NewsragError):
    """A benchmark phase failed outside Python (killed, out of memory)."""


SKIPPABLE = ("encoder", "reference", "retrieval", "llm")
DEFAULT_SIZES = (1000, 10_000, 100_000, 1_000_000)
RETRIEVAL_KEYS = ("dense", "bm25", "hybrid")

# (phase name, "start" | "done", that phase's stats or None)
PhaseCallback = Callable[[str, str, dict[str, Any] | None], None]


@dataclass
class BenchOptions:
    corpus: Path
    sizes: tuple[int, ...] = DEFAULT_SIZES
    queries: int = 100
    llm_questions: int = len(bench_llm.QUESTIONS)
    llm_max_tokens: int | None = None  # None: the setup's llm_max_tokens
    # added to the store of the LLM questions, which are about its sample article (the shipped corpus/);
    # None: the benchmark corpus alone
    llm_corpus: Path | None = None
    skip: frozenset[str] = field(default_factory=frozenset)
    progress: bool = True


def _child(out: str) -> None:
    """Entry point of a phase's process: reads (fn, args) pickled on stdin, writes (ok, result, usage)."""
    fn, args = pickle.load(sys.stdin.buffer)
    try:
        outcome: tuple[bool, Any] = (True, fn(*args))
    except Exception as e:
        traceback.print_exc()
        outcome = (False, e)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(out, "wb") as f:
        pickle.dump((*outcome, {"peak_rss_mb": usage.ru_maxrss / 1024.0, "cpu_s": usage.ru_utime + usage.ru_stime}), f)


def run_phase(fn: Callable[..., dict[str, Any]], *args: Any, cores: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run `fn(*args)` in a new Python process; returns its result and {wall_s, cpu_s, peak_rss_mb, ...}.

    A plain subprocess rather than multiprocessing: "spawn" re-imports the caller's main module, which
    breaks under scripts without a main guard, and "fork" would inherit the parent's memory (and torch's
    thread pool), making peak RSS meaningless. The child gets this process's `sys.path`, so it imports
    `fn` from where this process did, whether newsrag is installed or run from a folder on the path.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    loadavg = load_average()
    busy = cpu_busy_seconds()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsrag-phase-") as tmp:
        out = Path(tmp) / "result.pickle"
        code = f"from rag.bench.runner import _child; _child({str(out)!r})"
        done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps((fn, args)), env=env, check=False)
        if not out.exists():
            raise BenchError(f"The benchmark phase {fn.__name__} died (exit code {done.returncode}); see above.")
        with out.open("rb") as f:
            ok, result, usage = pickle.load(f)
    if not ok:
        raise result
    wall = time.perf_counter() - started
    after = cpu_busy_seconds()
    machine_busy = None if busy is None or after is None else after - busy
    return result, {
        "wall_s": wall,
        "cpu_s": usage["cpu_s"],
        "peak_rss_mb": usage["peak_rss_mb"],
        "others_cpu_share": others_share(machine_busy, usage["cpu_s"], wall, cores),
        "loadavg_before": list(loadavg),
    }


def run_bench(setup: BenchSetup, options: BenchOptions, on_phase: PhaseCallback | None = None) -> dict[str, Any]:
    """Run every phase not in `options.skip` and return the report (see `rag.bench.report` for the JSON keys).

    The phases open stores under a temporary folder with `setup.store`: embedded ones, never the user's."""
    notify = on_phase or (lambda name, status, stats: None)
    corpus = options.corpus.resolve()
    encoder = (setup.embed_model, setup.embed_backend, setup.model_cache, setup.threads)
    info = {**machine(), **bench_machine.describe(*encoder)}
    cores = int(info["cores"] or 1)
    report: dict[str, Any] = {
        "corpus": str(corpus),
        "machine": info,
        "settings": setup.summary(),
        "phases": {},
        "peak_rss_mb": {},
        "details": {},
    }

    with tempfile.TemporaryDirectory(prefix="newsrag-bench-") as tmp:
        work = Path(tmp)
        store_home = work / "store"  # the bench always writes an embedded store of its own (setup.store)

        def phase(name: str, fn: Callable[..., dict[str, Any]], *args: Any, required: bool = False) -> Any:
            """The phase's result; None when an optional phase failed (recorded under "failed")."""
            notify(name, "start", None)
            try:
                result, stats = run_phase(fn, *args, cores=cores)
            except Exception as e:
                if required:
                    raise
                # keep the figures of the other phases: a 30-minute run should not be lost to one phase
                log.error("benchmark phase %s failed: %s", name, e)
                report.setdefault("failed", {})[name] = f"{type(e).__name__}: {e}"
                notify(name, "failed", None)
                return None
            report["phases"][name] = stats
            report["peak_rss_mb"][name] = round(stats["peak_rss_mb"], 1)
            report["details"][name] = result
            notify(name, "done", stats)
            return result

        enc = None
        if "encoder" not in options.skip:
            enc = phase("encoder", bench_phases.encoder, setup, corpus, options.progress)
        if enc is not None:
            report.update(articles=enc["articles"], chunks=enc["passages"])
            report.update(throughput("encoder", enc, "passages", "tokens"))
        ing = phase("ingest", bench_phases.ingest, setup, store_home, corpus, options.progress, required=True)
        report.update(articles=ing["articles"], chunks=ing["chunks"])
        report.update(throughput("ingest", ing, "articles", "chunks"))
        if enc is not None:
            report["ingest_vs_encoder"] = ratio(report["ingest_chunks_per_s"], report["encoder_passages_per_s"])
            # the same ratio on CPU time: CPU-seconds per passage of the encoder over those of ingest
            report["ingest_vs_encoder_cpu"] = ratio(
                enc["cpu_seconds"] / max(enc["passages"], 1), ing["cpu_seconds"] / max(ing["chunks"], 1)
            )
        re = phase("reingest", bench_phases.reingest, setup, store_home, corpus, options.progress)
        if re is not None:
            report.update(
                reingest_seconds=re["seconds"],
                reingest_command_seconds=report["phases"]["reingest"]["wall_s"],
                reingest_fraction=ratio(re["seconds"], ing["seconds"]),
                reingest_embedded_chunks=re["chunks"],
            )
        ref = None
        if "reference" not in options.skip:
            ref = phase("reference", bench_phases.reference, setup, corpus, work, options.progress)
        if ref is not None:
            report.update(throughput("reference", ref, "articles", "chunks"))
            report.update(
                ingest_vs_reference_cpu=ratio(ref["cpu_seconds"], ing["cpu_seconds"]),  # same articles
                reference_chunks=ref["chunks"],
                ingest_vs_reference=ratio(report["ingest_articles_per_s"], report["reference_articles_per_s"]),
            )
        if "retrieval" not in options.skip:
            report["retrieval"] = {}
            for size in sorted(set(options.sizes)):
                got = phase(
                    f"retrieval_{size}",
                    bench_retrieval.retrieval,
                    setup,
                    store_home,
                    work / "grown",
                    size,
                    options.queries,
                    options.progress,
                )
                if got is None:
                    break  # the larger sizes grow the same store
                report["retrieval"][str(size)] = {key: got[key] for key in (*RETRIEVAL_KEYS, "embed_query", "answer")}
                served = phase(f"serving_{size}", bench_retrieval.serving, setup, work / "grown", options.queries)
                if served is not None:
                    report["retrieval"][str(size)].update(served)
        if "llm" not in options.skip:
            got = phase(
                "llm",
                bench_llm.llm,
                setup,
                store_home,
                options.llm_corpus,
                options.llm_questions,
                options.llm_max_tokens or setup.llm_max_tokens,
                options.progress,
            )
            if got is not None:
                report["llm"] = {k: v for k, v in got.items() if k != "questions"}

    report["machine"]["loadavg_end"] = list(load_average())
    report["contention"] = contention(report["phases"])
    report["targets"] = targets(report)
    return rounded(report)


def rounded(value: Any, digits: int = 4) -> Any:
    """The report with floats rounded (JSON meant for people and diffs, not for 17 digits)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    return value
