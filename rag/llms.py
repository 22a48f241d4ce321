"""LLM backends behind one factory: every backend is a LangChain chat model (`BaseChatModel`).

- `local`: llama.cpp in this process (llama-cpp-python) through langchain-community's `ChatLlamaCpp`,
  prompting with the GGUF's own chat template. The loaded model is shared per process and generations
  are serialized by a lock (see `SharedLlama`).
- `openai`: any OpenAI-compatible server (`ChatOpenAI`), or api.openai.com when only a key is given.
- `ollama`: an Ollama server (`ChatOllama`).

The two server backends wait at most `llm_timeout_s` for a connection, a response or the next streamed chunk,
so a hung server fails the answer instead of holding the line for the model forever.

Not handled here: the `extractive` backend (answers without an LLM, so it never asks for a chat model),
prompts, retrieval and citations.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from index.errors import ModelError
from rag.local_llm import ensure_gguf

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from llama_cpp import Llama

log = logging.getLogger(__name__)

# The backend names, light to import (stdlib only, as is this whole module at import time): Settings.llm and
# the --llm options derive from them.
ChatBackend = Literal["local", "openai", "ollama"]
Extractive = Literal["extractive"]  # answers without an LLM (rag.extractive), so it has no chat model
Backend = Literal[ChatBackend, Extractive]
CHAT_BACKENDS: tuple[ChatBackend, ...] = get_args(ChatBackend)
BACKENDS: tuple[Backend, ...] = get_args(Backend)  # the one list
EXTRACTIVE: Extractive = get_args(Extractive)[0]

# Prompt tokens per llama.cpp decode call. ChatLlamaCpp's own default (8) makes prompt processing
# several times slower on CPU; 512 is llama.cpp's default.
N_BATCH = 512


@dataclass(frozen=True)
class ChatConfig:
    """What a chat model is built from, for every backend (each reads its own fields). Each field is the
    setting of its name (NEWSRAG_<NAME>), which the edge (`ui.wiring.chat_config`) copies in; the settings'
    defaults are the only ones, so this record has none."""

    llm_model_path: Path | None  # local: a GGUF file; None: the default model, assembled in model_cache
    model_cache: Path
    threads: int
    llm_ctx: int
    llm_max_tokens: int
    llm_temperature: float
    openai_base_url: str | None
    openai_api_key: str | None
    openai_model: str
    ollama_url: str
    ollama_model: str
    llm_timeout_s: float  # openai and ollama: for the connection, a response, each streamed chunk


def make_chat_model(backend: str, config: ChatConfig) -> BaseChatModel:
    """Return the chat model of `backend`; ValueError for an unknown name, ModelError if it cannot be set up.

    Example: `make_chat_model("openai", replace(config, openai_base_url="http://127.0.0.1:8080/v1"))`.
    """
    if backend == "local":
        path = _local_model_path(config.llm_model_path, config.model_cache)
        return _local_chat_model_class()(
            model_path=str(path),
            n_ctx=config.llm_ctx,
            n_threads=config.threads,
            n_batch=N_BATCH,
            max_tokens=config.llm_max_tokens,
            temperature=config.llm_temperature,
            # llama.cpp's own default; ChatLlamaCpp's 1.1 penalizes copying names, numbers and
            # citation markers from the passages, which is exactly what a RAG answer must do.
            repeat_penalty=1.0,
            verbose=False,
        )
    if backend == "openai":
        return _openai_chat_model(config)
    if backend == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            base_url=config.ollama_url,
            model=config.ollama_model,
            temperature=config.llm_temperature,
            num_predict=config.llm_max_tokens,
            client_kwargs={"timeout": config.llm_timeout_s},  # for its httpx client; the default never gives up
        )
    raise ValueError(
        f"Unknown LLM backend {backend!r}; expected one of {', '.join(CHAT_BACKENDS)} "
        f"({EXTRACTIVE!r} answers without an LLM and has no chat model)."
    )


# --- local: llama.cpp


class SharedLlama:
    """One loaded llama.cpp model and the lock that serializes its use.

    A llama.cpp context holds one KV cache and one sampler, so two concurrent generations would corrupt
    each other. The lock is held for a whole generation; for a stream, from its first chunk until it
    is exhausted or closed. Duck-types the one `Llama` method ChatLlamaCpp calls.
    """

    def __init__(self, llama: Llama) -> None:
        self.llama = llama
        self.lock = threading.Lock()  # not an RLock: async streams resume on other executor threads

    def create_chat_completion(self, **kwargs: Any) -> Any:
        if kwargs.get("stream"):
            return self._stream(kwargs)
        with self.lock:
            return self.llama.create_chat_completion(**kwargs)

    def _stream(self, kwargs: dict[str, Any]) -> Iterator[Any]:
        with self.lock:
            yield from self.llama.create_chat_completion(**kwargs)


_load_lock = threading.Lock()
_loaded: tuple[tuple[Path, int, int], SharedLlama] | None = None


def load_llama(path: Path, *, n_ctx: int, threads: int) -> SharedLlama:
    """The process's llama.cpp model for (path, n_ctx, threads), loaded on first use.

    One model per process: asking for another key releases this module's reference to the previous
    model before loading the new one (chat models built on it keep theirs).
    """
    global _loaded
    key = (path.resolve(), n_ctx, threads)
    with _load_lock:
        if _loaded is not None and _loaded[0] == key:
            return _loaded[1]
        _loaded = None
        from llama_cpp import Llama

        log.info("Loading %s (n_ctx=%d, threads=%d)", path, n_ctx, threads)
        try:
            llama = Llama(
                str(path),
                n_ctx=n_ctx,
                n_batch=min(N_BATCH, n_ctx),
                n_threads=threads,
                n_threads_batch=threads,  # llama-cpp-python's default is every core
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as e:
            raise ModelError(
                f"Could not load {path} with llama.cpp (llama-cpp-python): {e}. "
                f"Expected a GGUF model file that this llama.cpp version supports."
            ) from e
        # No prompt-lookup decoding (llama-cpp-python's LlamaPromptLookupDecoding as `draft_model`): it needs
        # `logits_all` (1.2 GB of logits at n_ctx 2048, copied for every verified batch), and on dpg-nl-qa
        # (40 prompts, 10 draft tokens) it gave the same answers with generation after the first token 2.5x
        # slower (median 3.56 s against 1.44 s) and total time per question 1.3x the plain decoder's.
        # Prompt caching: Llama.generate keeps the KV cache of the longest token prefix shared with the
        # previous prompt, so a fixed system prompt is not re-evaluated for the next question. We do not
        # add a LlamaRAMCache: each save copies the logits buffer (up to n_batch x vocab floats, ~200 MB
        # here) after every answer, and it only pays off when different prompt prefixes alternate.
        shared = SharedLlama(llama)
        _loaded = (key, shared)
        return shared


def _local_model_path(model_path: Path | None, cache_dir: Path) -> Path:
    if model_path is None:
        return ensure_gguf(cache_dir)
    if not model_path.is_file():
        raise ModelError(
            f"Local model file {model_path} does not exist (NEWSRAG_LLM_MODEL_PATH). Expected a GGUF "
            f"file; unset it to use the default model from the cache."
        )
    return model_path


@functools.cache
def _local_chat_model_class() -> Callable[..., BaseChatModel]:
    """ChatLlamaCpp, except that it takes the shared model instead of loading its own.

    ChatLlamaCpp's validator builds a new `Llama` for every instance (a second 1-2 s load and another
    ~1.9 GB), and its client has no lock. Built lazily to keep langchain-community off the import path.
    """
    from langchain_community.chat_models.llamacpp import ChatLlamaCpp
    from langchain_core.language_models.chat_models import generate_from_stream
    from langchain_core.outputs import ChatResult
    from pydantic import model_validator

    class LocalChatLlamaCpp(ChatLlamaCpp):
        @model_validator(mode="after")
        def validate_environment(self) -> LocalChatLlamaCpp:  # replaces ChatLlamaCpp's validator
            threads = self.n_threads or os.cpu_count() or 1
            self.client = load_llama(Path(self.model_path), n_ctx=self.n_ctx, threads=threads)
            return self

        def _generate(
            self, messages: Any, stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            # ChatLlamaCpp drops `stop` when it generates through its stream (the default).
            if self.streaming and not kwargs.get("tool_choice"):
                stream = self._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
                return generate_from_stream(stream)
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    return LocalChatLlamaCpp


# --- openai


def _openai_chat_model(config: ChatConfig) -> BaseChatModel:
    key = config.openai_api_key or os.environ.get("OPENAI_API_KEY")
    if config.openai_base_url is None and not key:
        raise ModelError(
            "The openai backend needs the base URL of an OpenAI-compatible server "
            "(NEWSRAG_OPENAI_BASE_URL) or an API key for api.openai.com (NEWSRAG_OPENAI_API_KEY or "
            "OPENAI_API_KEY); neither is set."
        )
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    common: dict[str, Any] = {
        "model": config.openai_model,
        "max_completion_tokens": config.llm_max_tokens,
        "temperature": config.llm_temperature,
        "timeout": config.llm_timeout_s,
    }
    if config.openai_base_url is None:
        return ChatOpenAI(api_key=SecretStr(key or ""), **common)
    return ChatOpenAI(
        base_url=config.openai_base_url,
        # Local servers ignore the key, but the client insists on one.
        api_key=SecretStr(config.openai_api_key or "not-needed"),
        # ChatOpenAI sends `max_completion_tokens`, which llama.cpp's and other compatible servers
        # ignore (generating until the context is full); repeat the limit under its older name.
        extra_body={"max_tokens": config.llm_max_tokens},
        **common,
    )
