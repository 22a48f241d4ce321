"""The int8 ONNX backend of the embedding model (index.onnx_encoder) against its float32 torch original.

Fast tests: which backend a setting resolves to. Slow tests: the real int8 encoder built from the real
model folder gives vectors within cosine 0.99 of torch's on the varied texts of test_models, ranks the
cross-lingual probe the same, and is built once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from index.embeddings import load_embeddings, resolve_backend, store_name
from index.errors import ModelError
from index.models import E5_DEFAULT
from ui.settings import Settings

from .test_models import TEXTS


def test_auto_is_int8_for_the_built_in_model_and_torch_for_others() -> None:
    assert resolve_backend(E5_DEFAULT, "auto") == "onnx-int8"
    assert resolve_backend("intfloat/multilingual-e5-base", "auto") == "torch"
    assert resolve_backend(E5_DEFAULT, "torch") == "torch"


def test_int8_for_another_model_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match=r"only for multilingual-e5-small.*NEWSRAG_EMBED_BACKEND=torch"):
        resolve_backend("/models/my-model", "onnx-int8")
    with pytest.raises(ModelError, match="Unknown embedding backend 'gpu'"):
        resolve_backend(E5_DEFAULT, "gpu")


def test_stores_built_by_the_two_backends_record_different_models() -> None:
    assert store_name(E5_DEFAULT, "onnx-int8") != store_name(E5_DEFAULT, "torch") == E5_DEFAULT


@pytest.fixture(scope="module")
def both():
    settings = Settings()
    int8 = load_embeddings(E5_DEFAULT, settings.model_cache, threads=settings.threads, backend="onnx-int8")
    fp32 = load_embeddings(E5_DEFAULT, settings.model_cache, threads=settings.threads, backend="torch")
    return int8, fp32


@pytest.mark.slow
def test_int8_vectors_stay_close_to_float32(both) -> None:
    int8, fp32 = both
    for kind in ("query", "document"):
        texts = [t for k, t in TEXTS if k == kind]
        a = np.asarray(int8.model.encode(texts, prompt_name=kind, normalize_embeddings=True))
        b = np.asarray(fp32.model.encode(texts, prompt_name=kind, normalize_embeddings=True))
        cosines = (a * b).sum(axis=1)
        print(kind, "min cosine", round(float(cosines.min()), 4), "mean", round(float(cosines.mean()), 4))
        assert cosines.min() >= 0.99, dict(zip(texts, cosines.round(4), strict=True))
    assert int8.dimension == fp32.dimension == 384
    assert int8.name == "multilingual-e5-small (onnx-int8)"


@pytest.mark.slow
def test_int8_ranks_passages_as_float32_does(both) -> None:
    passages = [t for k, t in TEXTS if k == "document" and len(t) > 20]
    for query in [t for k, t in TEXTS if k == "query" and t != "hello"]:  # "hello" matches nothing: ties
        ranks = [np.argsort(-np.asarray(e.embed_documents(passages)) @ np.asarray(e.embed_query(query)))[:3]
                 for e in both]  # fmt: skip
        assert ranks[0][0] == ranks[1][0], query


@pytest.mark.slow
def test_the_int8_file_is_built_once(both) -> None:
    from index.models import ensure_e5
    from index.onnx_encoder import INT8_FILE, ensure_int8

    folder = ensure_e5(Settings().model_cache)
    target = folder / INT8_FILE
    before = target.stat().st_mtime_ns
    stale = target.parent / ".int8-killed"  # what a build killed two hours ago leaves beside it
    stale.mkdir(exist_ok=True)
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert ensure_int8(folder) == target and target.stat().st_mtime_ns == before
    assert stale.exists()  # only a real build sweeps: reusing the file touches nothing
    stale.rmdir()


def test_a_failed_build_names_the_way_out(tmp_path: Path) -> None:
    from index.onnx_encoder import ensure_int8

    with pytest.raises(ModelError, match="NEWSRAG_EMBED_BACKEND=torch"):
        ensure_int8(tmp_path)  # no model in this folder
    assert not any(p.name.startswith(".int8-") for p in (tmp_path / "onnx").iterdir())
