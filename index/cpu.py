"""What this machine's CPU is: its model name and the vector extensions the int8 encoder and llama.cpp use.

Read from /proc/cpuinfo, so only Linux says more than `platform` does. Used to key the encoder calibration
(`index.encoder_choice`) and to describe the machine in `newsrag bench` (`rag.bench.machine`, `rag.bench.stats`).
Not handled: cores, memory and load, or measuring anything.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path
from typing import Any

# The extensions the int8 encoder and llama.cpp's kernels care about (as /proc/cpuinfo spells them).
_FLAGS = re.compile(r"avx\w*|amx\w*|fma|f16c|sse4_2")


def _cpuinfo() -> str | None:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return None


def cpu_model(cpuinfo: str | None = None) -> str:
    """The first CPU's "model name" in /proc/cpuinfo (or `cpuinfo`); off Linux, what `platform` knows."""
    text = _cpuinfo() if cpuinfo is None else cpuinfo
    for line in (text or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def cpu_flags(cpuinfo: str | None = None) -> dict[str, Any]:
    """The vector flags of the first CPU in /proc/cpuinfo (or `cpuinfo`), and a one-word summary.

    summary: "avx512+vnni", "avx512", "avx2+vnni" (AVX-VNNI without AVX-512), "avx2", or "other";
    None off Linux, where /proc/cpuinfo does not exist."""
    if cpuinfo is None:
        cpuinfo = _cpuinfo()
        if cpuinfo is None:
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
