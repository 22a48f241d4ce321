"""`feedback.jsonl` (`ui.feedback`): one record per line whatever the text holds, every field bounded, the
file rotated past NEWSRAG_FEEDBACK_MAX_MB."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from ui.feedback import FeedbackLog
from ui.server import create_app
from ui.settings import Settings

BREAKS = "one\u2028two\u0085three\u2029four\r\nfive\x1csix"  # line breaks to str.splitlines()


def test_a_record_with_unicode_line_separators_reads_back(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.append("up", f"q {BREAKS}?", f"a {BREAKS}.", article_ids=[f"id{BREAKS}"], comment=BREAKS)
    log.append("down", "second", "answer")
    records = log.read()
    assert [r["rating"] for r in records] == ["up", "down"]
    assert records[0]["question"] == f"q {BREAKS}?" and records[0]["comment"] == BREAKS
    assert records[0]["article_ids"] == [f"id{BREAKS}"]
    # and any other reader of the file sees two lines, two records
    lines = (tmp_path / "feedback.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["answer"] for line in lines] == [f"a {BREAKS}.", "answer"]


def test_every_field_is_bounded(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    huge = "x" * 50_000
    log.append("down", huge, huge, article_ids=["y" * 1_000] * 500, comment=huge, via=huge, refused=True)
    (record,) = log.read()
    assert len((tmp_path / "feedback.jsonl").read_bytes()) < 30_000
    assert len(record["article_ids"]) == 50 and all(len(i) == 200 for i in record["article_ids"])
    assert len(record["question"]) <= 4_000 and len(record["answer"]) <= 8_000 and len(record["via"]) <= 200
    assert record["refused"] is True


def test_the_file_is_rotated_past_its_size(tmp_path):
    path = tmp_path / "feedback.jsonl"
    log = FeedbackLog(path, max_bytes=2_000)
    for i in range(60):
        log.append("up", f"question {i}", "answer " * 20)
    assert path.stat().st_size <= 2_000
    assert path.with_name("feedback.jsonl.1").stat().st_size <= 2_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback.jsonl", "feedback.jsonl.1"]
    questions = [r["question"] for r in log.read()]
    assert questions[-1] == "question 59"
    assert questions == sorted(questions, key=lambda q: int(q.split()[1]))  # oldest first, none repeated


def test_the_server_bounds_feedback_by_its_settings(tmp_path):
    settings = Settings(home=tmp_path / "home", rate_limit="off", feedback_max_mb=0.002)  # about 2 KB
    client = TestClient(create_app(settings, object(), ui=False))  # type: ignore[arg-type]
    too_long_id = {"rating": "up", "question": "q", "answer": "a", "article_ids": ["x" * 201]}
    assert client.post("/api/feedback", json=too_long_id).status_code == 422
    for i in range(40):
        body = {"rating": "up", "question": f"q{i}", "answer": "a" * 200, "article_ids": ["moscow"] * 5}
        assert client.post("/api/feedback", json=body).status_code == 204
    home = tmp_path / "home"
    assert (home / "feedback.jsonl").stat().st_size <= 0.002 * 1024 * 1024
    assert (home / "feedback.jsonl.1").exists()
