"""What `newsrag bench` figures depend on besides the code: the CPU's vector extensions, the embedding backend
chosen (and why), and what llama.cpp was built to use. Figures from two machines compare only with these.

Not handled here: cores, memory and load (`rag.bench_stats.machine`), or measuring anything.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# The extensions the int8 encoder and llama.cpp's kernels care about (as /proc/cpuinfo spells them).
_FLAGS = re.compile(r"avx\w*|amx\w*|fma|f16c|sse4_2")


def cpu_flags(cpuinfo: str | None = None) -> dict[str, Any]:
    """The vector flags of the first CPU in /proc/cpuinfo (or `cpuinfo`), and a one-word summary.

    summary: "avx512+vnni", "avx512", "avx2+vnni" (AVX-VNNI without AVX-512), "avx2", or "other";
    None off Linux, where /proc/cpuinfo does not exist."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {"flags": [], "avx2": None, "avx512": None, "vnni": None, "summary": None}
    line = next((ln for ln in cpuinfo.splitlines() if ln.startswith("flags")), "")
    flags = sorted({f for f in line.partition(":")[2].split() if _FLAGS.fullmatch(f)})
    avx2 = "avx2" in flags
    avx512 = "avx512f" in flags
    vnni = "avx512_vnni" in flags or "avx_vnni" in flags
    base = "avx512" if avx512 else "avx2" if avx2 else "other"
    return {
        "flags": flags,
        "avx2": avx2,
        "avx512": avx512,
        "vnni": vnni,
        "summary": f"{base}+vnni" if vnni and base != "other" else base,
    }


def encoder_choice(model: str, backend: str) -> dict[str, str]:
    """The embedding backend `backend` resolves to for `model`, and why (what a user set, or `auto`'s rule)."""
    from index.embeddings import resolve_backend

    chosen = resolve_backend(model, backend)
    if backend != "auto":
        why = f"NEWSRAG_EMBED_BACKEND={backend}"
    elif chosen == "onnx-int8":
        why = "auto: the int8 export exists only for the built-in model, and this is it"
    else:
        why = "auto: a model other than the built-in one runs on torch float32"
    return {"requested": backend, "chosen": chosen, "why": why}


def llama_system_info() -> str | None:
    """llama.cpp's `llama_print_system_info()` (the CPU features its build uses); None without llama-cpp."""
    try:
        import llama_cpp
    except ImportError:
        return None
    info = llama_cpp.llama_print_system_info()
    text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
    return " ".join(text.replace("|", " ").split()).replace(" = ", "=").strip() or None


def describe(model: str, backend: str) -> dict[str, Any]:
    """All of the above, for the report's `machine` section."""
    return {"cpu": cpu_flags(), "encoder": encoder_choice(model, backend), "llama_cpp": llama_system_info()}
