"""`newsrag bench`: statistics helpers, the report's JSON shape (with fake phases), the phase runner, and one
slow run of the whole command on corpus/ with reduced sizes. No test asserts on time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rag.bench import runner
from rag.bench.stats import (
    contention,
    latency_summary,
    median_of,
    others_share,
    rate,
    ratio,
    targets,
)
from rag.evaluation.metrics import percentile
from tests.conftest import CORPUS

REQUIRED = (
    "encoder_passages_per_s",
    "ingest_chunks_per_s",
    "ingest_vs_encoder",
    "ingest_vs_reference",
    "reingest_seconds",
    "ingest_seconds",
)
LLM_KEYS = ("prompt_tokens_per_s", "gen_tokens_per_s", "ttft_s", "total_s")
# the generation bound of issue 15 (`rag.bench.bandwidth`)
BOUND_KEYS = ("memory_read_gb_per_s", "model_gb", "gen_tokens_per_s_bound", "gen_vs_bound")


@pytest.fixture
def cli():
    """The newsrag group, with its bench command."""
    from ui.cli import cli as group

    return group


# --- statistics


def test_percentile_interpolates_like_numpy():
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 95) == pytest.approx(3.85)
    assert percentile([7.0], 95) == 7.0


def test_percentile_of_nothing_is_none_and_out_of_range_an_error():
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([], -1)


def test_latency_summary_rejects_no_latencies():
    with pytest.raises(ValueError, match="at least one latency"):
        latency_summary([])


def test_latency_summary_in_milliseconds():
    summary = latency_summary([0.010, 0.020, 0.030, 0.040, 1.0])
    assert summary["p50_ms"] == pytest.approx(30.0)
    assert summary["p95_ms"] == pytest.approx(40.0 + 0.8 * 960.0)
    assert summary["max_ms"] == pytest.approx(1000.0)
    assert summary["n"] == 5


def test_rates_and_ratios_never_divide_by_zero():
    assert rate(10, 2.0) == 5.0
    assert rate(10, 0.0) == 0.0
    assert ratio(3.0, 0.0) == 0.0
    assert median_of([{"x": 1}, {"x": 5}, {"x": 3}, {"y": 9}], "x") == 3.0
    assert median_of([], "x") == 0.0


def test_others_share_and_contention():
    # 2 cores for 10 s = 20 CPU-s; the machine was busy 15 CPU-s, 5 of them ours
    assert others_share(15.0, 5.0, 10.0, 2) == pytest.approx(0.5)
    assert others_share(None, 5.0, 10.0, 2) is None
    assert others_share(4.0, 5.0, 10.0, 2) == 0.0  # never negative (counter granularity)
    got = contention({"a": {"others_cpu_share": 0.02}, "b": {"others_cpu_share": 0.4}, "c": {}})
    assert got == {"others_cpu_share": {"a": 0.02, "b": 0.4}, "contended": True}
    assert contention({})["contended"] is None


def test_targets_met_not_met_and_unmeasured():
    report = {
        "ingest_vs_encoder": 0.95,
        "ingest_vs_reference": 1.1,
        "ingest_seconds": 100.0,
        "reingest_seconds": 2.0,
        "retrieval": {
            "100000": {"dense": {"p95_ms": 20.0}, "bm25": {"p95_ms": 50.0}, "hybrid": {"p50_ms": 20.0, "p95_ms": 70.0}},
            "1000000": {
                "dense": {"p95_ms": 30.0},
                "bm25": {"p95_ms": 60.0},
                "hybrid": {"p95_ms": 75.0},
                "rss_mb": 5000.0,
            },
        },
        "llm": {"lavrov_ttft_s": 3.5},
    }
    got = targets(report)
    assert {k: v["met"] for k, v in got.items()} == {
        "ingest_vs_encoder": True,
        "ingest_vs_reference": False,
        "reingest_fraction": True,
        "hybrid_p95_ms_at_100000": False,
        "lavrov_ttft_s": True,
        "hybrid_vs_slower_at_100000": False,  # 70 over bm25's 50
        "hybrid_vs_slower_at_1000000": True,  # 75 over 60
        "bm25_vs_dense_p95_at_100000": False,  # 50 over 20
        "hybrid_p95_1000000_vs_100000": True,  # 75 over 70
        "serving_rss_mb_at_1000000": True,
    }
    assert got["reingest_fraction"]["value"] == pytest.approx(0.02)
    assert got["hybrid_vs_slower_at_100000"]["value"] == pytest.approx(1.4)
    assert all(t["met"] is None for t in targets({}).values())


def test_rounded_keeps_shape():
    assert runner.rounded({"a": [1.234567, {"b": 2.0000001}], "c": "x", "d": 3}) == {
        "a": [1.2346, {"b": 2.0}],
        "c": "x",
        "d": 3,
    }


# --- the phase runner (a real child process, tiny work)


def test_run_phase_returns_result_and_child_usage():
    from rag.bench.stats import machine

    result, stats = runner.run_phase(machine, cores=2)
    assert result["cores"] >= 1
    assert stats["peak_rss_mb"] > 0 and stats["wall_s"] > 0 and stats["cpu_s"] > 0
    assert set(stats) >= {"wall_s", "cpu_s", "peak_rss_mb", "others_cpu_share", "loadavg_before"}


def test_run_phase_raises_the_childs_error():
    with pytest.raises(ValueError, match="at least one latency"):
        runner.run_phase(latency_summary, [], cores=2)


# --- growing a store from its own vectors (real Chroma, fake embedder)


def test_grow_copies_stored_vectors_without_the_embedder(fake_ingest, monkeypatch: pytest.MonkeyPatch):
    from index.records import Article
    from index.store import HybridStore
    from rag.bench import retrieval

    text = " ".join(f"Zin {j} over de besprekingen in Moskou en wat woorden erbij." for j in range(12))
    articles = [Article(id=f"art-{i}", title=f"Artikel {i}", lang="nl", text=text) for i in range(3)]
    _, store = fake_ingest(articles)
    rows = retrieval.source_rows(store)
    n = len(rows["ids"])
    assert n == store.count() and rows["ids"] == sorted(rows["ids"]) and len(rows["embeddings"]) == n

    def no_embedding(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the embedder was called")

    monkeypatch.setattr(store.embeddings, "embed_documents", no_embedding)
    monkeypatch.setattr("index.store.MAX_VECTOR_BATCH", 2)  # several writes per batch of the bench
    added, _ = retrieval.grow(store, rows, 3 * n + 1, progress=False)
    assert added == 2 * n + 1
    assert store.count() == store.catalog.count_chunks() == 3 * n + 1
    first = rows["ids"][0]
    assert {f"{first}~1", f"{first}~2", f"{first}~3"} <= set(store.catalog.chunk_ids())
    assert retrieval.grow(store, rows, n, progress=False) == (0, 0.0)
    every = store.catalog.chunk_metadatas()
    assert len(every) == 3 * n + 1 and all("article_id" in m for m in every)
    assert store.catalog.chunk_metadatas(limit=2) == every[:2]
    assert isinstance(store, HybridStore) and store.client is not None


# --- the report's shape, with every phase faked


def _fake_phase(fn: Any, *args: Any, cores: int) -> tuple[dict[str, Any], dict[str, Any]]:
    latency = {"p50_ms": 5.0, "p95_ms": 9.0, "mean_ms": 6.0, "max_ms": 12.0, "n": 10}
    canned: dict[str, dict[str, Any]] = {
        "encoder": {
            "articles": 2,
            "passages": 6,
            "tokens": 600,
            "seconds": 2.0,
            "cpu_seconds": 3.0,
            "load_s": 1.0,
            "batch_size": 32,
        },
        "ingest": {
            "articles": 2,
            "added": 2,
            "unchanged": 0,
            "chunks": 6,
            "stored_chunks": 6,
            "errors": 0,
            "seconds": 3.0,
            "cpu_seconds": 5.0,
            "startup_s": 1.0,
        },
        "reingest": {
            "articles": 2,
            "added": 0,
            "unchanged": 2,
            "chunks": 0,
            "stored_chunks": 6,
            "errors": 0,
            "seconds": 0.1,
            "cpu_seconds": 0.1,
            "startup_s": 1.0,
        },
        "reference": {"articles": 2, "chunks": 5, "seconds": 2.5, "cpu_seconds": 4.0, "load_s": 1.0},
        "retrieval": {
            "grow_seconds": 1.0,
            "queries": 10,
            **{m: latency for m in ("dense", "bm25", "hybrid", "embed_query", "answer")},
        },
        "llm": {
            "prompt_tokens_per_s": 80.0,
            "gen_tokens_per_s": 20.0,
            "ttft_s": 3.0,
            "total_s": 9.0,
            "lavrov_ttft_s": 3.2,
            "prefix_warmup_s": 2.0,
            "memory_read_gb_per_s": 20.0,
            "model_gb": 1.0,
            "gen_tokens_per_s_bound": 20.0,
            "gen_vs_bound": 1.0,
            "questions": [],
        },
    }
    stats = {"wall_s": 4.0, "cpu_s": 7.0, "peak_rss_mb": 900.0, "others_cpu_share": 0.01, "loadavg_before": [0.5]}
    canned["serving"] = {"stats_seconds": 1.5, "store_bytes": 2**30, "rss_mb": 1500.0}
    result = canned[fn.__name__]
    if fn.__name__ == "retrieval":  # (setup, source home, grown home, size, queries, progress)
        result = {**result, "size": args[3], "added": args[3]}
    return result, stats


def test_report_has_every_key_of_the_issue(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from ui.settings import Settings
    from ui.wiring import bench_setup

    monkeypatch.setattr(runner, "run_phase", _fake_phase)
    report = runner.run_bench(
        bench_setup(Settings(), print), runner.BenchOptions(corpus=CORPUS, sizes=(1000, 100000), progress=False)
    )
    for key in REQUIRED:
        assert report[key] > 0, key
    assert report["ingest_vs_encoder"] == pytest.approx(2.0 / 3.0, abs=1e-3)  # 6 chunks in 3 s vs 6 in 2 s
    assert report["ingest_vs_reference"] == pytest.approx(2.5 / 3.0, abs=1e-3)  # 2 articles: 3 s vs 2.5 s
    assert set(report["retrieval"]) == {"1000", "100000"}
    for modes in report["retrieval"].values():
        for mode in ("dense", "bm25", "hybrid"):
            assert {"p50_ms", "p95_ms"} <= set(modes[mode])
        assert {"stats_seconds", "store_bytes", "rss_mb"} <= set(modes)
    assert {*LLM_KEYS, *BOUND_KEYS} <= set(report["llm"])
    assert set(report["peak_rss_mb"]) == {
        "encoder",
        "ingest",
        "reingest",
        "reference",
        "retrieval_1000",
        "serving_1000",
        "retrieval_100000",
        "serving_100000",
        "llm",
    }
    assert {"cores", "cpu_model", "cpu", "encoder", "llama_cpp"} <= set(report["machine"])
    assert {"flags", "avx2", "avx512", "vnni", "summary"} <= set(report["machine"]["cpu"])
    assert report["machine"]["encoder"]["chosen"] in ("onnx-int8", "torch")
    assert report["targets"]["hybrid_vs_slower_at_100000"]["met"] is True  # 9 ms over 9 ms
    assert report["targets"]["hybrid_p95_ms_at_100000"]["met"] is True
    assert report["contention"]["contended"] is False
    json.dumps(report)  # serializable as it is


def test_the_setup_takes_each_figure_from_the_setting_of_its_name():
    from dataclasses import fields

    from rag.bench.setup import BenchSetup
    from ui.settings import Settings
    from ui.wiring import bench_setup

    settings = Settings(llm_ctx=1024, retrieve_k=7, focus_margin=None, max_file_mb=2.5)
    setup = bench_setup(settings, print)
    figures = [f.name for f in fields(BenchSetup) if not callable(getattr(setup, f.name))]
    assert len(figures) == 12
    assert {name: getattr(setup, name) for name in figures} == {name: getattr(settings, name) for name in figures}


def test_skipped_phases_leave_their_targets_unmeasured(monkeypatch: pytest.MonkeyPatch):
    from ui.settings import Settings
    from ui.wiring import bench_setup

    monkeypatch.setattr(runner, "run_phase", _fake_phase)
    options = runner.BenchOptions(corpus=CORPUS, skip=frozenset({"encoder", "reference", "retrieval", "llm"}))
    report = runner.run_bench(bench_setup(Settings(), print), options)
    assert "encoder_passages_per_s" not in report and "retrieval" not in report
    assert report["targets"]["ingest_vs_encoder"]["met"] is None
    assert report["targets"]["reingest_fraction"]["met"] is True


def test_a_failed_phase_keeps_the_other_figures(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def failing_llm(fn: Any, *args: Any, cores: int) -> tuple[dict[str, Any], dict[str, Any]]:
        if fn.__name__ == "llm":
            raise runner.BenchError("The benchmark phase llm died (exit code -15); see above.")
        return _fake_phase(fn, *args, cores=cores)

    monkeypatch.setattr(runner, "run_phase", failing_llm)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["bench", "--corpus", str(CORPUS), "--json", str(out), "--sizes", "1000"])
    assert result.exit_code == 1
    assert "llm: BenchError" in result.output
    report = json.loads(out.read_text())
    assert "llm" not in report and report["retrieval"]["1000"]["hybrid"]["p95_ms"] == 9.0


def test_cli_writes_json_and_prints_table(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(runner, "run_phase", _fake_phase)
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["bench", "--corpus", str(CORPUS), "--json", str(out), "--sizes", "1000"])
    assert result.exit_code == 0, result.output
    assert "targets met" in result.output
    assert json.loads(out.read_text())["retrieval"]["1000"]["hybrid"]["p95_ms"] == 9.0


def test_the_llm_questions_get_corpus_here_as_their_sample(cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No source checkout is assumed: the sample corpus is corpus/ in the current folder, or --llm-corpus."""
    given: list[Any] = []

    def recording(fn: Any, *args: Any, cores: int) -> tuple[dict[str, Any], dict[str, Any]]:
        if fn.__name__ == "llm":  # (setup, store home, sample corpus, questions, max tokens, progress)
            given.append(args[2])
        return _fake_phase(fn, *args, cores=cores)

    monkeypatch.setattr(runner, "run_phase", recording)
    args = ["bench", "--corpus", str(CORPUS), "--skip", "encoder", "--skip", "reference", "--skip", "retrieval"]
    assert CliRunner().invoke(cli, args).exit_code == 0  # the tests run in tmp_path, without corpus/
    (tmp_path / "corpus").mkdir()
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert CliRunner().invoke(cli, [*args, "--llm-corpus", str(CORPUS)]).exit_code == 0
    assert given == [None, (tmp_path / "corpus").resolve(), CORPUS]


def test_memory_bandwidth_and_the_generation_bound_it_sets():
    from rag.bench.bandwidth import generation_bound, read_bandwidth

    assert read_bandwidth(2, array_mb=16, repeats=1) > 1e8  # any machine reads more than 100 MB/s
    bound = generation_bound(20e9, 1_000_000_000)
    assert bound == {"memory_read_gb_per_s": 20.0, "model_gb": 1.0, "gen_tokens_per_s_bound": 20.0}
    assert generation_bound(20e9, 0)["gen_tokens_per_s_bound"] == 0.0


def test_cpu_flags_summarise_the_vector_extensions():
    from index.cpu import cpu_flags

    zen3 = "processor\t: 0\nflags\t\t: fpu sse4_2 avx f16c fma avx2 bmi2\n"
    got = cpu_flags(zen3)
    assert got["flags"] == ["avx", "avx2", "f16c", "fma", "sse4_2"]
    assert (got["avx2"], got["avx512"], got["vnni"], got["summary"]) == (True, False, False, "avx2")
    assert cpu_flags("flags : avx2 avx512f avx512_vnni\n")["summary"] == "avx512+vnni"
    assert cpu_flags("flags : avx2 avx_vnni\n")["summary"] == "avx2+vnni"
    assert cpu_flags("")["summary"] == "other"


def test_encoder_choice_says_why():
    from rag.bench.machine import encoder_choice

    assert encoder_choice("multilingual-e5-small", "auto")["chosen"] == "onnx-int8"
    assert encoder_choice("some/other-model", "auto") == {
        "requested": "auto",
        "chosen": "torch",
        "why": "auto: a model other than the built-in one runs on torch float32",
    }
    assert "NEWSRAG_EMBED_BACKEND=torch" in encoder_choice("multilingual-e5-small", "torch")["why"]


def test_cli_rejects_bad_sizes(cli):
    result = CliRunner().invoke(cli, ["bench", "--sizes", "10,abc"])
    assert result.exit_code == 2
    assert "comma-separated chunk counts" in result.output


# --- the real thing, small


@pytest.mark.slow
def test_bench_runs_on_the_shipped_corpus(cli, tmp_path: Path):
    out = tmp_path / "bench.json"
    args = [
        "bench",
        "--corpus",
        str(CORPUS),
        "--json",
        str(out),
        "--sizes",
        "200,1000",
        "--queries",
        "10",
        "--llm-questions",
        "1",
        "--llm-max-tokens",
        "16",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    for key in REQUIRED:
        assert report[key] > 0, key
    for size in ("200", "1000"):
        for mode in ("dense", "bm25", "hybrid"):
            assert report["retrieval"][size][mode]["p50_ms"] > 0
            assert report["retrieval"][size][mode]["p95_ms"] >= report["retrieval"][size][mode]["p50_ms"]
    for key in (*LLM_KEYS, *BOUND_KEYS):
        assert report["llm"][key] > 0, key
    # the model file is about 1.1 GB; all of it is read per generated token
    assert 0.9 < report["llm"]["model_gb"] < 1.3
    assert all(mb > 0 for mb in report["peak_rss_mb"].values())
    assert report["reingest_embedded_chunks"] == 0  # the unchanged corpus was skipped
    assert report["details"]["retrieval_1000"]["size"] == 1000
    assert report["details"]["llm"]["questions"][0]["answer"]
