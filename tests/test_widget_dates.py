"""The widget tag's data-from/data-to (ui/static/widget.js), parsed under Node without a browser: ISO dates
as the API takes them (YYYY-MM-DD, YYYY-MM, YYYY) that are in the calendar are kept; anything else is one
console error naming the attribute and is left out. tests/test_date_filter_e2e.py checks a real tag."""

from __future__ import annotations

import json
import subprocess

import pytest

from .test_widget_offsets import NODE, STATIC


def date_range(dataset: dict) -> tuple[dict, list[str]]:
    if NODE is None:
        pytest.skip("node is not installed (the browser test covers the widget)")
    script = (
        f"const w = require({json.dumps(str(STATIC / 'widget.js'))});"
        "const errors = [];"
        "const range = w.dateRange(JSON.parse(require('fs').readFileSync(0, 'utf8')), (m) => errors.push(m));"
        "console.log(JSON.stringify([range, errors]));"
    )
    done = subprocess.run(
        [NODE, "-e", script], input=json.dumps(dataset), capture_output=True, text=True, check=True, timeout=60
    )
    range_, errors = json.loads(done.stdout)
    return range_, errors


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ({}, {}),
        ({"title": "Ask"}, {}),
        ({"from": "2020-10-01", "to": "2020-12-31"}, {"from": "2020-10-01", "to": "2020-12-31"}),
        ({"from": "2020-10"}, {"from": "2020-10"}),
        ({"to": " 2019 "}, {"to": "2019"}),
        ({"from": "2020-02-29", "to": "2020-02-29"}, {"from": "2020-02-29", "to": "2020-02-29"}),
        ({"from": "2020-10", "to": "2020-10-01"}, {"from": "2020-10", "to": "2020-10-01"}),  # touching
        ({"from": "", "to": ""}, {}),
    ],
)
def test_iso_dates_are_kept(dataset, expected):
    assert date_range(dataset) == (expected, [])


@pytest.mark.parametrize(
    "bad",
    [
        "2019-02-29",
        "2020-13",
        "2020-00",
        "2020-04-31",
        "0000",
        "10-04-2019",
        "2020/10/01",
        "last week",
        "2020-1-5",
        "2020-10-01T00:00",
        "<img src=x>",
    ],
)
def test_a_bad_date_is_a_console_error_and_ignored(bad):
    found, errors = date_range({"from": bad, "to": "2021-01-01"})
    assert found == {"to": "2021-01-01"}
    assert errors == [
        f'newsrag widget: data-from="{bad}" is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY); it is ignored.'
    ]


def test_a_reversed_range_is_a_console_error_and_both_are_ignored():
    found, errors = date_range({"from": "2021", "to": "2020-12-31"})
    assert found == {}
    assert errors == ['newsrag widget: data-from="2021" is after data-to="2020-12-31"; both are ignored.']


def test_the_loader_sends_the_range_to_the_chat_page_and_the_page_to_the_api():
    loader = (STATIC / "widget.js").read_text(encoding="utf-8")
    assert "dateRange(script.dataset, (message) => console.error(message))" in loader
    assert "new URLSearchParams({ embedded: '1', title, ...range })" in loader
    app = (STATIC / "widget-app.js").read_text(encoding="utf-8")
    assert "filters.date_from = params.get('from')" in app and "filters.date_to = params.get('to')" in app
    assert "...(filtered ? { filters } : {})" in app
