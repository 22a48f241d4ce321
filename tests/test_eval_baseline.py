"""`newsrag eval --baseline` (LangChain's tutorial pipeline side by side with ours) and refusal evidence in the
eval outputs; fakes by default, one slow run with the real models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from index.records import Article
from rag.evaluation.baseline import TutorialPipeline, evaluate_baseline, open_store, refused
from rag.evaluation.comparison import COMPARISON_METRICS, compare
from rag.evaluation.prompts import Prompt
from rag.evaluation.runner import evaluate
from rag.records import Answer

from .conftest import ARTICLES, CORPUS, PROMPTS, FakeEmbeddings, make_assistant
from .test_eval import SEED_PROMPTS, invoke

# ours answers the 3 prompts first, then the baseline does (FakeListChatModel answers in this order)
OURS = ["Lavrov bemiddelde bij de besprekingen in Moskou [1].", "Tien uur [1].", "De kaas [1]."]
THEIRS = ["Lavrov mediated.", "I don't know.", "Ze droegen de kaas over het plein."]


def _prompts() -> list[Prompt]:
    return [
        Prompt(id=p["id"], question=p["question"], answers=tuple(p["answers"]), lang=p["lang"],
               supporting_article_ids=tuple(p["supporting_article_ids"]), type=p.get("type"))
        for p in PROMPTS
    ]  # fmt: skip


def test_refused_means_the_answer_says_it_does_not_know():
    for text in ["I don't know.", "I do not know the answer.", "Ik weet het niet.", "Dat is niet bekend.",
                 "NOT_FOUND", "The context does not mention it."]:  # fmt: skip
        assert refused(text), text
    assert not refused("Lavrov mediated the talks.") and not refused("Tien uur.")


def test_baseline_store_is_built_once_and_rebuilt_when_the_corpus_changes(files, tmp_path: Path):
    corpus, _ = files
    embeddings = FakeEmbeddings()
    store = open_store(tmp_path / "baseline", [corpus], embeddings, progress=False)
    built = embeddings.calls
    assert built >= 2 and len(store.get()["ids"]) == built  # one chunk per short article
    open_store(tmp_path / "baseline", [corpus], embeddings, progress=False)
    assert embeddings.calls == built  # unchanged corpus: nothing embedded

    corpus.write_text(json.dumps(ARTICLES[1]), encoding="utf-8")
    store = open_store(tmp_path / "baseline", [corpus], embeddings, progress=False)
    assert {m["article_id"] for m in store.get()["metadatas"]} == {"cheese"}  # rebuilt, the old chunks gone


def test_baseline_cases_and_metrics_have_the_same_keys_as_ours(files, fake_ingest, fake_embeddings, tmp_path: Path):

    corpus, _ = files
    _, our_store = fake_ingest([Article(**a) for a in ARTICLES])
    bot = make_assistant(store=our_store, embeddings=fake_embeddings, llm=None, k=2, min_relevance=0.0)
    ours = evaluate(_prompts(), store=our_store, assistant=bot, k=5, progress=False)
    pipeline = TutorialPipeline(open_store(tmp_path / "b", [corpus], fake_embeddings, progress=False),
                                FakeListChatModel(responses=THEIRS))  # fmt: skip
    base = evaluate_baseline(_prompts(), pipeline, k=5, progress=False)

    assert set(base.metrics) == set(ours.metrics) and set(base.by_type) == set(ours.by_type)
    ours_dict, base_dict = ours.as_dict(), base.as_dict()
    assert set(base_dict) == set(ours_dict) == {"settings", "metrics", "by_type", "cases"}
    assert set(base_dict["cases"][0]) == set(ours_dict["cases"][0])
    who, how_long, cheese = base.cases
    assert who.correct and who.hit_rank == 1 and who.retrieved[0]["article_id"] == "moscow"
    assert how_long.refused and how_long.refused_by == "model" and how_long.correct is False
    assert cheese.correct and not cheese.citations and cheese.citation_valid is None
    assert set(who.timings) == {"retrieve", "ttft", "generate", "total"}
    m = base.metrics
    assert m["answer_accuracy"] == pytest.approx(2 / 3) and m["false_refusal_rate"] == pytest.approx(1 / 3)
    assert m["hit_at_k"] == 1.0 and m["citation_precision"] is None and m["citation_validity"] is None
    assert m["latency_ttft_p50"] is not None

    comparison = compare(ours.metrics, base.metrics)
    assert list(comparison) == list(COMPARISON_METRICS)
    assert comparison["citation_precision_diff"] is None
    assert comparison["hit_at_k_diff"] == pytest.approx(ours.metrics["hit_at_k"] - 1.0)
    assert comparison["latency_total_p50_ratio"] == pytest.approx(
        ours.metrics["latency_total_p50"] / m["latency_total_p50"], rel=1e-3
    )
    assert comparison["latency_ttft_p50_ratio"] is None  # the extractive backend streams no model tokens


@pytest.fixture
def fake_chat(monkeypatch: pytest.MonkeyPatch):
    """Both pipelines get this scripted chat model from the real wiring (its first reply goes to the
    warm-up before the timed prompts)."""
    import ui.wiring

    monkeypatch.setattr(
        ui.wiring,
        "chat_model",
        lambda settings, backend=None: FakeListChatModel(responses=["(warm-up)", *OURS, *THEIRS]),
    )


def test_eval_baseline_compares_side_by_side_in_every_output(fake_models, fake_chat, files, tmp_path: Path):
    corpus, prompts = files
    out = tmp_path / "out"
    result = invoke(prompts, "--corpus", corpus, "--baseline", "--json", out / "r.json", "--report", out / "r.md",
                    "--fail-under", "latency_total_p50_ratio=1000", "answer_accuracy_diff=-1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "ours vs LangChain tutorial pipeline" in result.stdout and "difference" in result.stdout
    assert "baseline index" in result.stderr and "baseline: 3 prompts in" in result.stderr

    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert set(data["baseline"]) == {"settings", "metrics", "by_type", "cases"}
    assert set(data["baseline"]["metrics"]) == set(data["metrics"])
    assert set(data["baseline"]["by_type"]) == set(data["by_type"]) == {"person", "number", "other"}
    assert [c["id"] for c in data["baseline"]["cases"]] == ["who", "how-long", "cheese"]
    assert set(data["baseline"]["cases"][0]) == set(data["cases"][0])
    assert data["baseline"]["cases"][1]["refused"] and data["baseline"]["metrics"]["citation_validity"] is None
    assert {"answer_accuracy_diff", "latency_total_p50_ratio", "latency_ttft_p50_ratio"} <= set(data["comparison"])
    assert data["comparison"]["answer_accuracy_diff"] == pytest.approx(
        data["metrics"]["answer_accuracy"] - data["baseline"]["metrics"]["answer_accuracy"], abs=1e-3
    )

    report = (out / "r.md").read_text(encoding="utf-8")
    assert "## Baseline (LangChain tutorial pipeline)" in report
    assert "| metric | ours | baseline | difference | ours / baseline |" in report
    assert "### By type" in report and "| number | accuracy |" not in report  # full labels in the report
    assert "| number | answer_accuracy | " in report
    assert "### Baseline failed prompts (1 of 3)" in report
    assert '- `how-long` (number): refused an answerable prompt. Answer: "I don\'t know."' in report

    # a second run: the baseline store is up to date, nothing is embedded again
    again = invoke(prompts, "--corpus", corpus, "--baseline", "--fail-under", "answer_accuracy_diff=5")
    assert "baseline index" not in again.stderr
    assert again.exit_code == 1 and "answer_accuracy_diff = " in again.output and "is below 5" in again.output
    slower = invoke(prompts, "--corpus", corpus, "--baseline", "--fail-under", "latency_total_p50_ratio=0.000001")
    assert slower.exit_code == 1 and "latency_total_p50_ratio = " in slower.output and "is above 1e-06" in slower.output


def test_baseline_usage_errors(fake_models, files):
    corpus, prompts = files
    both = invoke(prompts, "--corpus", corpus, "--baseline", "--retrieval-only")
    assert both.exit_code == 2 and "--retrieval-only" in both.output
    alone = invoke(prompts, "--corpus", corpus, "--retrieval-only", "--fail-under", "answer_accuracy_diff=0.05")
    assert alone.exit_code == 2 and "add --baseline" in alone.output
    extractive = invoke(prompts, "--corpus", corpus, "--llm", "extractive", "--baseline")
    assert extractive.exit_code == 2 and "needs a chat model" in extractive.output


# --- refusal evidence


class RefusingAssistant:
    """Refuses every question the way the assistant records it (`Answer.refusal`)."""

    def __init__(self, store, refusal: dict | None) -> None:
        self.store, self.k, self.refusal = store, 2, refusal

    def ask(self, question: str, history=()) -> Answer:
        timings = {"condense": 0.0, "retrieve": 0.01, "generate": 0.5, "verify": 0.1, "total": 0.7}
        return Answer(question=question, answer="Het antwoord op deze vraag staat niet in de artikelen.",
                      refused=True, language="nl", refusal=self.refusal, timings=timings)  # fmt: skip


def test_refusal_evidence_is_kept_per_case_and_shown_under_failed_prompts(fake_ingest, tmp_path: Path):
    from rag.evaluation import reports

    _, store = fake_ingest([Article(**a) for a in ARTICLES])
    refusal = {"gate": "verification", "draft": "Poetin bemiddelde [1].",
               "evidence": {"best_support": 0.712345, "min_support": 0.82, "sentences": 1}}  # fmt: skip
    result = evaluate(_prompts()[:1], store=store, assistant=RefusingAssistant(store, refusal), progress=False)
    (case,) = result.cases
    assert case.refusal == refusal and case.refused_by == "verification" and case.failed
    assert result.as_dict()["cases"][0]["refusal"] == refusal

    report = reports.markdown(result)
    assert "- **Answer (refused by verification):**" in report
    assert "- **Refusal gate:** verification" in report and "  - draft: Poetin bemiddelde [1]." in report
    assert "    - best_support: 0.712" in report and "    - min_support: 0.820" in report
    assert "    - sentences: 1" in report

    # without a recorded refusal the gate is read from the timed stages, as before
    (old,) = evaluate(_prompts()[:1], store=store, assistant=RefusingAssistant(store, None), progress=False).cases
    assert old.refusal is None and old.refused_by == "verification"
    assert "Refusal gate" not in reports.markdown(
        evaluate(_prompts()[:1], store=store, assistant=RefusingAssistant(store, None), progress=False)
    )


# --- the real command on the seed prompts


@pytest.mark.slow
def test_seed_baseline_with_the_local_model(tmp_path: Path):
    """Three seed prompts through ours and through the tutorial pipeline, real embeddings and local model."""
    command = [
        str(Path(sys.executable).with_name("newsrag")), "eval", str(SEED_PROMPTS), "--corpus", str(CORPUS),
        "--llm", "local", "--limit", "3", "--baseline", "--json", str(tmp_path / "seed.json"),
        "--report", str(tmp_path / "seed.md"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    data = json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))
    base = data["baseline"]
    assert base["metrics"]["n"] == data["metrics"]["n"] == 3
    assert set(base["metrics"]) == set(data["metrics"]) and base["metrics"]["hit_at_k"] == 1.0
    assert all(c["answer"] and "ttft" in c["timings"] for c in base["cases"])
    assert data["comparison"]["latency_total_p50_ratio"] is not None
    assert "## Baseline (LangChain tutorial pipeline)" in (tmp_path / "seed.md").read_text(encoding="utf-8")
