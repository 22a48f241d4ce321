"""Real processes for the slow and e2e tests: `newsrag ingest` and `newsrag serve` on a free 127.0.0.1 port,
a Chroma server (`chroma run`), and a tiny static host page server (another origin) for the widget."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .conftest import CORPUS, free_port

NEWSRAG = str(Path(sys.executable).with_name("newsrag"))


def newsrag_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a newsrag process on `home`: this one's without its NEWSRAG_* settings, plus
    NEWSRAG_HOME, NEWSRAG_CORPUS and the `extra` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    return {**env, "NEWSRAG_HOME": str(home), "NEWSRAG_CORPUS": str(CORPUS), **extra}


def ingest(home: Path, *paths: Path, **env: str) -> None:
    """`newsrag ingest corpus/ [paths...]` into `home`, as a user runs it; `env`: extra NEWSRAG_* settings."""
    result = subprocess.run(
        [NEWSRAG, "ingest", str(CORPUS), *map(str, paths)],
        env=newsrag_env(home, **env),
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def ingested_home(root: Path, *paths: Path, **env: str) -> Path:
    """A fresh `root/home` with corpus/ (and `paths`) ingested by `ingest`: the store the slow tests serve."""
    home = root / "home"
    home.mkdir()
    ingest(home, *paths, **env)
    return home


@contextmanager
def newsrag_server(home: Path, *, llm: str, startup_s: float = 240, **env: str) -> Iterator[str]:
    """`newsrag serve` as a subprocess; yields its base URL once /healthz answers. Logs to home/../serve-*.log."""
    with newsrag_process(home, llm=llm, startup_s=startup_s, **env) as (url, _):
        yield url


@contextmanager
def newsrag_process(
    home: Path, *, llm: str, startup_s: float = 240, **env: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`newsrag_server`, yielding (base URL, the process) for tests that watch the process itself."""
    port = free_port()
    log_path = home.parent / f"serve-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [NEWSRAG, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=newsrag_env(home, NEWSRAG_LLM=llm, **env),
            cwd=home.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"newsrag serve did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def chroma_server(path: Path, startup_s: float = 60) -> Iterator[str]:
    """A real Chroma server (`chroma run`) storing in `path`, on a free 127.0.0.1 port; yields its URL."""
    exe = Path(sys.executable).with_name("chroma")
    port = free_port()
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"chroma server did not start on {url}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def static_site(directory: Path, port: int | None = None) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 from a thread (a host page on another origin)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port or free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass
