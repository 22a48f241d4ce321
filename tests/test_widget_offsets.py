"""The widget's citation offsets: the API counts code points (Python `str` indices), JavaScript strings
count UTF-16 units, and `ui/static/offsets.js` converts. Checked here under Node against Python's own
slicing, fast and without a browser; tests/test_widget_offsets_e2e.py checks the real widget in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "ui" / "static"
NODE = shutil.which("node")
TEXT = "🎉🎉 Feest! 👨‍👩‍👧 De gemeente opende 🚲 een stalling.\nZe kost 12 miljoen euro 💶 en 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 blijft."


def run_node(script: str, data: object) -> object:
    if NODE is None:
        pytest.skip("node is not installed (the browser test covers the widget)")
    prelude = f"const o = require({json.dumps(str(STATIC / 'offsets.js'))});"
    prelude += "const data = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
    result = subprocess.run(
        [NODE, "-e", prelude + script], input=json.dumps(data), capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(result.stdout)


def test_spans_cut_at_code_point_offsets_as_python_slices() -> None:
    spans = [(s, e) for s in range(0, len(TEXT), 3) for e in range(s + 1, len(TEXT) + 1, 4)] + [(0, len(TEXT))]
    found = run_node(
        "console.log(JSON.stringify(data.spans.map(([s, e]) => o.splitSpan(data.text, s, e))));",
        {"text": TEXT, "spans": spans},
    )
    assert found == [[TEXT[:s], TEXT[s:e], TEXT[e:]] for s, e in spans]


@pytest.mark.parametrize("start, end", [(-1, -1), (5, 5), (7, 3), (0, len(TEXT) + 1), (len(TEXT), len(TEXT) + 2)])
def test_offsets_outside_the_text_are_no_span(start: int, end: int) -> None:
    found = run_node(
        "console.log(JSON.stringify(o.splitSpan(data.text, data.start, data.end)));",
        {"text": TEXT, "start": start, "end": end},
    )
    assert found is None


def test_a_long_quote_is_cut_at_a_code_point() -> None:
    quote = "🎉" * 250
    found = run_node(
        "console.log(JSON.stringify([o.cut(data.q, 200), o.cut(data.q.slice(0, 400), 200)]));", {"q": quote}
    )
    assert found == ["🎉" * 199 + "…", "🎉" * 200]


def test_the_widget_slices_article_text_only_through_offsets_js() -> None:
    page = (STATIC / "widget.html").read_text(encoding="utf-8")
    assert page.index("widget/assets/offsets.js") < page.index("widget/assets/widget-app.js")  # both deferred
    app = (STATIC / "widget-app.js").read_text(encoding="utf-8")
    assert "newsragOffsets.splitSpan(article.text, start, end)" in app
    assert "text.slice(start" not in app and "quote.slice(" not in app
