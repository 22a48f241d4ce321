"""Browser tests: Debian's headless Chromium (Playwright) against a real `newsrag serve`.

1. The chat UI with the real local model: ask the Lavrov question, watch the answer stream in, open its
   citation, see the highlighted span containing "Lavrov" in the source view; thumbs up lands in the file.
2. A host page on another origin embeds the widget by its script tag: open it, ask, open the citation,
   and the same at phone width (extractive backend: the widget, not the model, is under test).
3. A host origin not on NEWSRAG_WIDGET_ORIGINS cannot frame the widget.
Screenshots of each go to test-artifacts/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import CHROMIUM, ROOT, free_port
from .servers import ingested_home, newsrag_server, static_site

ARTIFACTS = ROOT / "test-artifacts"
QUESTION = "who mediated in Moscow?"
ANSWER_TIMEOUT_MS = 300_000  # the local model on a busy 2-core machine
BLUE = "rgb(30, 64, 175)"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: install Debian's Chromium (`apt-get install -y chromium`; `make test` does)",
    ),
]

HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body {{ font: 20px Georgia, serif; background: #faf7f0; }} button {{ background: hotpink !important; }}</style>
</head><body><h1>{title}</h1><p>A news site on {origin}, embedding the archive chat with one tag.</p>
<script src="{server}/widget.js" data-title="Ask our archive" async></script></body></html>"""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = ingested_home(tmp_path_factory.mktemp("e2e"))
    ARTIFACTS.mkdir(exist_ok=True)
    return home


@pytest.fixture(scope="module")
def host_ports() -> tuple[int, int]:
    """(allowed, not allowed): ports of two host sites on 127.0.0.1, i.e. two origins."""
    return free_port(), free_port()


@pytest.fixture(scope="module")
def widget_server(home, host_ports):
    allowed = f"http://127.0.0.1:{host_ports[0]}"
    with newsrag_server(home, llm="extractive", NEWSRAG_WIDGET_ORIGINS=allowed) as url:
        yield url


def host_site(tmp_path: Path, server: str, port: int, title: str):
    origin = f"http://127.0.0.1:{port}"
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "index.html").write_text(HOST_PAGE.format(title=title, origin=origin, server=server))
    return static_site(tmp_path / "site", port)


def test_main_ui_streams_a_cited_answer_and_highlights_the_source(browser, home):
    from playwright.sync_api import expect

    with newsrag_server(home, llm="local") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        question = page.locator("#nr-question textarea")
        expect(question).to_be_visible(timeout=30_000)
        started = time.monotonic()
        question.fill(QUESTION)
        page.locator("#nr-ask").click()

        # streamed: part of the answer shows before the final one (with its linked markers) replaces it
        page.wait_for_function(
            "() => { const s = document.querySelector('#nr-chat .nr-streaming');"
            " return s && s.textContent.replace('▍', '').trim().length > 0; }",
            timeout=ANSWER_TIMEOUT_MS,
        )
        page.wait_for_function(  # a few words in, unless the answer is already complete
            "() => { const s = document.querySelector('#nr-chat .nr-streaming');"
            " return !s || s.textContent.length > 30; }",
            timeout=ANSWER_TIMEOUT_MS,
        )
        page.screenshot(path=ARTIFACTS / "01-main-streaming.png")
        marker = page.locator("#nr-chat .nr-text a.nr-cite").first
        expect(marker).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        print(f"main UI: answer with the local model in {time.monotonic() - started:.1f} s")
        expect(page.locator("#nr-chat .nr-text")).to_contain_text("Lavrov")
        expect(page.locator("#nr-chat .nr-sources li").first).to_be_visible()  # one or more cited sources
        expect(page.get_by_text("Timings")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "01-main-answer.png")

        marker.click()
        cited = page.locator("#nr-source mark#nr-cited")
        expect(cited).to_contain_text("Lavrov", timeout=30_000)
        expect(cited).to_be_in_viewport()
        page.wait_for_timeout(600)  # the smooth scroll settles
        page.screenshot(path=ARTIFACTS / "01-main-source.png")

        page.locator("#nr-chat button[aria-label='Like']").first.click()
        feedback = home / "feedback.jsonl"
        deadline = time.monotonic() + 15
        while not feedback.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        record = json.loads(feedback.read_text().splitlines()[-1])
        assert record["rating"] == "up" and record["question"] == QUESTION and "Lavrov" in record["answer"]
        page.close()


def test_widget_embedded_by_a_script_tag_answers_with_citations(browser, widget_server, host_ports, tmp_path):
    from playwright.sync_api import expect

    with host_site(tmp_path, widget_server, host_ports[0], "The Allowed Times") as site:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(site)
        launcher = page.locator("#newsrag-widget .launcher")  # inside the widget's shadow root
        expect(launcher).to_have_text("Ask our archive", timeout=15_000)
        expect(launcher).to_have_css("background-color", BLUE)  # the host's `button {hotpink !important}` stays out
        launcher.click()
        chat = page.frame_locator("#newsrag-widget iframe")
        chat.locator("#question").fill(QUESTION)
        chat.locator("#send").click()
        marker = chat.locator(".msg.assistant .text button.cite").first
        expect(marker).to_be_visible(timeout=120_000)
        expect(chat.locator(".msg.assistant .text")).to_contain_text("Lavrov")
        expect(chat.locator(".msg.assistant ol.sources li")).to_have_count(1)
        page.screenshot(path=ARTIFACTS / "02-widget-answer.png")

        marker.click()
        cited = chat.locator("mark.cited")
        expect(cited).to_contain_text("Lavrov")
        expect(cited).to_be_in_viewport()
        page.screenshot(path=ARTIFACTS / "02-widget-source.png")

        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        chat.locator("#back").click()
        box = page.locator("#newsrag-widget .panel").bounding_box()
        assert box and box["width"] == 390 and box["x"] == 0  # full width, nothing off-screen
        expect(chat.locator("#question")).to_be_in_viewport()
        page.screenshot(path=ARTIFACTS / "02-widget-mobile.png")
        page.close()


def test_a_host_not_on_the_allowlist_cannot_frame_the_widget(browser, widget_server, host_ports, tmp_path):
    from playwright.sync_api import expect

    with host_site(tmp_path, widget_server, host_ports[1], "The Unlisted Post") as site:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(site)
        page.locator("#newsrag-widget .launcher").click()
        expect(page.locator("#newsrag-widget .notice")).to_be_visible(timeout=20_000)
        assert not [f.url for f in page.frames if f.url.startswith(f"{widget_server}/widget")]
        assert any("frame-ancestors" in line for line in console), console
        page.screenshot(path=ARTIFACTS / "03-widget-blocked.png")
        page.close()


def test_demo_page_embeds_the_widget(browser, widget_server):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{widget_server}/widget/demo")
    page.locator("#newsrag-widget .launcher").click()
    expect(page.frame_locator("#newsrag-widget iframe").locator("#question")).to_be_visible(timeout=15_000)
    page.screenshot(path=ARTIFACTS / "04-widget-demo.png")
    page.close()
