"""Highlight offsets in the real widget (Chromium): an article with emoji before and inside the cited
sentence is cited, and the source view marks exactly the quoted span. The API's offsets count code points,
JavaScript's strings UTF-16 units; unconverted, each emoji before the quote would shift the mark by one.

Debian's Chromium (Playwright) against a real `newsrag serve` with the extractive backend: the widget,
not the model, is under test. The conversion itself: tests/test_widget_offsets.py.
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

TEXT = """🎉🎉🎉 Feest in Deventer! 🚲🚲 De gemeente Deventer opende zaterdag 🥳 een nieuwe fietsenstalling \
bij het station. 👨‍👩‍👧 Gezinnen kwamen kijken.

De fietsenstalling bij het station van Deventer heeft plaats voor 4.000 fietsen 🚲 en kost 12 miljoen euro."""
QUESTION = "Hoeveel fietsen passen in de fietsenstalling bij het station van Deventer?"
TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("emoji")
    (root / "emoji").mkdir()
    (root / "emoji" / "deventer-emoji.txt").write_text(f" date 2021-05 {TEXT}\n", encoding="utf-8")
    home = ingested_home(root, root / "emoji")
    ARTIFACTS.mkdir(exist_ok=True)
    with newsrag_server(home, llm="extractive") as url:
        yield url


def test_widget_highlights_the_quote_in_an_article_with_emoji(browser, server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 420, "height": 800})
    page.goto(f"{server}/widget")
    page.locator("#question").fill(QUESTION)
    page.locator("#send").click()
    marker = page.locator(".msg.assistant .text button.cite").first
    expect(marker).to_be_visible(timeout=TIMEOUT_MS)
    label = marker.inner_text()  # "[1]"
    cited = page.locator(".msg.assistant ol.sources li").filter(has_text=label).first
    quote = cited.locator(".snippet").text_content()  # the API's quote, article text [start, end)
    assert quote and "🚲" in TEXT.split(quote)[0]  # emoji come before the quote
    marker.click()
    mark = page.locator("#source .article mark.cited")
    expect(mark).to_be_visible()
    assert mark.text_content() == quote
    assert page.locator("#source .article").text_content() == TEXT
    page.screenshot(path=ARTIFACTS / "07-widget-emoji-source.png")
    page.close()
