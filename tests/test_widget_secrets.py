"""The widget is served to any site's visitors: none of its pages and assets carries a secret (the OpenAI
API key) or the server's data directory path, whatever the settings."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ui.server import create_app
from ui.settings import Settings

from .conftest import make_assistant

SENTINEL = "sk-newsrag-SENTINEL-7f3a9c"
PAGES = [
    "/widget",
    "/widget.js",
    "/widget/demo",
    "/widget/assets/widget-app.js",
    "/widget/assets/offsets.js",
    "/widget/assets/widget.css",
]


def test_widget_pages_carry_no_secrets(monkeypatch, fake_ingest, fake_embeddings, tmp_path):
    home = tmp_path / "secret-home-d41d8c"
    monkeypatch.setenv("NEWSRAG_OPENAI_API_KEY", SENTINEL)
    monkeypatch.setenv("NEWSRAG_OPENAI_BASE_URL", "http://10.9.8.7:4321/v1")
    monkeypatch.setenv("NEWSRAG_HOME", str(home))
    settings = Settings()
    assert settings.openai_api_key == SENTINEL  # the server really has the secret
    store = fake_ingest([])[1]
    bot = make_assistant(store=store, embeddings=fake_embeddings, llm=None)
    client = TestClient(create_app(settings, bot, ui=False))
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        for secret in (SENTINEL, "10.9.8.7", str(home), str(tmp_path)):
            assert secret not in text, f"{path} leaks {secret!r}"
