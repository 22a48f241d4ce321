"""The date filter in a real browser (Debian's Chromium, Playwright) against a real `newsrag serve` with the
extractive backend (the controls, not the model, are under test), over corpus/ (one article, 2020-10):

1. The chat's From/To boxes: a range holding the article gives a cited answer showing the range searched;
   a range after it gives a refusal showing the range; a date not in the calendar is said in the chat.
2. The widget tag's data-from/data-to on a host page: a valid date is sent as the API's filter and shown
   with the answer; a bad one is a console error and left out; a range before the article is a refusal.
Screenshots go to test-artifacts/ (08-*, 09-*, 10-*).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CHROMIUM, free_port
from .servers import ingested_home, newsrag_server, static_site
from .test_ui_e2e import ARTIFACTS, QUESTION

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: `apt-get install -y chromium`"),
]

TIMEOUT_MS = 120_000
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>The Dated Herald</title></head>
<body><h1>The Dated Herald</h1><p>A news site embedding the archive chat for a date range.</p>
<script src="{server}/widget.js" data-title="Ask our archive" {attributes} async></script></body></html>"""


@pytest.fixture(scope="module")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(tmp_path_factory, host_port):
    home = ingested_home(tmp_path_factory.mktemp("dates"))
    ARTIFACTS.mkdir(exist_ok=True)
    with newsrag_server(home, llm="extractive", NEWSRAG_WIDGET_ORIGINS=f"http://127.0.0.1:{host_port}") as url:
        yield url


def ask_chat(page, date_from: str, date_to: str) -> None:
    page.locator("#nr-date-from input, #nr-date-from textarea").fill(date_from)
    page.locator("#nr-date-to input, #nr-date-to textarea").fill(date_to)
    page.locator("#nr-question textarea").fill(QUESTION)
    page.locator("#nr-ask").click()


def test_chat_date_control_filters_each_question_and_shows_the_range(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server)
    expect(page.locator("#nr-question textarea")).to_be_visible(timeout=30_000)

    ask_chat(page, "2020-10", "2020-12-31")
    answer = page.locator("#nr-chat .nr-answer").last
    expect(answer.locator("a.nr-cite").first).to_be_visible(timeout=TIMEOUT_MS)
    expect(answer).to_contain_text("Lavrov")
    expect(answer.locator(".nr-filter")).to_have_text("Searched articles from 2020-10 to 2020-12-31")
    page.screenshot(path=ARTIFACTS / "08-chat-date-filter.png")

    page.locator("#nr-new-chat").click()
    ask_chat(page, "2021-01", "")
    refusal = page.locator("#nr-chat .nr-refusal").last
    expect(refusal).to_be_visible(timeout=TIMEOUT_MS)
    expect(refusal.locator(".nr-filter")).to_have_text("Searched articles from 2021-01 on")
    page.screenshot(path=ARTIFACTS / "09-chat-date-filter-refusal.png")

    page.locator("#nr-new-chat").click()
    ask_chat(page, "2020-02-30", "")
    expect(page.locator("#nr-chat .nr-error").last).to_contain_text(
        "Expected 'From' to be a date in the calendar, got '2020-02-30'", timeout=30_000
    )
    page.close()


def host_page(tmp_path: Path, server: str, port: int, name: str, attributes: str):
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / f"{name}.html").write_text(HOST_PAGE.format(server=server, attributes=attributes))
    return static_site(site, port)


def open_widget_and_ask(page, site: str, name: str):
    from playwright.sync_api import expect

    asked: list[dict] = []
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: asked.append(json.loads(r.post_data)) if r.url.endswith("/api/ask/stream") else None)
    page.goto(f"{site}/{name}.html")
    launcher = page.locator("#newsrag-widget .launcher")
    expect(launcher).to_have_text("Ask our archive", timeout=15_000)
    launcher.click()
    chat = page.frame_locator("#newsrag-widget iframe")
    chat.locator("#question").fill(QUESTION)
    chat.locator("#send").click()
    return chat, asked, errors


def test_widget_tag_dates_are_validated_and_sent_as_the_filter(browser, server, host_port, tmp_path):
    from playwright.sync_api import expect

    with host_page(tmp_path, server, host_port, "from", 'data-from="2020-10" data-to="2020-13-01"') as site:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        chat, asked, errors = open_widget_and_ask(page, site, "from")
        expect(chat.locator(".msg.assistant .text button.cite").first).to_be_visible(timeout=TIMEOUT_MS)
        expect(chat.locator(".msg.assistant .text")).to_contain_text("Lavrov")
        expect(chat.locator(".msg.assistant .filter")).to_have_text("Searched articles from 2020-10 on")
        expect(chat.locator(".hint .filter")).to_have_text("This chat searches articles from 2020-10 on")
        assert asked and asked[-1]["filters"] == {"date_from": "2020-10"}
        assert 'newsrag widget: data-to="2020-13-01" is not an ISO date' in "\n".join(errors)
        page.screenshot(path=ARTIFACTS / "10-widget-date-filter.png")
        page.close()


def test_widget_tag_range_before_the_archive_gives_a_refusal_saying_the_range(browser, server, host_port, tmp_path):
    from playwright.sync_api import expect

    with host_page(tmp_path, server, host_port, "to", 'data-from="2019" data-to="2019-12-31"') as site:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        chat, asked, errors = open_widget_and_ask(page, site, "to")
        refusal = chat.locator(".msg.assistant.refusal")
        expect(refusal).to_be_visible(timeout=TIMEOUT_MS)
        expect(refusal.locator(".filter")).to_have_text("Searched articles from 2019 to 2019-12-31")
        assert asked[-1]["filters"] == {"date_from": "2019", "date_to": "2019-12-31"}
        assert not [e for e in errors if "newsrag widget" in e]
        page.screenshot(path=ARTIFACTS / "10-widget-date-filter-refusal.png")
        page.close()
