"""Every pattern that reads user or article text runs in time linear in it: each function below gets its
worst-case input (a long run of what a pattern used to rescan from every position) at a size it can meet,
and must finish. These inputs took minutes to hours with the quadratic patterns and take well under a
second now.

No timed assertions: each case runs in a fresh interpreter and fails only when it has not finished after
`HANG` seconds (a thread cannot be timed out here: the `re` module holds the GIL for a whole search).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
HANG = 30.0
ARTICLE = 1_000_000  # characters: an article text (files may be up to 50 MB)
ANSWER = 250_000  # characters: a streamed answer (the model's max_tokens has no upper bound)

CASES = {
    # citation markers in a history turn or an answer: `_RUN` rescanned a run of spaces from each space
    "strip_markers: spaces": f"from rag.citations import strip_markers; strip_markers(' ' * {ARTICLE} + 'x')",
    "strip_markers: tabs, then a bracket": f"from rag.citations import strip_markers; strip_markers('\\t ' * {ARTICLE // 2} + '[')",
    "renumber: markers, then a letter": f"from rag.citations import renumber; renumber('[1] ' * {ARTICLE // 4} + 'x', 3)",
    # the streamed answer: the held tail was searched with a quadratic pattern, and copied at every delta
    "CitationStream: spaces in small deltas": (
        "from rag.citations import CitationStream\n"
        f"s = CitationStream(3); t = ' ' * {ANSWER} + 'x'\n"
        "[s.feed(t[i : i + 4]) for i in range(0, len(t), 4)]; s.finish()"
    ),
    "CitationStream: markers in small deltas": (
        "from rag.citations import CitationStream\n"
        f"s = CitationStream(3); t = '[1]' * {ANSWER // 3} + 'x'\n"
        "[s.feed(t[i : i + 4]) for i in range(0, len(t), 4)]; s.finish()"
    ),
    # sentence ends: a run of end punctuation not followed by a space was rescanned from each dot
    "split_sentences: dots": f"from index.sentences import split_sentences; split_sentences('.' * {ARTICLE} + 'x')",
    "split_sentences: ellipses": f"from index.sentences import split_sentences; split_sentences('…' * {ARTICLE})",
    "split_sentences: question marks": f"from index.sentences import split_sentences; split_sentences('a' + '?' * {ARTICLE})",
    # a Markdown title: the lazy title rescanned the rest of the line for every character it took
    "read_markdown: # a # # # ... x": (
        "from pathlib import Path; from index.formats import read_markdown\n"
        f"list(read_markdown(Path('a.md'), '# a' + ' #' * {ARTICLE // 2} + ' x'))"
    ),
    "read_markdown: spaces, then #": (
        "from pathlib import Path; from index.formats import read_markdown\n"
        f"list(read_markdown(Path('a.md'), '#' + ' ' * {ARTICLE} + '#'))"
    ),
    # already linear, kept so they stay so: relative dates and refusal phrases over long runs of spaces
    "annotate: a weekday word, then spaces": (
        "from rag.dates import annotate\n"
        f"annotate('vorige' + ' ' * {ARTICLE} + 'x', '2020-10-10', 'nl'); annotate('last' + ' ' * {ARTICLE}, '2020-10-10', 'en')"
    ),
    "model_refused: spaces": f"from rag.refusal import model_refused; model_refused('sources' + ' ' * {ARTICLE} + 'x')",
}


@pytest.mark.parametrize("code", CASES.values(), ids=CASES.keys())
def test_worst_case_input_finishes(code: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=HANG)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {HANG} s: a pattern rescans its input (quadratic or worse)")
    assert done.returncode == 0, done.stderr
