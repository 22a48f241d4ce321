"""`newsrag eval`: normalisation, metrics, prompt files, thresholds, outputs; fakes by default, one slow run."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from index.records import Article
from rag.evaluation.metrics import (
    Case,
    aggregate,
    answer_matches,
    by_type,
    citations_valid,
    hit_rank,
    percentile,
    reciprocal_rank,
    score_case,
    token_f1,
)
from rag.evaluation.normalize import dutch_number, normalize
from rag.evaluation.prompts import PromptFileError, load_prompts
from ui.cli.evaluate import below, eval_command, parse_thresholds
from ui.settings import Settings

from .conftest import ARTICLES, CORPUS, PROMPTS, ROOT, SEED_ID, make_assistant

SEED_PROMPTS = ROOT / "tests" / "prompts" / "seed.jsonl"
# follow-ups, questions pinned to a month, "since what date", "latest" on corpus/ (issue 13, item 7)
TIME_PROMPTS = ROOT / "tests" / "prompts" / "time.jsonl"

# --- normalisation


@pytest.mark.parametrize(
    "a, b",
    [
        ("Ten hours", "10 hours"),
        ("tien uur", "10 uur"),
        ("TIEN UUR.", "10 uur"),
        ("thirty-one", "31"),
        ("eenendertig", "31"),
        ("three hundred and seventy-six", "376"),
        ("driehonderdzesenzeventig", "376"),
        ("honderdachtenzestig", "168"),
        ("dertigduizend", "30000"),
        ("30.000", "30,000"),
        ("thirty thousand", "30.000"),
        ("tweeëntwintig", "22"),
        ("één", "1"),
        ("Armenië", "armenie"),
        ("Poetin!", "poetin"),
        ("Nagorno-Karabach", "nagorno karabach"),
        ("“Squid Game”", "squid game"),
        ("the Minsk group", "Minsk group"),
        ("de Minsk-groep", "minsk groep"),
    ],
)
def test_normalisation_makes_equivalent_forms_equal(a, b):
    assert normalize(a) == normalize(b)


def test_lone_een_is_an_article_not_a_number_and_ambiguous_words_follow_the_language():
    assert normalize("een staakt-het-vuren") == ["staakt", "vuren"]
    assert dutch_number("een") is None and dutch_number("honderden") is None and dutch_number("tien") == 10
    assert normalize("ten noorden van Moskou", "nl") == ["ten", "noorden", "van", "moskou"]
    assert normalize("ten hours", "en") == ["10", "hours"]
    assert normalize("an elf", "en") == ["elf"] and normalize("elf doden", "nl") == ["11", "doden"]


# --- single scores


def test_answer_matches_on_whole_words_in_order_and_ignores_citation_markers():
    assert answer_matches("Sergei Lavrov bemiddelde [1].", ["Lavrov"])
    assert answer_matches("De besprekingen duurden tien uur [2][3].", ["10 uur"])
    assert answer_matches("They talked for ten hours [1].", ["10 hours"])
    assert not answer_matches("Lavrovich spoke.", ["Lavrov"])
    assert not answer_matches("Lavrov Sergei spoke.", ["Sergei Lavrov"])
    assert not answer_matches("anything", ["", "  "])
    assert not answer_matches("It lasted 1 [0] hours.", ["10 hours"])  # a marker is not a digit


def test_token_f1_is_squad_f1_best_over_gold_answers():
    assert token_f1("the cat sat", ["cat sat on mat"]) == pytest.approx(2 / 3)
    assert token_f1("Lavrov [1]", ["nobody", "Sergei Lavrov"]) == pytest.approx(2 / 3)
    assert token_f1("Moscow", ["Lavrov"]) == 0.0
    assert token_f1("tien uur", ["10 uur"]) == 1.0


def test_ranks_reciprocal_ranks_and_percentiles():
    assert hit_rank(["a", "b", "g", "g"], {"g"}) == 3
    assert hit_rank(["a", "b"], {"g"}) is None
    assert reciprocal_rank(4) == 0.25 and reciprocal_rank(None) == 0.0
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_citation_validity_requires_every_marker_to_be_listed():
    assert citations_valid("A [1]. B [2][1].", [1, 2])
    assert citations_valid("No markers at all.", [])
    assert not citations_valid("A [1]. B [3].", [1, 2])
    assert not citations_valid("A [1, 4].", [1])


# --- case scoring and aggregation


def _case(
    id: str,
    *,
    type: str = "t",
    answerable: bool = True,
    answer: str | None = None,
    refused: bool = False,
    answers=("Lavrov",),
    gold=("g",),
    rank: int | None = 1,
    citations=(),
    timings=None,
) -> Case:
    case = Case(
        id=id,
        question="q",
        type=type,
        lang="en",
        answerable=answerable,
        answers=list(answers) if answerable else [],
        supporting_article_ids=list(gold) if answerable else [],
        answer=answer,
        refused=refused if answer is not None else None,
        citations=list(citations),
        hit_rank=rank if answerable else None,
        context_hit=rank is not None and rank <= 4,
        timings=timings or {"retrieve": 0.1, "total": 1.0},
    )
    return score_case(case, k=5)


def _cit(n: int, precise: bool) -> dict:
    return {
        "n": n,
        "article_id": "g" if precise else "x",
        "chunk_id": "c",
        "quote": "",
        "supported": True,
        "precise": precise,
    }


def test_aggregate_computes_every_metric_from_cases():
    cases = [
        _case(
            "right",
            answer="Sergei Lavrov [1].",
            citations=[_cit(1, True)],
            rank=1,
            timings={"retrieve": 0.2, "generate": 2.0, "total": 3.0},
        ),
        _case(
            "wrong",
            answer="Poetin [1] [2].",
            citations=[_cit(1, True), _cit(2, False)],
            rank=4,
            timings={"retrieve": 0.4, "generate": 4.0, "total": 5.0},
        ),
        _case("falsely-refused", answer="not in the articles", refused=True, rank=None),
        _case("bad-marker", answer="Lavrov [3].", citations=[_cit(1, True)], rank=10),
        _case("unanswerable-refused", type="u", answerable=False, answer="not in the articles", refused=True),
        _case(
            "unanswerable-answered", type="u", answerable=False, answer="Eurovision [1].", citations=[_cit(1, False)]
        ),
    ]
    m = aggregate(cases, k=5)
    assert (m["n"], m["n_ranked"], m["n_scored"], m["n_unanswerable"]) == (6, 4, 4, 2)
    assert m["hit_at_k"] == pytest.approx(2 / 4)  # ranks 1, 4 within 5; None and 10 not
    assert m["mrr"] == pytest.approx((1 + 1 / 4 + 0 + 1 / 10) / 4)
    assert m["answer_accuracy"] == pytest.approx(2 / 4)  # "right" and "bad-marker" contain Lavrov
    assert m["token_f1"] == pytest.approx((2 / 3 + 0 + 0 + 1) / 4)
    assert m["citation_precision"] == pytest.approx(3 / 4)  # answered answerable prompts only
    assert m["citation_validity"] == pytest.approx(3 / 4)  # of 4 answers, "[3]" names no listed citation
    assert m["refusal_accuracy"] == 0.5
    assert m["false_refusal_rate"] == 0.25
    assert m["latency_generate_p50"] == pytest.approx(3.0) and m["latency_total_p95"] == pytest.approx(
        4.5
    )  # totals 1, 1, 1, 1, 3, 5
    assert m["latency_ttft_p50"] is None
    assert [c.id for c in cases if c.failed] == ["wrong", "falsely-refused", "bad-marker", "unanswerable-answered"]
    groups = by_type(cases, k=5)
    assert list(groups) == ["t", "u"] and groups["u"]["refusal_accuracy"] == 0.5
    assert groups["u"]["hit_at_k"] is None and groups["u"]["answer_accuracy"] is None


def test_retrieval_only_cases_are_correct_when_the_gold_article_is_within_k():
    cases = [_case("hit", rank=5), _case("miss", rank=6), _case("no-gold", gold=())]
    assert [c.correct for c in cases] == [True, False, None]
    m = aggregate(cases, k=5)
    assert m["answer_accuracy"] is None and m["refusal_accuracy"] is None and m["hit_at_k"] == 0.5


# --- prompt files


def test_jsonl_prompts_ignore_unknown_fields_and_fall_back_to_question_type(tmp_path: Path):
    path = tmp_path / "p.jsonl"
    rows = [
        {
            "id": "q1",
            "question": " Who? ",
            "answers": ["A"],
            "answerable": True,
            "supporting_article_ids": ["x"],
            "question_type": "Factual",
            "choices": ["A", "B"],
            "whatever": {"nested": 1},
        },
        {
            "question": "Unanswerable?",
            "answers": [],
            "answerable": False,
            "type": "U",
            "question_type": "ignored",
            "history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    first, second = load_prompts(path)
    assert (first.id, first.question, first.type, first.answers, first.supporting_article_ids) == (
        "q1",
        "Who?",
        "Factual",
        ("A",),
        ("x",),
    )
    assert (second.id, second.type, second.answerable) == ("p-2", "U", False)
    assert second.history == (("user", "hi"), ("assistant", "hello"))


def test_yaml_prompts_as_a_list_or_under_prompts(tmp_path: Path):
    listed = tmp_path / "a.yaml"
    listed.write_text(
        "- id: y1\n  question: Wie bemiddelde?\n  answers: Lavrov\n  lang: nl\n  extra: 3\n", encoding="utf-8"
    )
    mapped = tmp_path / "b.yml"
    mapped.write_text("prompts:\n  - question: Who?\n    answerable: false\n", encoding="utf-8")
    (y1,) = load_prompts(listed)
    assert (y1.id, y1.answers, y1.lang) == ("y1", ("Lavrov",), "nl")
    (b,) = load_prompts(mapped)
    assert b.id == "b-1" and not b.answerable


def test_malformed_lines_are_all_reported_with_their_line_numbers(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "ok", "question": "fine?"}\n'
        "\n"
        '{"id": "broken", "question": \n'
        '{"id": "noq", "answers": ["x"]}\n'
        '{"id": "ok", "question": "again?"}\n'
        '{"question": "q", "answerable": "yes"}\n'
        "[1, 2]\n",
        encoding="utf-8",
    )
    with pytest.raises(PromptFileError) as e:
        load_prompts(path)
    message = str(e.value)
    assert "5 malformed prompt(s)" in message
    for line, what in [
        (3, "invalid JSON"),
        (4, "'question'"),
        (5, "duplicate id 'ok'"),
        (6, "'answerable'"),
        (7, "expected an object"),
    ]:
        assert f"bad.jsonl:{line}: {what}" in message


def test_bad_yaml_missing_file_and_unknown_type_are_clear_errors(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- question: [unclosed\n", encoding="utf-8")
    with pytest.raises(PromptFileError, match=r"bad.yaml:\d+: invalid YAML"):
        load_prompts(bad)
    with pytest.raises(PromptFileError, match="No such prompt file"):
        load_prompts(tmp_path / "missing.jsonl")
    other = tmp_path / "p.csv"
    other.write_text("question\n", encoding="utf-8")
    with pytest.raises(PromptFileError, match=r"expected \.jsonl or \.yaml"):
        load_prompts(other)


def test_seed_prompts_load_and_cover_both_languages_and_unanswerable_ones():
    prompts = load_prompts(SEED_PROMPTS)
    assert len(prompts) >= 10
    assert {p.lang for p in prompts} == {"en", "nl"}
    unanswerable = [p for p in prompts if not p.answerable]
    assert len(unanswerable) >= 3 and all(not p.answers for p in unanswerable)
    assert all(p.answers and p.supporting_article_ids == (SEED_ID,) for p in prompts if p.answerable)
    assert any(p.history for p in prompts)


def test_time_prompts_cover_follow_ups_dates_and_latest_in_both_languages():
    prompts = load_prompts(TIME_PROMPTS)
    assert {p.lang for p in prompts} == {"en", "nl"}
    assert {"follow_up", "date_pinned", "date", "latest", "unanswerable"} <= {p.type for p in prompts}
    assert all(p.history for p in prompts if p.type == "follow_up")
    assert all(p.answers and p.supporting_article_ids == (SEED_ID,) for p in prompts if p.answerable)


# --- --fail-under


def test_thresholds_parse_from_repeated_and_comma_separated_values():
    assert parse_thresholds(["answer_accuracy=0.8", "mrr=.5, hit_at_k=1"]) == {
        "answer_accuracy": 0.8,
        "mrr": 0.5,
        "hit_at_k": 1.0,
    }
    with pytest.raises(click.BadParameter, match="unknown metric 'accuracy'"):
        parse_thresholds(["accuracy=0.8"])
    with pytest.raises(click.BadParameter, match="expected METRIC=VALUE"):
        parse_thresholds(["answer_accuracy>0.8"])


def test_below_names_each_metric_on_the_wrong_side_of_its_bar():
    metrics = {
        "answer_accuracy": 0.7,
        "refusal_accuracy": 0.9,
        "false_refusal_rate": 0.2,
        "latency_total_p95": 3.0,
        "hit_at_k": None,
    }
    problems = below(
        metrics,
        {
            "answer_accuracy": 0.8,
            "refusal_accuracy": 0.8,
            "false_refusal_rate": 0.1,
            "latency_total_p95": 5.0,
            "hit_at_k": 0.5,
        },
    )
    assert problems == [
        "answer_accuracy = 0.700 is below 0.8",
        "false_refusal_rate = 0.200 is above 0.1",
        "hit_at_k was not measured in this run (bar 0.5)",
    ]


# --- the command, with the fake embedder and the extractive backend


def invoke(*args: str | Path):
    return CliRunner().invoke(eval_command, [str(a) for a in args], obj=Settings(), catch_exceptions=False)


def test_eval_writes_json_report_junit_and_plot(fake_models, files, tmp_path: Path):
    corpus, prompts = files
    out = tmp_path / "out"
    result = invoke(
        prompts,
        "--corpus",
        corpus,
        "--llm",
        "extractive",
        "--json",
        out / "r.json",
        "--report",
        out / "r.md",
        "--junit",
        out / "r.xml",
        "--plot",
        out / "r.png",
        "--fail-under",
        "hit_at_k=1.0",
        "citation_validity=1.0",
    )
    assert result.exit_code == 0, result.output
    assert "hit@5" in result.stdout and "3 prompts in" in result.stderr

    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert set(data) >= {"metrics", "by_type", "cases"}
    assert data["metrics"]["n"] == 3 and data["metrics"]["hit_at_k"] == 1.0
    assert set(data["by_type"]) == {"person", "number", "other"}
    case = data["cases"][0]
    assert {"id", "question", "answer", "refused", "citations", "hit_rank", "correct", "retrieved"} <= set(case)
    assert case["id"] == "who" and case["hit_rank"] == 1 and "Lavrov" in case["answer"]
    assert case["citations"][0]["article_id"] == "moscow" and case["citations"][0]["precise"]

    suite = ET.parse(out / "r.xml").getroot().find("testsuite")
    assert suite is not None and [t.get("name") for t in suite.iter("testcase")] == ["who", "how-long", "cheese"]
    failed = {c["id"] for c in data["cases"] if c["correct"] is False}
    assert {t.get("name") for t in suite.iter("testcase") if t.find("failure") is not None} == failed
    report = (out / "r.md").read_text(encoding="utf-8")
    assert "## Metrics" in report and f"## Failed prompts ({len(failed)} of 3)" in report
    assert "| answerable | 3 |" in report  # the refusal gate's evidence
    assert (out / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_markdown_report_lists_a_failed_prompt_with_what_was_retrieved(fake_models, files, tmp_path: Path):
    corpus, _ = files
    unanswerable = tmp_path / "u.jsonl"
    unanswerable.write_text(
        json.dumps(
            {
                "id": "euro",
                "question": "Hoe lang duurden de besprekingen in Moskou?",
                "answerable": False,
                "type": "unanswerable",
            }
        ),
        encoding="utf-8",
    )
    result = invoke(unanswerable, "--corpus", corpus, "--llm", "extractive", "--report", tmp_path / "r.md")
    assert result.exit_code == 0, result.output
    report = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "### euro (unanswerable): answered an unanswerable prompt" in report
    assert "| rank | article | gold | given | dense | passage |" in report and "`moscow`" in report


def test_fail_under_exits_non_zero_naming_the_metric(fake_models, files):
    corpus, prompts = files
    ok = invoke(prompts, "--corpus", corpus, "--retrieval-only", "--fail-under", "hit_at_k=1.0")
    assert ok.exit_code == 0, ok.output
    result = invoke(prompts, "--corpus", corpus, "--retrieval-only", "--fail-under", "mrr=1.5", "answer_accuracy=0.8")
    assert result.exit_code == 1
    assert "mrr = 1.000 is below 1.5" in result.output
    assert "answer_accuracy was not measured" in result.output
    stray = invoke(prompts, "--retrieval-only", "answer_accuracy=0.8")
    assert stray.exit_code == 2 and "follow --fail-under" in stray.output
    unknown = invoke(prompts, "--retrieval-only", "--fail-under", "nope=1")
    assert unknown.exit_code == 2 and "unknown metric 'nope'" in unknown.output


def test_a_malformed_prompt_file_is_a_clean_error(fake_models, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?"}\n{oops\n', encoding="utf-8")
    result = invoke(bad, "--retrieval-only")
    assert result.exit_code == 1 and "bad.jsonl:2: invalid JSON" in result.output


def test_each_corpus_gets_its_own_store_and_reingesting_is_idempotent(fake_models, files, tmp_path: Path):
    corpus, prompts = files
    first = invoke(prompts, "--corpus", corpus, "--retrieval-only", "--limit", "1")
    assert "2 added" in first.stderr and "\n1 prompts in" in first.stderr  # --limit 1
    again = invoke(prompts, "--corpus", corpus, "--retrieval-only", "--limit", "1")
    assert "2 unchanged" in again.stderr and "0 chunks embedded" in again.stderr

    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(ARTICLES[1]), encoding="utf-8")
    out = tmp_path / "other.json"
    result = invoke(prompts, "--corpus", other, "--retrieval-only", "--json", out)
    assert "1 added" in result.stderr
    cases = json.loads(out.read_text(encoding="utf-8"))["cases"]
    assert {r["article_id"] for c in cases for r in c["retrieved"]} == {"cheese"}  # nothing of the first corpus
    assert len(list((Path(Settings().home) / "eval").iterdir())) == 2


def test_scripted_model_answers_and_refusals_are_scored(fake_ingest, fake_embeddings):
    from rag.evaluation.prompts import Prompt
    from rag.evaluation.runner import evaluate
    from rag.retrieval import retrieve

    _, store = fake_ingest([Article(**{k: v for k, v in a.items()}) for a in ARTICLES])
    question = PROMPTS[0]["question"]
    n = 1 + [h.article_id for h in retrieve(store, question, k=2).hits].index("moscow")
    # NOT_FOUND twice: from the closest sentences, then from the fuller context of the second try
    replies = [f"Lavrov bemiddelde bij de besprekingen in Moskou [{n}].", "NOT_FOUND", "NOT_FOUND"]
    model = GenericFakeChatModel(messages=iter(replies))
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=model, k=2, min_relevance=0.0, min_support=0.2)
    prompts = [
        Prompt(id="who", question=question, answers=("Lavrov",), supporting_article_ids=("moscow",), type="person"),
        Prompt(id="euro", question="Wie won het songfestival?", answerable=False, type="unanswerable"),
    ]
    result = evaluate(prompts, store=store, assistant=bot, k=5, progress=False)
    assert result.metrics["answer_accuracy"] == 1.0 and result.metrics["refusal_accuracy"] == 1.0
    assert result.metrics["citation_precision"] == 1.0 and result.metrics["citation_validity"] == 1.0
    assert result.metrics["latency_generate_p50"] is not None and result.metrics["false_refusal_rate"] == 0.0
    who, euro = result.cases
    assert who.answer == "Lavrov bemiddelde bij de besprekingen in Moskou [1]." and who.hit_rank == 1
    assert euro.refused and euro.correct and not euro.failed and euro.refused_by == "model"

    bot.min_relevance = 1.5  # nothing reaches it: the relevance gate refuses before the model is asked
    (gated,) = evaluate(prompts[:1], store=store, assistant=bot, k=5, progress=False).cases
    assert gated.refused and gated.refused_by == "retrieval" and gated.correct is False


# --- the real command on the seed prompts


@pytest.mark.slow
def test_seed_prompts_retrieval_only_through_the_real_cli(tmp_path: Path):
    from ui.cli import cli

    out = tmp_path / "seed.json"
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            str(SEED_PROMPTS),
            "--corpus",
            str(CORPUS),
            "--llm",
            "extractive",
            "--retrieval-only",
            "--json",
            str(out),
            "--fail-under",
            "hit_at_k=1.0",
            "mrr=0.9",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    answerable = [c for c in data["cases"] if c["answerable"]]
    assert answerable and all(c["hit_rank"] == 1 for c in answerable)
    assert all(c["answer"] is None for c in data["cases"])
    # the refusal gate's evidence is recorded for every prompt
    assert all(isinstance(c["best_dense"], float) for c in data["cases"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("prompts", "accuracy"),
    # measured 0.917 (seed: 11 of 12) and 0.750 (time: 6 of 8) once rag.binding gives a number its own words; the
    # misses: Lavrov named for Putin (both sets), the other side's figure of the casualties; the bars guard them
    [(SEED_PROMPTS, "0.9"), (TIME_PROMPTS, "0.7")],
    ids=["seed", "time"],
)
def test_seed_eval_gate_with_the_local_model(tmp_path: Path, prompts: Path, accuracy: str):
    """The gate `make test` holds the product to: the prompts on corpus/, answered by the real local model."""
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("newsrag")), "eval", str(prompts), "--corpus", str(CORPUS),
        "--llm", "local", "--json", str(tmp_path / "seed.json"), "--report", str(artifacts / f"{prompts.stem}-eval.md"),
        "--fail-under", f"answer_accuracy={accuracy}", "refusal_accuracy=0.8", "citation_validity=1.0",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    data = json.loads((tmp_path / "seed.json").read_text(encoding="utf-8"))
    assert data["metrics"]["n"] == len(load_prompts(prompts))
    assert data["metrics"]["answer_accuracy"] >= float(accuracy) and data["metrics"]["citation_validity"] == 1.0
