"""The answer-quality gate on real news: `dpg-nl-qa` (80 questions over 1,398 Dutch articles: English
questions about Dutch facts, Dutch questions, follow-ups, dates, unanswerable near-misses) answered by the
default local model.

It needs the development material in ../shared and skips without it (users do not have it). The bars sit
a little under what the default answer path measured (README, Evaluation), so that a change that loses
accuracy, refuses answerable questions, answers unanswerable ones or cites wrong passages fails `make test`.
They are not yet the product's targets (answer accuracy 0.85, refusal accuracy 0.80, citation precision
0.95, ahead of LangChain's tutorial pipeline): `newsrag eval ... --baseline` measures those, side by side
with the tutorial pipeline; the comparison is left out of this gate because it doubles the gate's time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, shared_path

pytestmark = pytest.mark.slow

BARS = (
    "answer_accuracy=0.80",  # measured 0.862
    "false_refusal_rate=0.10",  # measured 0.077
    "refusal_accuracy=0.67",  # measured 0.800
    "citation_precision=0.90",  # measured 0.967
    "citation_validity=1.0",
)
PER_TYPE_ACCURACY = 0.50  # measured: English about Dutch 0.80, Dutch 0.90, follow-ups 0.90, dates 1.00 (5 prompts)


def test_dpg_nl_qa_gate_with_the_local_model(tmp_path: Path):
    questions = shared_path("benchmarks", "dpg-nl-qa", "questions.jsonl")
    articles = shared_path("corpora", "dpg-nl-2019", "articles.jsonl")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    out = tmp_path / "dpg.json"
    command = [
        str(Path(sys.executable).with_name("newsrag")), "eval", str(questions), "--corpus", str(articles),
        "--llm", "local", "--json", str(out), "--report", str(artifacts / "dpg-nl-qa-eval.md"),
        "--fail-under", *BARS,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    print(done.stdout)  # the metrics table, for the log
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-3000:]}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["metrics"]["n"] == 80
    answerable_types = [t for t, m in data["by_type"].items() if m.get("answer_accuracy") is not None]
    assert len(answerable_types) >= 4
    for name in answerable_types:
        assert data["by_type"][name]["answer_accuracy"] >= PER_TYPE_ACCURACY, (name, data["by_type"][name])
