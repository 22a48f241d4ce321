"""The date filter at the ui layer (issue 13, item 6): the API validates `filters` dates and every answer
reports the filter its search applied (`filters` in the JSON); the chat's From/To boxes become the filter;
the chat shows the applied range with the answer. Fakes throughout (extractive Assistant, fake embedder,
real Chroma in tmp_path). The widget's data-from/data-to: tests/test_widget_dates.py; in a browser:
tests/test_date_filter_e2e.py."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from rag.errors import InputError
from rag.records import Answer
from rag.retrieval import Filters
from ui import render
from ui.filters import applied, date_filters, describe
from ui.schemas import AnswerOut
from ui.server import create_app
from ui.settings import Settings
from ui.streaming import stream_answer

from .conftest import CHEESE, MOSCOW, QUESTION, make_assistant
from .test_api import sse_events

ARTICLES = [MOSCOW, CHEESE]


@pytest.fixture
def client(fake_ingest, fake_embeddings, tmp_path) -> TestClient:
    store = fake_ingest(ARTICLES)[1]
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None, min_relevance=0.0, min_support=0.2, k=2)
    return TestClient(create_app(Settings(home=tmp_path / "home"), bot, ui=False))


def ask(client: TestClient, path: str, **body) -> dict:
    response = client.post(path, json={"question": QUESTION, **body})
    assert response.status_code == 200, response.text
    if path == "/api/ask":
        return response.json()
    return next(data for name, data in sse_events(response.text) if name == "answer")


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_the_answer_reports_the_date_filter_it_applied(client, path):
    answer = ask(client, path, filters={"date_from": "2020-10", "date_to": "2020-12-31"})
    assert answer["filters"] == {"date_from": "2020-10", "date_to": "2020-12-31", "sources": []}
    assert {c["article_id"] for c in answer["citations"]} == {"moscow"}


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_no_filter_is_reported_as_null(client, path):
    assert ask(client, path)["filters"] is None
    assert ask(client, path, filters={})["filters"] is None  # an empty filter restricts nothing


def test_a_refusal_reports_the_filter_that_left_nothing_to_find(client):
    answer = ask(client, "/api/ask", filters={"date_to": "2018", "sources": ["NOS"]})
    assert answer["refused"] is True
    assert answer["filters"] == {"date_from": None, "date_to": "2018", "sources": ["NOS"]}


def test_the_answer_field_is_in_the_api_schema_and_the_record():
    assert "filters" in AnswerOut.model_fields
    assert Answer(question="", answer="", refused=False, language="en").as_dict()["filters"] is None
    schema = TestClient(create_app(Settings(), _NoBot(), ui=False)).get("/openapi.json").json()
    assert "FiltersOut" in schema["components"]["schemas"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"date_from": "2020-02-30"}, "Expected date to be a date in the calendar, got '2020-02-30'"),
        ({"date_to": "2020-13"}, "Expected date to be a date in the calendar, got '2020-13'"),
        ({"date_from": "10-04-2019"}, "filters.date_from"),
        (
            {"date_from": "2021", "date_to": "2020-12"},
            "Expected date_from on or before date_to, got 2021 after 2020-12",
        ),
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_a_date_not_in_the_calendar_or_a_reversed_range_is_422(client, path, filters, message):
    response = client.post(path, json={"question": QUESTION, "filters": filters})
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(("date_from", "date_to"), [("2020-10", "2020-10-31"), ("2020", "2020"), ("2019-05-01", None)])
def test_ranges_that_touch_are_accepted(client, date_from, date_to):
    answer = ask(client, "/api/ask", filters={"date_from": date_from, "date_to": date_to})
    assert answer["filters"]["date_from"] == date_from and answer["filters"]["date_to"] == date_to


class _NoBot:
    """An Assistant stand-in whose answer already carries the filter it read from the question."""

    max_question_chars = 1000

    def stream(self, question, history, filters):
        yield Answer(
            question=question,
            answer="x",
            refused=True,
            language="en",
            filters={"date_from": "2019-04-10", "date_to": "2019-04-10", "sources": []},
        )


def test_a_filter_the_assistant_set_is_kept():
    async def final() -> Answer:
        events = [e async for e in stream_answer(_NoBot(), "q", (), Filters(date_from="2020"))]
        return events[-1]

    assert asyncio.run(final()).filters == {"date_from": "2019-04-10", "date_to": "2019-04-10", "sources": []}


def test_the_chat_boxes_become_the_filter():
    assert date_filters(None, None) is None and date_filters("", "  ") is None
    assert date_filters(" 2020-10 ", "") == Filters(date_from="2020-10")
    assert date_filters("2019", "2020-02-29") == Filters(date_from="2019", date_to="2020-02-29")
    with pytest.raises(InputError, match=r"Expected 'From' as an ISO date .* got 'yesterday'"):
        date_filters("yesterday", None)
    with pytest.raises(InputError, match="Expected 'To' to be a date in the calendar, got '2019-02-29'"):
        date_filters(None, "2019-02-29")
    with pytest.raises(InputError, match="on or before"):
        date_filters("2020-11", "2020-10-31")


def test_applied_and_described():
    assert applied(None) is None and applied(Filters()) is None
    assert applied(Filters(date_to="2020")) == {"date_from": None, "date_to": "2020", "sources": []}
    assert describe(None) == ""
    assert describe({"date_from": "2020-10", "date_to": "2020-12-31"}) == "Searched articles from 2020-10 to 2020-12-31"
    assert describe({"date_from": "2020-10", "date_to": "2020-10"}) == "Searched articles dated 2020-10"
    assert describe({"date_from": "2020", "date_to": None}) == "Searched articles from 2020 on"
    assert describe({"date_to": "2020", "sources": ["NOS", "AD"]}) == "Searched articles up to 2020 in NOS, AD"
    assert describe({"sources": ["NOS"]}) == "Searched articles in NOS"


def test_the_chat_shows_the_applied_range_with_an_answer_and_a_refusal():
    base = Answer(question="q", answer="Lavrov.", refused=False, language="nl").as_dict()
    shown = {**base, "filters": {"date_from": "2020-10", "date_to": None, "sources": ["<b>NOS</b>"]}}
    assert '<p class="nr-filter">Searched articles from 2020-10 on in &lt;b&gt;NOS&lt;/b&gt;</p>' in render.answer_html(
        shown
    )
    assert "nr-filter" in render.answer_html({**shown, "refused": True})
    assert "nr-filter" not in render.answer_html(base)
