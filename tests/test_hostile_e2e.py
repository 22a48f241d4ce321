"""Hostile content, the browser side: an article whose text holds `<script>` and `onerror=` markup is cited
and opened in the main chat's source view and in the widget; it shows as literal text and no script runs
(`window.__pwned` stays undefined). And the widget's words for a 429 (busy, or rate limited).

Debian's Chromium (Playwright) against a real `newsrag serve` with the extractive backend: the rendering,
not the model, is under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import CHROMIUM
from .servers import ingested_home, newsrag_server
from .test_ui_e2e import ARTIFACTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: `apt-get install -y chromium`"),
]

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
ARTICLE = f""" date 2021-03 De gemeenteraad van Zwolle stemde dinsdag in met de bouw van een nieuwe fietsbrug \
over de IJssel. {SCRIPT} Wethouder Jansen noemde de nieuwe fietsbrug over de IJssel {IMG} een mijlpaal voor Zwolle.

De fietsbrug over de IJssel in Zwolle moet in 2026 klaar zijn en kost 40 miljoen euro.
"""
QUESTION = "Wat besloot de gemeenteraad van Zwolle over de fietsbrug over de IJssel?"
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    (root / "hostile").mkdir()
    (root / "hostile" / "zwolle-xss.txt").write_text(ARTICLE, encoding="utf-8")
    home = ingested_home(root, root / "hostile")
    ARTIFACTS.mkdir(exist_ok=True)
    with newsrag_server(home, llm="extractive") as url:
        yield url


def assert_inert(page, scope: str) -> None:
    """Nothing ran, and the markup did not become elements."""
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator(f"{scope} script, {scope} img").count() == 0


def test_main_ui_shows_article_markup_as_text(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server)
    question = page.locator("#nr-question textarea")
    expect(question).to_be_visible(timeout=30_000)
    question.fill(QUESTION)
    page.locator("#nr-ask").click()
    marker = page.locator("#nr-chat .nr-text a.nr-cite").first
    expect(marker).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#nr-chat .nr-sources")).to_contain_text("Zwolle")
    marker.click()
    article = page.locator("#nr-source .nr-article")
    expect(article).to_contain_text(SCRIPT, timeout=30_000)
    expect(article).to_contain_text(IMG)
    page.wait_for_timeout(1000)  # give an injected handler every chance to fire
    assert_inert(page, "#nr-chat")
    assert_inert(page, "#nr-source")
    page.screenshot(path=ARTIFACTS / "05-main-hostile-source.png")
    page.close()


def test_widget_shows_article_markup_as_text(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 420, "height": 800})
    page.goto(f"{server}/widget")
    page.locator("#question").fill(QUESTION)
    page.locator("#send").click()
    marker = page.locator(".msg.assistant .text button.cite").first
    expect(marker).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(".msg.assistant ol.sources")).to_contain_text("Zwolle")
    marker.click()
    article = page.locator("#source .article")
    expect(article).to_contain_text(SCRIPT)
    expect(article).to_contain_text(IMG)
    page.wait_for_timeout(1000)
    assert_inert(page, "#log")
    assert_inert(page, "#source")
    page.screenshot(path=ARTIFACTS / "05-widget-hostile-source.png")
    page.close()


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("busy", "Many people are asking questions right now. Please ask again in about 7 seconds."),
        ("rate_limited", "You have asked many questions in a short time. Please wait about 7 seconds"),
    ],
)
def test_widget_explains_a_429_and_keeps_the_question(browser, server, reason, words):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 420, "height": 800})
    body = f'{{"detail": "server words", "reason": "{reason}", "retry_after": 7}}'
    page.route(
        "**/api/ask/stream",
        lambda route: route.fulfill(
            status=429, headers={"retry-after": "7"}, content_type="application/json", body=body
        ),
    )
    page.goto(f"{server}/widget")
    page.locator("#question").fill(QUESTION)
    page.locator("#send").click()
    expect(page.locator(".msg.assistant.error")).to_contain_text(words, timeout=30_000)
    expect(page.locator("#question")).to_have_value(QUESTION)  # ready to send again
    page.screenshot(path=ARTIFACTS / f"06-widget-{reason}.png")
    page.close()
