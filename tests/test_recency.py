"""Questions about the latest state of a story (issue 13, item 1): the newest relevant reports come first, and
an answer to a question about time says as of when it holds. Unit tests on `rag.recency`, then the extractive
Assistant over a real Chroma store with the fake embedder; the real model answers `tests/prompts/time.jsonl`
in tests/test_answer_real.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.records import Article, Hit
from rag.recency import as_of, conflicting_report, newest_first, quantities, with_conflict
from rag.records import Source

from .conftest import make_assistant


def hit(n: int, score: float, date: str | None) -> Hit:
    return Hit(
        chunk_id=f"c{n}",
        score=score,
        article_id=f"a{n}",
        chunk_index=0,
        title=f"t{n}",
        date=date,
        url=None,
        source=None,
        lang="en",
        text=f"passage {n}",
        start=0,
        end=10,
    )


def test_newest_first_puts_the_newest_report_of_the_story_first():
    hits = [hit(1, 0.85, "2019-03-01"), hit(2, 0.84, "2019-04-10"), hit(3, 0.80, "2019-05-01"), hit(4, 0.845, None)]
    chosen = newest_first(hits, k=3)
    # 1, 2 and 4 are the story (within 0.02 of the best); 3 is newer but about something else
    assert [h.chunk_id for h in chosen] == ["c2", "c1", "c4"]


def test_newest_first_fills_up_with_the_rest_in_retrieval_order():
    hits = [hit(1, 0.85, "2019-03-01"), hit(2, 0.70, "2019-05-01"), hit(3, 0.60, "2019-06-01")]
    assert [h.chunk_id for h in newest_first(hits, k=2)] == ["c1", "c2"]
    assert newest_first([], k=4) == []


def test_as_of_names_the_newest_cited_date_in_the_answers_language():
    assert as_of(["2019-03-01", "2019-04-10T08:00", None], "en") == "As of 10 April 2019:"
    assert as_of(["2019-04-10"], "nl") == "Per 10 april 2019:"
    assert as_of([None, "2019"], "en") == ""  # no full date: no claim about the day


ARTICLES = [
    Article(
        id="old",
        title="Evacuatie Maasbracht",
        date="2019-03-01",
        source="AD",
        lang="nl",
        text="Bij de overstroming in Maasbracht zijn 200 mensen geëvacueerd, meldt de gemeente.",
    ),
    Article(
        id="new",
        title="Evacuatie Maasbracht",
        date="2019-03-04",
        source="AD",
        lang="nl",
        text="Bij de overstroming in Maasbracht zijn 450 mensen geëvacueerd, zegt de burgemeester.",
    ),
]


def test_a_question_for_the_latest_figure_reads_the_newest_report_first_and_says_as_of(fake_ingest, fake_embeddings):
    store = fake_ingest(ARTICLES)[1]
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0, min_support=0.2, k=1)
    latest = bot.ask("Hoeveel mensen zijn er nu geëvacueerd bij de overstroming in Maasbracht?")
    assert not latest.refused
    assert [c.article_id for c in latest.citations] == ["new"]
    assert latest.answer.startswith("Per 4 maart 2019:")
    plain = bot.ask("Hoeveel mensen zijn er geëvacueerd bij de overstroming in Maasbracht?")
    assert not plain.answer.startswith("Per ")  # not a question about time: no date lead


def source(n: int, date: str, text: str) -> Source:
    return Source(
        n,
        Hit(
            chunk_id=f"c{n}",
            score=0.8,
            article_id=f"a{n}",
            chunk_index=0,
            title="t",
            date=date,
            url=None,
            source=None,
            lang="nl",
            text=text,
            start=0,
            end=len(text),
        ),
    )


def same_if_alike(claim: str, candidates: list[str]) -> list[float]:
    """A fake scorer: 0.95 for a sentence about evacuations, 0.5 for anything else."""
    return [0.95 if "geëvacueerd" in c else 0.5 for c in candidates]


REPORTS = [
    source(1, "2019-03-04", "Het water stijgt nog. Bij de overstroming zijn 450 mensen geëvacueerd."),
    source(2, "2019-03-01", "Bij de overstroming zijn 200 mensen geëvacueerd. Er vielen 3 gewonden."),
]


def test_another_days_figure_for_the_same_thing_is_a_conflict():
    conflict = conflicting_report(
        "Er zijn 450 mensen geëvacueerd [1].", REPORTS, "Hoeveel mensen zijn geëvacueerd?", "nl", same_if_alike
    )
    assert conflict is not None and (conflict.source, conflict.other) == (1, 2)
    assert conflict.quote.startswith("Bij de overstroming zijn 200 mensen")
    answer = with_conflict("Er zijn 450 mensen geëvacueerd [1].", conflict, "nl")
    assert answer == (
        "Er zijn 450 mensen geëvacueerd [1]. Een eerder bericht (1 maart 2019) meldde iets anders: "
        "“Bij de overstroming zijn 200 mensen geëvacueerd” [2]."
    )


def test_an_answer_from_the_older_report_is_led_by_the_newest_one():
    conflict = conflicting_report(
        "Er zijn 200 mensen geëvacueerd [2].", REPORTS, "Hoeveel mensen zijn geëvacueerd?", "en", same_if_alike
    )
    assert conflict is not None
    answer = with_conflict("200 people were evacuated [2].", conflict, "en")
    assert answer.startswith("The newest report (4 March 2019): “Bij de overstroming zijn 450 mensen geëvacueerd” [1].")
    assert answer.endswith("Earlier reports (1 March 2019) said: 200 people were evacuated [2].")
    both = "200 [2] or 450 people were evacuated [1]."
    conflict = conflicting_report(both, REPORTS, "How many people were evacuated?", "en", same_if_alike)
    assert conflict is not None and conflict.answered and conflict.other == 1
    assert with_conflict(both, conflict, "en") == (
        f"The newest report (4 March 2019): “Bij de overstroming zijn 450 mensen geëvacueerd” [1]. {both}"
    )


def test_no_conflict_without_another_day_another_value_or_the_same_meaning():
    question = "Hoeveel mensen zijn geëvacueerd?"
    same_day = [REPORTS[0], replace(REPORTS[1], hit=replace(REPORTS[1].hit, date="2019-03-04"))]
    assert conflicting_report("Er zijn 450 mensen geëvacueerd [1].", same_day, question, "nl", same_if_alike) is None
    unlike = lambda claim, candidates: [0.5] * len(candidates)  # noqa: E731 - a fake scorer
    assert conflicting_report("Er zijn 450 mensen geëvacueerd [1].", REPORTS, question, "nl", unlike) is None
    # the same counted word in another statement ("mensen" dead vs infected) is not the same figure
    ebola = [
        source(1, "2019-04-05", "Het ebolavirus heeft in Congo al 629 mensen het leven gekost."),
        source(2, "2019-03-20", "In Congo zijn inmiddels meer dan 1000 mensen besmet met ebola."),
    ]
    always = lambda claim, candidates: [0.99] * len(candidates)  # noqa: E731 - a fake scorer
    assert conflicting_report("Er zijn 629 mensen overleden [1].", ebola, "Hoeveel doden?", "nl", always) is None
    # "3 gewonden" counts another thing than "450 mensen"
    assert conflicting_report("Er vielen 3 gewonden [2].", REPORTS, "Hoeveel gewonden?", "nl", same_if_alike) is None


def test_quantities_pair_a_number_with_what_it_counts_but_not_dates():
    assert quantities("Er zijn 450 mensen geëvacueerd en 3,5 miljoen euro schade op 9 april.") == {
        ("mensen", "450"),
        ("euro", "35 miljoen"),
    }


# --- with the real models (slow)

FLOOD = [
    (
        "2019-03-01",
        "Maasbracht overstroomd",
        "Het water van de Maas stond vrijdag tot aan de dijk. Bij de overstroming in "
        "Maasbracht zijn 200 mensen geëvacueerd, meldt de gemeente. De brandweer pompte de hele nacht.",
    ),
    (
        "2019-03-04",
        "Water in Maasbracht zakt",
        "Het water in Maasbracht zakt langzaam. Bij de overstroming in Maasbracht "
        "zijn 450 mensen geëvacueerd, zegt de burgemeester. Zij mogen woensdag terug naar huis.",
    ),
]


@pytest.mark.slow
def test_real_embeddings_see_the_same_figure_in_two_reports_and_not_another_statement(real_embeddings):
    from rag.scoring import embedding_scorer

    reports = [source(n, date, text) for n, (date, _, text) in enumerate(FLOOD, start=1)]
    score = embedding_scorer(real_embeddings)
    conflict = conflicting_report(
        "450 people were evacuated in Maasbracht [2].",
        reports,
        "How many people were evacuated in Maasbracht?",
        "en",
        score,
    )
    assert conflict is not None and (conflict.source, conflict.other) == (2, 1) and "200 mensen" in conflict.quote
    ebola = [
        source(1, "2019-04-05", "Het ebolavirus heeft in Congo al 629 mensen het leven gekost."),
        source(2, "2019-03-20", "In Congo zijn inmiddels meer dan 1000 mensen besmet met ebola."),
    ]
    assert conflicting_report("629 mensen zijn overleden [1].", ebola, "Hoeveel doden?", "nl", score) is None


@pytest.mark.slow
def test_the_local_model_gives_the_newest_figure_and_the_earlier_one_with_its_date(tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from ui.cli import cli

    articles = tmp_path / "flood.jsonl"
    articles.write_text(
        "".join(
            json.dumps({"id": f"flood-{i}", "date": date, "title": title, "text": text, "lang": "nl", "source": "AD"})
            + "\n"
            for i, (date, title, text) in enumerate(FLOOD)
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("NEWSRAG_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(articles)], catch_exceptions=False).exit_code == 0
    result = runner.invoke(
        cli, ["ask", "Hoeveel mensen zijn er geëvacueerd in Maasbracht?", "--json"], catch_exceptions=False
    )
    answer = json.loads(result.output)
    print(answer["answer"])
    assert not answer["refused"]
    assert "450" in answer["answer"] and "200" in answer["answer"]
    assert {c["article_id"] for c in answer["citations"]} == {"flood-0", "flood-1"}
