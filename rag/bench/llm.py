"""The local LLM phase of `newsrag bench`: five fixed questions about the shipped sample article.

Each question goes through the answering path up to the model: `rag.retrieval.retrieve` on the bench store
(the benchmark corpus plus the sample corpus it is given, the shipped corpus/, so the answer is there among
realistic distractors), the passages focused on the question (`rag.focus`, timed as `focus_s`), the prompt
of `rag.prompts` (fixed system prompt + sources + question), and the real chat model of
`BenchSetup.chat_model` (the configured local model) streamed as `Assistant` streams it. Refusal and citation checks are skipped: they
decide what is shown, not how fast the model is.

Before the five, a warm-up evaluates the fixed part of every prompt (system prompt and the start of the user
message), as an earlier question in a running server would have; its time is `prefix_warmup_s`. Before
each question the KV cache is cut back to that fixed prefix, so a question never profits from the previous
one's passages (the five are about one article and often retrieve the same ones): each TTFT is that of a
question on a new subject, with only the fixed prefix reused.

Token figures come from llama.cpp's own counters (`llama_perf_context` on `Llama.ctx`), reset per question:
`ttft_s` and `total_s` run from the question (retrieval and focusing included; `model_ttft_s` is the model's
part); prompt tokens/s = prompt tokens evaluated / prompt evaluation time; generated tokens/s = tokens decoded
after the first / (total - time to first token), i.e. what a reader watching the stream sees. The tokens in
the KV cache are llama-cpp-python's `Llama.eval_tokens`; cutting the cache back sets `Llama.n_tokens`, as
llama-cpp-python's own prefix reuse does.

Before the model loads, the phase measures the memory read bandwidth from the model's threads
(`rag.bench.bandwidth`): `gen_tokens_per_s_bound` is that bandwidth over the model's bytes, and `gen_vs_bound`
how much of it generation reaches.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rag.bench.bandwidth import generation_bound, read_bandwidth
from rag.bench.setup import BenchSetup
from rag.bench.stats import median_of, rate
from rag.focus import focused_sources
from rag.language import detect_language
from rag.prompts import answer_messages
from rag.retrieval import retrieve

LAVROV = "who mediated in Moscow?"
QUESTIONS = (
    LAVROV,
    "Which countries' foreign ministers negotiated in Moscow, and who were they?",
    "How long did the delegations of Armenia and Azerbaijan talk in Moscow?",
    "How many Azerbaijani civilians were killed since 27 September, according to Azerbaijan?",
    "Wie had Armenië en Azerbeidzjan uitgenodigd voor vredesbesprekingen?",
)
WARM_UP = "Which countries lead the Minsk group of the OSCE?"


def llm(
    setup: BenchSetup,
    store_home: Path,
    extra_corpus: Path | None,
    n_questions: int,
    max_tokens: int,
    progress: bool,
) -> dict[str, Any]:
    """The questions on the store in `store_home`, after ingesting `extra_corpus` into it (when given)."""
    from tqdm import tqdm

    from index.ingest import ingest_paths
    from rag.scoring import embedding_scorer

    bandwidth = read_bandwidth(setup.threads)  # before the model is loaded: nothing else reads memory
    began = time.perf_counter()
    embeddings = setup.embedder()
    store = setup.store(store_home, embeddings)
    if extra_corpus is not None:  # idempotent: nothing to do when it is the benchmark corpus itself
        ingest_paths(
            [extra_corpus],
            store,
            store_home,
            embeddings,
            max_bytes=setup.max_bytes,
            max_tokens=setup.chunk_max_tokens,
            progress=False,
        )
    started = time.perf_counter()
    model = setup.chat_model(max_tokens)
    load_s = time.perf_counter() - started
    startup_s = time.perf_counter() - began

    llama = model.client.llama  # rag.llms.SharedLlama -> llama_cpp.Llama
    warm = generate(model, answer_messages(WARM_UP, [], "en"), max_tokens=1)
    warm_ids = list(llama.eval_tokens)  # the tokens now in the KV cache
    fixed: int | None = None
    score = embedding_scorer(embeddings)
    rows = []
    for question in tqdm(QUESTIONS[:n_questions], desc="llm", unit="question", disable=not progress):
        if fixed is not None:
            llama.n_tokens = min(llama.n_tokens, fixed)  # keep only the fixed prefix in the KV cache
        rows.append(ask(model, store, score, setup, question))
        ids = list(llama.eval_tokens)
        fixed = next(
            (i for i, (a, b) in enumerate(zip(warm_ids, ids, strict=False)) if a != b), min(len(warm_ids), len(ids))
        )
    lavrov = next((r for r in rows if r["question"] == LAVROV), None)
    bound = generation_bound(bandwidth, model_bytes(llama))
    gen = median_of(rows, "gen_tokens_per_s")
    return {
        **bound,
        "gen_vs_bound": gen / bound["gen_tokens_per_s_bound"] if bound["gen_tokens_per_s_bound"] else None,
        "prompt_tokens_per_s": median_of(rows, "prompt_tokens_per_s"),
        "gen_tokens_per_s": gen,
        "ttft_s": median_of(rows, "ttft_s"),
        "total_s": median_of(rows, "total_s"),
        "model_ttft_s": median_of(rows, "model_ttft_s"),
        "focus_s": median_of(rows, "focus_s"),
        "prompt_tokens": median_of(rows, "prompt_tokens"),
        "prompt_tokens_evaluated": median_of(rows, "prompt_tokens_evaluated"),
        "lavrov_ttft_s": lavrov["ttft_s"] if lavrov else None,
        "prefix_warmup_s": warm["ttft_s"],
        "fixed_prefix_tokens": fixed,
        "load_s": load_s,
        "startup_s": startup_s,
        "questions": rows,
        "settings": {
            "threads": setup.threads,
            "n_ctx": setup.llm_ctx,
            "max_tokens": max_tokens,
            "retrieve_k": setup.retrieve_k,
            "context_chars": setup.context_chars,
        },
    }


def ask(model: Any, store: Any, score: Any, setup: BenchSetup, question: str) -> dict[str, Any]:
    """Retrieve, build the real prompt (as `Assistant` does), stream the answer, time it."""
    started = time.perf_counter()
    found = retrieve(store, question, k=setup.retrieve_k)
    retrieve_s = time.perf_counter() - started
    started = time.perf_counter()
    sources = focused_sources(question, found.hits, score, setup.context_chars, setup.focus_margin)
    focus_s = time.perf_counter() - started
    messages = answer_messages(question, sources, detect_language(question))
    got = generate(model, messages)
    before = retrieve_s + focus_s  # what the user waits for before the model starts
    return {
        **got,
        "question": question,
        "passages": len(sources),
        "passage_chars": sum(len(s.hit.text) for s in sources),
        "prompt_source_chars": sum(len(s.text) for s in sources),
        "retrieve_s": retrieve_s,
        "focus_s": focus_s,
        "model_ttft_s": got["ttft_s"],
        "ttft_s": before + got["ttft_s"],
        "total_s": before + got["total_s"],
    }


def generate(model: Any, messages: list[Any], max_tokens: int | None = None) -> dict[str, Any]:
    """Stream one answer; time it and read llama.cpp's counters (reset first)."""
    import llama_cpp

    llama = model.client.llama
    ctx = llama.ctx  # the llama.cpp context, for its performance counters
    llama_cpp.llama_perf_context_reset(ctx)
    parts: list[str] = []
    ttft = None
    extra = {"max_tokens": max_tokens} if max_tokens else {}
    started = time.perf_counter()
    for chunk in model.stream(messages, **extra):
        if isinstance(chunk.content, str) and chunk.content:
            ttft = ttft if ttft is not None else time.perf_counter() - started
            parts.append(chunk.content)
    total = time.perf_counter() - started
    perf = llama_cpp.llama_perf_context(ctx)
    ttft = ttft if ttft is not None else total
    return {
        "answer": "".join(parts).strip()[:300],
        # after a generation the context holds the whole prompt plus every decoded token
        "prompt_tokens": llama.n_tokens - perf.n_eval,
        "prompt_tokens_evaluated": perf.n_p_eval,
        "gen_tokens": perf.n_eval,
        "prompt_tokens_per_s": rate(perf.n_p_eval, perf.t_p_eval_ms / 1000.0),
        "gen_tokens_per_s": rate(perf.n_eval, total - ttft),
        "ttft_s": ttft,
        "total_s": total,
    }


def model_bytes(llama: Any) -> int:
    """The bytes of the model's weights, all read once per generated token (llama.cpp's `llama_model_size`)."""
    import llama_cpp

    return int(llama_cpp.llama_model_size(llama.model))
