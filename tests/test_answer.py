"""The answering chain with a scripted chat model and the fake embedder over a real Chroma store."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from index.records import Article
from rag.answer import Assistant
from rag.errors import InputError
from rag.records import Answer

from .conftest import make_assistant, setting_default

ARTICLES = [
    Article(
        id="moscow",
        title="Bestand in Nagorno-Karabach",
        date="2020-10",
        lang="nl",
        text="Lavrov bemiddelde bij de besprekingen in Moskou. De besprekingen duurden tien uur lang in Moskou.",
    ),
    Article(
        id="cheese",
        title="Kaasmarkt",
        date="2019-05-01",
        lang="nl",
        source="AD",
        text="De kaasmarkt in Alkmaar trok veel toeristen. Kaasdragers droegen de kaas over het plein.",
    ),
]


def scripted(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(replies))


@pytest.fixture
def make_bot(fake_ingest, fake_embeddings):
    _, store = fake_ingest(ARTICLES)

    def _make(*replies: str, **kw) -> Assistant:
        # passages are given whole here (focusing has tests of its own: test_focus.py)
        kw = {"min_relevance": 0.0, "min_support": 0.2, "focus_margin": None, **kw}
        return make_assistant(store=store, embeddings=fake_embeddings, llm=scripted(*replies), k=2, **kw)

    return _make


def run(bot: Assistant, question: str, history=()) -> tuple[str, Answer]:
    events = list(bot.stream(question, history))
    assert isinstance(events[-1], Answer)
    streamed = "".join(e for e in events[:-1])
    return streamed, events[-1]


def _source_number(bot: Assistant, question: str, article_id: str) -> int:
    from rag.retrieval import retrieve

    hits = retrieve(bot.store, question, k=bot.k).hits
    return 1 + [h.article_id for h in hits].index(article_id)


def test_out_of_range_marker_is_dropped_and_streamed_text_equals_the_answer(make_bot):
    q = "Wie bemiddelde bij de besprekingen in Moskou?"
    probe = make_bot()
    n = _source_number(probe, q, "moscow")
    streamed, answer = run(make_bot(f"Lavrov bemiddelde bij de besprekingen in Moskou [{n}][9]."), q)
    assert answer.answer == "Lavrov bemiddelde bij de besprekingen in Moskou [1]."
    assert streamed.strip() == answer.answer
    assert [c.article_id for c in answer.citations] == ["moscow"]
    assert not answer.refused and "Lavrov" in answer.citations[0].quote


def test_citations_are_renumbered_in_order_of_first_use(make_bot):
    q = "kaasmarkt Alkmaar en besprekingen Moskou"
    probe = make_bot()
    m, c = _source_number(probe, q, "moscow"), _source_number(probe, q, "cheese")
    reply = f"De kaasmarkt in Alkmaar trok veel toeristen [{c}]. Lavrov bemiddelde in Moskou [{m}]."
    _, answer = run(make_bot(reply), q)
    assert answer.answer.endswith("toeristen [1]. Lavrov bemiddelde in Moskou [2].")
    assert [x.article_id for x in answer.citations] == ["cheese", "moscow"]
    assert [x.n for x in answer.citations] == [1, 2]


def test_quote_offsets_index_the_article_text(make_bot):
    q = "Hoe lang duurden de besprekingen in Moskou?"
    n = _source_number(make_bot(), q, "moscow")
    _, answer = run(make_bot(f"De besprekingen duurden tien uur lang [{n}]."), q)
    (cit,) = answer.citations
    assert ARTICLES[0].text[cit.start : cit.end] == cit.quote == "De besprekingen duurden tien uur lang in Moskou."


def test_unsupported_and_uncited_sentences_are_flagged(make_bot):
    q = "Wie bemiddelde bij de besprekingen in Moskou?"
    n = _source_number(make_bot(), q, "moscow")
    reply = (
        f"Lavrov bemiddelde bij de besprekingen in Moskou [{n}]. Pinguïns zwemmen graag in ijswater [{n}]. Zonder bron."
    )
    _, answer = run(make_bot(reply), q)
    flags = {s.text: s.supported for s in answer.sentences}
    assert flags["Lavrov bemiddelde bij de besprekingen in Moskou."] is True
    assert flags["Pinguïns zwemmen graag in ijswater."] is False
    assert flags["Zonder bron."] is False


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_empty_or_oversized_question_is_rejected(make_bot, question):
    with pytest.raises(InputError, match=r"empty|limit is 1000"):
        make_bot().ask(question)


def test_irrelevant_retrieval_refuses_without_calling_the_model(make_bot):
    bot = make_bot(min_relevance=1.5)  # nothing can reach it; the scripted model has no reply to give
    _, answer = run(bot, "Who won the Eurovision Song Contest in 2019?")
    assert answer.refused and answer.answer == "The articles do not contain the answer to this question."
    assert answer.closest and {"title", "date"} <= set(answer.closest[0])
    assert answer.citations == []
    coverage = answer.coverage  # what was searched
    assert coverage["articles"] >= 1 and coverage["first_date"] <= coverage["last_date"]
    assert coverage["outlets"] and {"name", "articles"} <= set(coverage["outlets"][0])


def test_model_saying_not_found_is_a_refusal_in_the_question_language(make_bot):
    streamed, answer = run(make_bot("NOT_FOUND"), "Wie won het songfestival?")
    assert answer.refused and answer.answer == "Het antwoord op deze vraag staat niet in de artikelen."
    assert "NOT_FOUND" not in streamed


@pytest.mark.parametrize(
    "draft",
    ["The mediator is not mentioned in the sources provided [1].", "De naam wordt niet genoemd in de bronnen [1]."],
)
def test_a_draft_saying_the_sources_lack_the_fact_is_a_refusal(make_bot, draft):
    _, answer = run(make_bot(draft, draft), "Who mediated in Moscow?")
    assert answer.refused and answer.refusal["gate"] == "model"


def test_an_answer_no_source_supports_is_refused(make_bot):
    _, answer = run(make_bot("Pinguïns zwemmen graag in ijswater [1]."), "Wie bemiddelde in Moskou?")
    assert answer.refused


def test_a_follow_up_is_searched_with_the_last_question_and_answered_after_the_last_exchange(make_bot, monkeypatch):
    import rag.answer

    seen = []
    real = rag.answer.answer_messages
    monkeypatch.setattr(rag.answer, "answer_messages", lambda *a: seen.append(a) or real(*a))
    q = "Wie bemiddelde in Moskou? en hoe lang duurde het?"
    n = _source_number(make_bot(), q, "moscow")
    bot = make_bot(f"De besprekingen duurden tien uur lang [{n}].")
    history = [("user", "Wie bemiddelde in Moskou?"), ("assistant", "Lavrov bemiddelde [1] [2].")]
    _, answer = run(bot, "en hoe lang duurde het?", history)
    assert not answer.refused and "tien uur" in answer.answer
    assert [c.article_id for c in answer.citations] == ["moscow"]
    assert "condense" not in answer.timings  # no model call before the answer
    ((question, _, _, turns),) = seen
    assert question == "en hoe lang duurde het?"
    assert turns == [("user", "Wie bemiddelde in Moskou?"), ("assistant", "Lavrov bemiddelde.")]  # markers out
    from rag.prompts import user_message

    prompt = user_message(question, [], "nl", turns)
    assert "Earlier in this conversation:\nUser: Wie bemiddelde in Moskou?\nAssistant: Lavrov bemiddelde." in prompt


def test_extractive_backend_quotes_the_best_sentence(fake_ingest, fake_embeddings):
    _, store = fake_ingest(ARTICLES)
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0, min_support=0.2)
    answer = bot.ask("Wie bemiddelde bij de besprekingen in Moskou?")
    assert answer.answer.startswith("Lavrov bemiddelde bij de besprekingen in Moskou [1].")
    assert answer.citations[0].article_id == "moscow" and answer.citations[0].supported


def test_extractive_backend_quotes_a_dutch_source_for_an_english_question(fake_ingest, fake_embeddings):
    # the extractive backend cannot translate: its quote in the article's language is the answer
    sentence = "De besprekingen over het bestand duurden volgens de minister tien uur lang in Moskou."
    article = Article(id="talks", title="Bestand", date="2020-10", lang="nl", text=sentence)
    _, store = fake_ingest([article])
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0, min_support=0.2)
    answer = bot.ask("How long were the besprekingen over het bestand in Moskou, and who said so?")
    assert answer.language == "en" and not answer.refused, answer.refusal
    assert answer.answer == sentence.removesuffix(".") + " [1]."


def test_a_supported_sentence_the_model_left_uncited_gets_its_citation(make_bot):
    q = "Wie bemiddelde bij de besprekingen in Moskou?"
    reply = "Lavrov bemiddelde bij de besprekingen in Moskou. Pinguïns zwemmen graag in ijswater."
    _, answer = run(make_bot(reply), q)
    assert not answer.refused
    assert answer.answer.startswith("Lavrov bemiddelde bij de besprekingen in Moskou. [1]")
    assert [c.article_id for c in answer.citations] == ["moscow"]
    flags = {s.text: s.supported for s in answer.sentences}
    assert flags == {
        "Lavrov bemiddelde bij de besprekingen in Moskou.": True,
        "Pinguïns zwemmen graag in ijswater.": False,
    }


def test_a_follow_up_is_searched_after_the_last_user_question():
    from rag.answer import retrieval_query

    history = [("user", "Wie bemiddelde in Moskou?"), ("assistant", "Lavrov [1].")]
    assert retrieval_query("Hoe lang?", history) == "Wie bemiddelde in Moskou? Hoe lang?"
    assert retrieval_query("Hoe lang?", []) == "Hoe lang?"


def test_a_follow_up_of_a_follow_up_is_searched_with_the_subject_the_conversation_started_from():
    from rag.answer import retrieval_query

    history = [
        ("user", "Wie bemiddelde in Moskou?"),
        ("assistant", "Lavrov [1]."),
        ("user", "Hoe lang duurde het?"),
        ("assistant", "Tien uur [1]."),
    ]
    assert retrieval_query("En waar?", history) == "Wie bemiddelde in Moskou? Hoe lang duurde het? En waar?"
    older = [("user", "Wie won de kaasmarkt?"), ("assistant", "Niemand."), *history]
    assert "kaasmarkt" not in retrieval_query("En waar?", older)  # only the last two questions


def test_a_same_language_passage_without_the_questions_name_must_score_higher():
    from index.records import Hit
    from rag import refusal

    def hit(text: str, lang: str, score: float) -> Hit:
        return Hit(chunk_id="c", score=score, article_id="a", chunk_index=0, title="t", date=None, url=None,
                   source=None, lang=lang, text=text, start=0, end=len(text))  # fmt: skip

    talks = "De besprekingen in Moskou duurden tien uur."
    least = setting_default("min_relevance")
    bar = least + refusal.SAME_LANGUAGE_MARGIN
    assert refusal.relevant([hit(talks, "nl", bar + 0.001)], "nl", least, "Hoe lang duurden de besprekingen?")
    assert not refusal.relevant([hit(talks, "nl", bar + 0.001)], "nl", least, "Hoe gaat het met Ajax?")
    assert refusal.relevant(
        [hit(talks, "nl", bar + refusal.MISSING_NAME_MARGIN)], "nl", least, "Hoe gaat het met Ajax?"
    )
    # names are matched without case ("Visa" / "visa") and never across languages (Moskou / Moscow)
    assert refusal.relevant(
        [hit("Hun familie bleef na het verlopen van hun visa.", "nl", bar)], "nl", least, "Wie had een Visa?"
    )
    assert refusal.relevant([hit(talks, "nl", least)], "en", least, "How long did the Moscow talks last?")


def test_an_answer_failing_a_check_is_asked_again_with_more_of_the_passages(make_bot):
    q = "Hoe lang duurden de besprekingen in Moskou?"
    n = _source_number(make_bot(), q, "moscow")
    bot = make_bot(
        "De besprekingen duurden lang [1].", f"De besprekingen duurden tien uur lang [{n}].", focus_margin=0.03
    )
    _, answer = run(bot, q)
    assert not answer.refused and "tien uur" in answer.answer  # the first draft gave no number
    assert "retry" in answer.timings


def test_a_draft_quoting_the_source_in_another_language_is_asked_again(make_bot):
    q = "How long did the talks in Moscow last?"
    n = _source_number(make_bot(), q, "moscow")
    copied = f"De besprekingen duurden tien uur lang in Moskou, zo meldde het ministerie [{n}]."
    bot = make_bot(copied, f"The talks in Moscow lasted ten hours [{n}].", *[copied] * 3, focus_margin=0.03)
    _, answer = run(bot, q)
    assert not answer.refused and answer.answer.startswith("The talks in Moscow lasted ten hours")
    assert {"retry", "alone"} & answer.timings.keys()  # asked again (with more, or a passage alone)


def test_a_draft_only_ever_in_another_language_is_refused_by_the_language_check(make_bot):
    q = "How long did the talks in Moscow last?"
    n = _source_number(make_bot(), q, "moscow")
    copied = f"De besprekingen duurden tien uur lang in Moskou, zo meldde het ministerie [{n}]."
    _, answer = run(make_bot(*[copied] * 4, focus_margin=0.03), q)
    assert answer.refused and answer.refusal["gate"] == "language"
    assert answer.refusal["evidence"]["written_in"] == "nl" and len(answer.refusal["evidence"]["alone"]) == 2


def test_a_draft_failing_every_try_is_refused_with_every_draft_as_evidence(make_bot):
    q = "Hoe lang duurden de besprekingen in Moskou?"
    replies = ("De besprekingen duurden lang [1].", "Ze duurden heel lang [1].", "Lang [1].", "Heel lang [1].")
    _, answer = run(make_bot(*replies, focus_margin=0.03), q)
    assert answer.refused and answer.refusal["gate"] == "kind"
    assert answer.refusal["draft"] == "De besprekingen duurden lang [1]."
    assert answer.refusal["evidence"]["retry_draft"] == "Ze duurden heel lang [1]."
    # then each of the two passages alone
    assert answer.refusal["evidence"]["alone"] == [
        {"draft": "Lang [1].", "gate": "kind"},
        {"draft": "Heel lang [1].", "gate": "kind"},
    ]


def test_after_two_drafts_without_the_fact_asked_for_each_passage_is_read_alone(make_bot):
    q = "Hoe lang duurden de besprekingen in Moskou?"
    # the moscow passage alone gives it (if the cheese one is read first, its draft is not grounded there)
    replies = ("De besprekingen duurden lang [1].", "Ze duurden heel lang [1].", *["Tien uur lang [1]."] * 2)
    _, answer = run(make_bot(*replies, focus_margin=0.03), q)
    assert not answer.refused and answer.answer.startswith("Tien uur lang")
    assert [c.article_id for c in answer.citations] == ["moscow"]  # the passage it read alone
    assert "alone" in answer.timings


def test_a_number_from_another_sentence_than_the_claims_is_not_attributed():
    from index.records import Hit
    from rag.answer import attributed
    from rag.records import Source

    text = (
        "Er werden 31 burgers gedood. Er raakten 168 burgers gewond. Het weer was zonnig. Armenië verloor 376 soldaten."
    )
    hit = Hit("c", 0.8, "a", 0, "T", "2020-10-10", None, None, "nl", text, 0, len(text))

    def score(claim: str, candidates: list[str]) -> list[float]:  # word overlap stands in for embeddings
        words = set(claim.lower().split())
        return [len(words & set(c.lower().rstrip(".").split())) / 10 for c in candidates]

    kept, dropped = attributed("Er raakten 376 burgers gewond [1].", [Source(1, hit)], "Hoeveel gewonden?", "nl", score)
    assert kept == "" and list(dropped.values()) == [["376"]]
    kept, _ = attributed("Er raakten 168 burgers gewond [1].", [Source(1, hit)], "Hoeveel gewonden?", "nl", score)
    assert kept == "Er raakten 168 burgers gewond [1]."
    # the sentence next to the closest one counts (it often holds what the closest one announces)
    assert attributed("Er werden 168 burgers gedood [1].", [Source(1, hit)], "Hoeveel doden?", "nl", score)[0]
    # what the conversation already named is no claim to attribute: only the new name is checked
    claim = "Er raakten 168 burgers gewond in Armenië [1]."
    assert attributed(claim, [Source(1, hit)], "En hoeveel gewonden?", "nl", score)[0] == ""
    kept, _ = attributed(claim, [Source(1, hit)], "Wat verloor Armenië? En hoeveel gewonden?", "nl", score)
    assert kept == claim
    # the year of the article's date may complete a day ("168 gewonden op 10 oktober 2020")
    dated = "Er raakten 168 burgers gewond op 10 oktober 2020 [1]."
    assert (
        attributed(dated, [Source(1, hit)], "Wanneer raakten 168 burgers gewond op 10 oktober?", "nl", score)[0]
        == dated
    )


def test_a_day_the_question_names_narrows_the_search_and_the_answer_says_so(make_bot):
    bot = make_bot("De kaasdragers droegen de kaas [1].", "Lavrov bemiddelde [1].")
    _, answer = run(bot, "Wat gebeurde er op 1 mei 2019 op de kaasmarkt?")
    assert answer.filters == {
        "date_from": "2019-05-01", "date_to": "2019-05-03", "sources": [], "from_question": "1 mei 2019",
    }  # fmt: skip
    assert {c.article_id for c in answer.citations} == {"cheese"}
    # a period nothing relevant is dated in: the whole archive is searched, and no filter is reported
    _, answer = run(bot, "Wie bemiddelde op 3 maart in Moskou?")
    assert answer.filters is None and not answer.refused


def test_as_of_a_date_the_newest_report_up_to_it_is_read(fake_ingest, fake_embeddings):
    reports = [
        Article(id=f"cheese-{date}", title="Kaasmarkt Alkmaar", date=date, lang="nl", text=text)
        for date, text in (
            ("2019-04-05", "De kaasmarkt in Alkmaar trok 300 toeristen."),
            ("2019-04-26", "De kaasmarkt in Alkmaar trok 500 toeristen."),
            ("2019-05-20", "De kaasmarkt in Alkmaar trok 900 toeristen."),
        )
    ]
    _, store = fake_ingest(reports)
    bot = make_assistant(
        store=store, embeddings=fake_embeddings, llm=scripted("500 [1]."), k=1, min_relevance=0.0, focus_margin=None
    )
    answer = bot.ask("As of 1 May 2019, how many tourists did the cheese market in Alkmaar draw?")
    assert answer.filters == {
        "date_from": "2019-03-31",
        "date_to": "2019-05-01",
        "sources": [],
        "from_question": "As of 1 May 2019",
    }
    assert [c.article_id for c in answer.citations] == ["cheese-2019-04-26"]  # not the later or an older one


def test_closest_sentences_without_the_kind_of_fact_asked_for_are_widened_before_the_model_reads_them(
    fake_ingest, fake_embeddings
):
    from pydantic import Field

    from tests.test_focus import overlap

    class Recording(GenericFakeChatModel):
        prompts: list[str] = Field(default_factory=list)

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):
            self.prompts.append(messages[-1].content)
            yield from super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)

    _, store = fake_ingest(ARTICLES[:1])
    llm = Recording(messages=iter(["Lavrov bemiddelde tien uur lang [1]."]))
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, k=1, min_relevance=-1.0, focus_margin=0.03)
    bot._scorer = overlap  # word overlap: the sentence restating the question is the closest by far
    answer = bot.ask("Hoeveel uur bemiddelde Lavrov bij de besprekingen in Moskou?")
    # the closest sentence ("Lavrov bemiddelde bij de besprekingen in Moskou.") gives no number: the model
    # reads the next one too, the first time
    assert len(llm.prompts) == 1 and "tien uur" in llm.prompts[0]
    assert not answer.refused and "tien uur" in answer.answer and "retry" not in answer.timings


VOTE_ARTICLES = [
    Article(
        id="senate",
        title="SGP-plan gesneuveld",
        date="2019-04-10",
        lang="nl",
        text="Het plan van de SGP is gisteren gesneuveld in de Eerste Kamer. Een ruime meerderheid stemde tegen.",
    ),
    Article(
        id="preview",
        title="SGP-plan nog actueel",
        date="2019-04-03",
        lang="nl",
        text="De stemming volgende week kan partijen munitie bieden voor de verkiezingen op 23 mei.",
    ),
]


def test_a_copied_sentence_about_something_else_is_read_again_passage_by_passage(fake_ingest, fake_embeddings):
    _, store = fake_ingest(VOTE_ARTICLES)
    q = "Op welke datum stemde de Eerste Kamer het SGP-plan weg?"
    copy = "De stemming volgende week kan partijen munitie bieden voor de verkiezingen op 23 mei [1]."
    own = "De Eerste Kamer stemde het SGP-plan op 9 april 2019 weg [1]."  # grounded in the senate passage alone
    llm = scripted(copy, copy, own, own)
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, k=2, min_relevance=0.0, focus_margin=0.03)
    _, answer = run(bot, q)
    assert not answer.refused, answer.refusal
    assert "9 april 2019" in answer.answer and [c.article_id for c in answer.citations] == ["senate"]
    assert "alone" in answer.timings

    llm = scripted(*[copy] * 4)
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, k=2, min_relevance=0.0, focus_margin=0.03)
    _, answer = run(bot, q)
    assert answer.refused
    # the first draft may read only the senate passage (not grounded there); the copy gate then refuses the retry
    evidence = answer.refusal["evidence"]
    copy_check = evidence if answer.refusal["gate"] == "copy" else evidence["retry"]
    assert "copy" in (answer.refusal["gate"], evidence.get("retry_gate"))
    assert copy_check["copied"] == [
        "de stemming volgende week kan partijen munitie bieden voor de verkiezingen op 23 mei."
    ]


def test_a_number_given_for_another_numbers_words_is_answered_with_that_number(fake_ingest, fake_embeddings):
    flood = Article(
        id="flood",
        title="Dijkdoorbraak",
        date="2021-03-05",
        lang="nl",
        text="Volgens de veiligheidsregio zijn sinds 3 maart 12 bewoners omgekomen en 240 geëvacueerd.",
    )
    _, store = fake_ingest([flood])
    llm = scripted("Sinds 3 maart zijn 12 bewoners geëvacueerd [1].")
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=llm, k=1, min_relevance=0.0, focus_margin=None)
    _, answer = run(bot, "Hoeveel bewoners zijn er sinds 3 maart geëvacueerd?")
    assert not answer.refused, answer.refusal
    assert "240 bewoners" in answer.answer and "12" not in answer.answer
    assert [c.article_id for c in answer.citations] == ["flood"]
