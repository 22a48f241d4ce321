"""Which backend `NEWSRAG_EMBED_BACKEND=auto` runs the built-in embedding model on, measured on this machine.

`newsrag prepare` times the int8 ONNX encoder against torch float32 on a fixed batch of news-like passages
(32 of about 90 tokens: a warm-up pass, then the best of three timed passes, on the configured thread count)
and records both figures, the CPU's flags and the faster backend in `encoder-choice.json` in the model's
folder. `auto` follows that record while its key still matches: the model (name, build, ONNX files), the CPU
model string, the thread count and the runtimes' versions; a stale or missing record falls back to the
static rule (onnx-int8 for the built-in model) until the next `prepare` measures again. onnx-int8 is chosen
only if it measured faster, so `auto` is never slower than float32 by the record's own measure.

Deliberately not handled: other models (only the built-in one has an int8 export, so they always run on
torch), noticing a machine that was busy while it was measured (`newsrag prepare --recalibrate` measures
again), and batch sizes or passage lengths other than the fixed sample's.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from index.cpu import cpu_flags, cpu_model
from index.models import E5_DEFAULT, E5_PROMPTS, MARKER

log = logging.getLogger(__name__)

RECORD = "encoder-choice.json"
EncoderBackend = Literal["onnx-int8", "torch"]  # how the embedding model can run
EmbedBackend = Literal["auto", EncoderBackend]  # the setting: one of those, or auto (chosen here)
CANDIDATES: tuple[EncoderBackend, ...] = get_args(EncoderBackend)
RUNS = 3  # timed passes after the warm-up; the best one counts (the least disturbed by anything else)

# News sentences in the corpus' two languages, about 27 tokens each; a passage is three or four of them.
_SENTENCES = (
    "Het kabinet heeft dinsdag besloten dat de huurverhoging in 2020 beperkt blijft tot de inflatie plus één procent.",
    "The central bank left its deposit rate unchanged on Thursday and said inflation would stay below target next year.",
    "De gemeenteraad van Rotterdam stemde na een lang debat in met de bouw van 3000 nieuwe woningen in Feijenoord.",
    "Police arrested two men after a van crashed into the barriers outside parliament during the morning rush hour.",
    "Volgens het KNMI was het de warmste septembermaand sinds het begin van de metingen in De Bilt in 1901.",
    "Ajax won the away match 3-1 after a second-half comeback, with two goals from the substitute striker.",
    "De vakbonden dreigen met acties in het openbaar vervoer als er voor het eind van de maand geen nieuwe cao is.",
    "The minister of foreign affairs travelled to Moscow to mediate in the talks about the release of the prisoners.",
    "Bij de brand in een loods in Tilburg raakte niemand gewond, maar de schade loopt volgens de eigenaar in de miljoenen.",
    "Shares of the chip maker fell eight percent after it warned that orders from China had dropped sharply.",
    "Het Openbaar Ministerie eist vier jaar cel tegen de oud-wethouder die steekpenningen zou hebben aangenomen.",
    "Farmers blocked several motorways with their tractors to protest against the new nitrogen rules.",
)


def sample_passages(count: int = 32) -> list[str]:
    """The fixed calibration batch: `count` passages of three or four consecutive sentences (about 90 tokens)."""
    n = len(_SENTENCES)
    return [" ".join(_SENTENCES[(i + j) % n] for j in range(3 + i % 2)) for i in range(count)]


@dataclass(frozen=True)
class Calibration:
    """One measurement: passages/s per backend on `key`'s machine, and the backend `auto` takes from it."""

    key: dict[str, Any]
    rates: dict[str, float]
    chosen: str
    cpu: dict[str, Any]
    measured_at: str
    passages: int
    batch_size: int

    def summary(self) -> str:
        """One line with the two figures and the choice (printed by `newsrag prepare`)."""
        return (
            f"encoder calibration ({self.key['threads']} threads, {self.passages} passages): "
            f"onnx-int8 {self.rates['onnx-int8']:.1f} passages/s, torch float32 {self.rates['torch']:.1f} "
            f"passages/s -> auto uses {self.chosen}"
        )


def record_path(cache_dir: Path, model: str) -> Path:
    """Where the record of `model` lives: in its built folder in the model cache, beside its ONNX export."""
    return Path(cache_dir) / model / RECORD


def _threads(threads: int | None) -> int:
    return threads or os.cpu_count() or 1  # None: the runtimes' default, one thread per core


@cache  # installed versions do not change while a process runs
def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_key(cache_dir: Path, model: str, threads: int | None) -> dict[str, Any]:
    """What a record is valid for; any difference makes it stale. Cheap: reads small files, loads nothing."""
    folder = Path(cache_dir) / model
    marker = folder / MARKER
    onnx = sorted((p.name, p.stat().st_size) for p in (folder / "onnx").glob("*.onnx"))
    return {
        "model": model,
        "build": marker.read_text().strip() if marker.is_file() else None,
        "onnx_files": [list(entry) for entry in onnx],
        "cpu_model": cpu_model(),
        "threads": _threads(threads),
        "onnxruntime": _version("onnxruntime"),
        "torch": _version("torch"),
    }


def read_record(cache_dir: Path, model: str, threads: int | None) -> Calibration | None:
    """The record for `model` on this machine and thread count; None when there is none or it is stale."""
    path = record_path(cache_dir, model)
    if not path.is_file():
        return None
    try:
        record = Calibration(**json.loads(path.read_text()))
        if set(record.rates) != set(CANDIDATES) or record.chosen not in CANDIDATES:
            raise ValueError(f"expected rates for {CANDIDATES}, found {sorted(record.rates)} -> {record.chosen!r}")
    except (OSError, TypeError, ValueError) as e:
        log.warning("Ignoring unreadable encoder calibration %s (%s); `newsrag prepare` measures again", path, e)
        return None
    current = machine_key(cache_dir, model, threads)
    if record.key != current:
        changed = sorted(k for k in current.keys() | record.key.keys() if record.key.get(k) != current.get(k))
        log.info("Ignoring stale encoder calibration %s (changed: %s)", path, ", ".join(changed))
        return None
    return record


def write_record(cache_dir: Path, model: str, record: Calibration) -> Path:
    """Write the record atomically (a killed write leaves the old one or none, never half a file)."""
    path = record_path(cache_dir, model)
    tmp = path.with_name(f".{RECORD}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def choose(rates: Mapping[str, float]) -> str:
    """onnx-int8 only if it measured faster than torch float32 (a tie keeps float32, the exact vectors)."""
    return "onnx-int8" if rates["onnx-int8"] > rates["torch"] else "torch"


def passages_per_second(model: Any, passages: list[str], batch_size: int, runs: int = RUNS) -> float:
    """Best of `runs` timed `encode` passes over `passages`, after one untimed warm-up pass."""

    def encode() -> None:
        model.encode(
            passages,
            prompt=E5_PROMPTS["document"],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    encode()  # first calls allocate and pick kernels
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        encode()
        best = min(best, time.perf_counter() - started)
    return len(passages) / best


def _real_loaders(folder: Path, threads: int) -> dict[str, Callable[[], Any]]:
    def int8() -> Any:
        from index.onnx_encoder import load_int8

        return load_int8(folder, threads=threads)

    def fp32() -> Any:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # as load_embeddings does
        return SentenceTransformer(str(folder), device="cpu", local_files_only=True)

    return {"onnx-int8": int8, "torch": fp32}


def calibrate(
    cache_dir: Path,
    model: str = E5_DEFAULT,
    *,
    threads: int | None = None,
    batch_size: int = 16,
    loaders: Mapping[str, Callable[[], Any]] | None = None,
    measure: Callable[[Any, list[str], int], float] = passages_per_second,
) -> Calibration:
    """Time both backends of the built (and int8-exported) `model` on this machine, record and return the result.

    `loaders` (backend -> function returning an object with `encode`) and `measure` are for tests."""
    if model != E5_DEFAULT:
        raise ValueError(f"Only {E5_DEFAULT} has an int8 backend to calibrate, not {model!r}")
    n_threads = _threads(threads)
    if loaders is None:
        import torch

        torch.set_num_threads(n_threads)  # as load_embeddings does: the thread count the record is keyed on
        loaders = _real_loaders(Path(cache_dir) / model, n_threads)
    passages = sample_passages()
    rates: dict[str, float] = {}
    for backend in CANDIDATES:
        encoder = loaders[backend]()
        rates[backend] = round(measure(encoder, passages, batch_size), 2)
        del encoder
        gc.collect()  # one model in memory at a time
    record = Calibration(
        key=machine_key(cache_dir, model, threads),
        rates=rates,
        chosen=choose(rates),
        cpu=cpu_flags(),
        measured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        passages=len(passages),
        batch_size=batch_size,
    )
    path = write_record(cache_dir, model, record)
    log.info("%s (recorded in %s)", record.summary(), path)
    return record


def ensure_calibrated(
    cache_dir: Path,
    model: str = E5_DEFAULT,
    *,
    threads: int | None = None,
    batch_size: int = 16,
    force: bool = False,
) -> tuple[Calibration, bool]:
    """The current record, measuring first if there is none, it is stale, or `force`; (record, measured now)."""
    record = None if force else read_record(cache_dir, model, threads)
    if record is not None:
        return record, False
    return calibrate(cache_dir, model, threads=threads, batch_size=batch_size), True
