"""What `newsrag bench` figures depend on besides the code: the CPU's vector extensions, the embedding backend
chosen (and why), and what llama.cpp was built to use. Figures from two machines compare only with these.

The CPU flags come from `index.cpu` (the encoder calibration is keyed on the same CPU).
Not handled here: cores, memory and load (`rag.bench.stats.machine`), or measuring anything.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from index.cpu import cpu_flags

log = logging.getLogger(__name__)


def encoder_choice(
    model: str, backend: str, cache_dir: Path | None = None, threads: int | None = None
) -> dict[str, Any]:
    """The embedding backend `backend` resolves to for `model`, and why: what a user set, the calibration that
    `newsrag prepare` recorded in `cache_dir` for this machine and `threads`, or `auto`'s rule without one."""
    from index.embeddings import resolve_backend
    from index.encoder_choice import read_record
    from index.models import E5_DEFAULT

    chosen = resolve_backend(model, backend, cache_dir=cache_dir, threads=threads)
    record = None
    if backend == "auto" and model == E5_DEFAULT and cache_dir is not None:
        record = read_record(cache_dir, model, threads)
    if backend != "auto":
        why = f"NEWSRAG_EMBED_BACKEND={backend}"
    elif record is not None:
        why = (
            f"auto: measured faster here by newsrag prepare ({record.measured_at[:10]}, {record.key['threads']} "
            f"threads): onnx-int8 {record.rates['onnx-int8']:.1f} vs torch float32 {record.rates['torch']:.1f} "
            "passages/s"
        )
    elif chosen == "onnx-int8":
        why = "auto: the int8 export exists only for the built-in model, and this is it (no calibration recorded)"
    else:
        why = "auto: a model other than the built-in one runs on torch float32"
    choice: dict[str, Any] = {"requested": backend, "chosen": chosen, "why": why}
    if record is not None:
        choice["calibration"] = {**record.rates, "threads": record.key["threads"], "measured_at": record.measured_at}
    return choice


def llama_system_info() -> str | None:
    """llama.cpp's `llama_print_system_info()` (the CPU features its build uses); None without llama-cpp."""
    try:
        import llama_cpp
    except ImportError:
        return None
    info = llama_cpp.llama_print_system_info()
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    return " ".join(text.replace("|", " ").split()).replace(" = ", "=").strip() or None


def describe(model: str, backend: str, cache_dir: Path | None = None, threads: int | None = None) -> dict[str, Any]:
    """All of the above, for the report's `machine` section."""
    encoder = encoder_choice(model, backend, cache_dir, threads)
    return {"cpu": cpu_flags(), "encoder": encoder, "llama_cpp": llama_system_info()}
