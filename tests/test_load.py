"""Load: 20 concurrent clients against the real `newsrag serve` with the real local model, for 2 minutes.

Half the clients use `POST /api/ask` (JSON), half `POST /api/ask/stream` (SSE); questions vary between ones
the corpus answers (the model writes) and ones it does not (refused from retrieval, no model). A client that
gets 429 checks Retry-After and tries again after a short pause (capped, to keep the pressure on). Clients
stop starting requests after LOAD_S; requests still unfinished at HARD_S are cut off by the client, and
there can be at most as many as the server's line holds (1 running + NEWSRAG_MAX_PENDING waiting).

Asserted: no 5xx, every 200 complete, every 429 with Retry-After, server memory (VmRSS) stable. The figures
are printed and written to test-artifacts/load.json.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import pytest

from rag.evaluation.metrics import percentile
from ui.schemas import AnswerOut

from .conftest import ROOT
from .test_api import sse_events

pytestmark = pytest.mark.slow

CLIENTS = 20
LOAD_S = 120.0  # clients start requests for this long
HARD_S = 180.0  # and give up on unfinished ones at this point
MAX_PENDING = 2
RETRY_PAUSE_S = 2.0  # a client honours Retry-After up to this long
QUESTIONS = [
    "who mediated in Moscow?",
    "Wie bemiddelde bij de besprekingen in Moskou?",
    "How long did the talks in Moscow last?",
    "Who invited Armenia and Azerbaijan to Moscow?",
    "Welke landen vormen de Minsk-groep?",
    "How many civilians were killed according to Azerbaijan?",
    "Who won the Eurovision Song Contest in 2019?",
    "Wat kost een treinkaartje van Utrecht naar Amsterdam?",
    "What is the boiling point of water on Mount Everest?",
    "Wie werd in 2018 wereldkampioen voetbal?",
]


@dataclass
class Outcome:
    kind: str  # "json" | "sse"
    status: int | None
    seconds: float
    problem: str | None = None  # set for anything that is not a complete answer or a proper 429
    refused: bool | None = None
    cut_off: bool = False


def complete(answer: dict) -> str | None:
    """None if `answer` is a whole answer (the JSON of /api/ask), else what is wrong with it."""
    if set(answer) != set(AnswerOut.model_fields):
        return f"fields {sorted(answer)}"
    if not isinstance(answer["answer"], str) or not answer["answer"].strip():
        return "empty answer text"
    if not answer["refused"] and not answer["citations"]:
        return "an answer without citations"
    return None


def one_request(client: httpx.Client, kind: str, question: str, hard_end: float) -> Outcome:
    started = time.monotonic()
    timeout = httpx.Timeout(connect=10, write=10, pool=10, read=max(1.0, hard_end - started))
    path = "/api/ask" if kind == "json" else "/api/ask/stream"

    def done(status: int | None, **kw) -> Outcome:
        return Outcome(kind, status, time.monotonic() - started, **kw)

    try:
        with client.stream("POST", path, json={"question": question}, timeout=timeout) as response:
            chunks = []
            for chunk in response.iter_text():
                chunks.append(chunk)
                if time.monotonic() > hard_end:
                    return done(response.status_code, cut_off=True)
            body = "".join(chunks)
    except httpx.TimeoutException:
        if time.monotonic() >= hard_end - 1:
            return done(None, cut_off=True)
        return done(None, problem=f"timed out after {time.monotonic() - started:.0f} s")
    except httpx.HTTPError as e:
        return done(None, problem=f"{type(e).__name__}: {e}")
    status = response.status_code
    if status == 429:
        retry = response.headers.get("retry-after", "")
        if not retry.isdigit() or int(retry) < 1 or json.loads(body).get("reason") != "busy":
            return done(status, problem=f"429 without a proper Retry-After/reason: {retry!r} {body[:200]}")
        return done(status)
    if status != 200:
        return done(status, problem=body[:300])
    if kind == "json":
        answer = json.loads(body)
    else:
        events = sse_events(body)
        names = [name for name, _ in events]
        if names.count("answer") != 1 or names[-1] != "answer" or "error" in names:
            return done(status, problem=f"stream events {names[-5:]}")
        answer = events[-1][1]
    return done(status, problem=complete(answer), refused=answer.get("refused"))


def client_loop(index: int, url: str, outcomes: list[Outcome], load_end: float, hard_end: float) -> None:
    kind = "sse" if index % 2 else "json"
    n = index
    with httpx.Client(base_url=url) as client:
        while time.monotonic() < load_end:
            outcome = one_request(client, kind, QUESTIONS[n % len(QUESTIONS)], hard_end)
            outcomes.append(outcome)
            n += 1
            if outcome.status == 429:
                time.sleep(RETRY_PAUSE_S * (0.5 + (index % 5) / 10))


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def rounded_percentile(values: list[float], q: float, digits: int) -> float | None:
    """newsrag's percentile (`rag.evaluation.metrics`), rounded; None (null in load.json) without values."""
    value = percentile(values, q)
    return None if value is None else round(value, digits)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    from .servers import ingested_home

    return ingested_home(tmp_path_factory.mktemp("load"))


def test_twenty_concurrent_clients_for_two_minutes(home):
    from .servers import newsrag_process

    env = {"NEWSRAG_RATE_LIMIT": "1000000/minute", "NEWSRAG_MAX_PENDING": str(MAX_PENDING)}
    with newsrag_process(home, llm="local", **env) as (url, proc):
        samples: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                if (mb := rss_mb(proc.pid)) is not None:
                    samples.append((time.monotonic(), mb))
                stop.wait(1.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        outcomes: list[Outcome] = []
        started = time.monotonic()
        load_end, hard_end = started + LOAD_S, started + HARD_S
        clients = [
            threading.Thread(target=client_loop, args=(i, url, outcomes, load_end, hard_end), daemon=True)
            for i in range(CLIENTS)
        ]
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=max(1.0, hard_end + 15 - time.monotonic()))
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join(5)
        assert not [c for c in clients if c.is_alive()], "a client did not stop by the hard cap"
        alive = httpx.get(f"{url}/healthz", timeout=60)
        assert proc.poll() is None and alive.status_code == 200

    served = [o for o in outcomes if o.status == 200 and not o.problem]
    busy = [o for o in outcomes if o.status == 429 and not o.problem]
    problems = [o for o in outcomes if o.problem]
    cut_off = [o for o in outcomes if o.cut_off]
    latencies = [o.seconds for o in served]
    mbs = [mb for _, mb in samples]
    third = max(1, len(mbs) // 3)
    figures = {
        "clients": CLIENTS,
        "load_s": LOAD_S,
        "elapsed_s": round(elapsed, 1),
        "max_pending": MAX_PENDING,
        "requests": len(outcomes),
        "served": len(served),
        "served_json": sum(o.kind == "json" for o in served),
        "served_sse": sum(o.kind == "sse" for o in served),
        "answered_by_model": sum(o.refused is False for o in served),
        "refused": sum(bool(o.refused) for o in served),
        "busy_429": len(busy),
        "errors": len(problems),
        "cut_off_at_hard_cap": len(cut_off),
        "http_5xx": sum((o.status or 0) >= 500 for o in outcomes),
        "p50_s": rounded_percentile(latencies, 50, 2),
        "p95_s": rounded_percentile(latencies, 95, 2),
        "p50_model_answer_s": rounded_percentile([o.seconds for o in served if o.refused is False], 50, 2),
        "p50_429_s": rounded_percentile([o.seconds for o in busy], 50, 3),
        "rss_first_third_max_mb": round(max(mbs[:third]), 1),
        "rss_last_third_max_mb": round(max(mbs[-third:]), 1),
        "rss_peak_mb": round(max(mbs), 1),
        "rss_samples": len(mbs),
    }
    print("\nload test:", json.dumps(figures, indent=1))
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "load.json").write_text(json.dumps(figures, indent=1))
    detail = [asdict(o) for o in problems[:10]]

    assert figures["http_5xx"] == 0, detail
    assert not problems, detail
    assert len(cut_off) <= 1 + MAX_PENDING, "more requests hung than the server's line can hold"
    assert figures["answered_by_model"] >= 1 and figures["served_json"] >= 1 and figures["served_sse"] >= 1
    assert elapsed < HARD_S + 20
    assert len(mbs) >= 10
    assert figures["rss_last_third_max_mb"] <= 1.5 * figures["rss_first_third_max_mb"] + 200, figures
