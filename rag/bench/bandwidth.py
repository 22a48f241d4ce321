"""The machine's memory read bandwidth, the ceiling of the local model's generation speed.

Generating one token reads every weight of the model once (a 1.5B model at 4 bits: about 1.1 GB), so on a
CPU generated tokens/s is bounded by memory read bandwidth over the model's size, not by arithmetic. The bench
measures the bandwidth the way llama.cpp reads, from as many threads as it uses, over an array far larger than
any CPU cache, and reports how close generation comes to that bound (`rag.bench.llm`). A figure near 1.0 means
only a smaller model file (or fewer bytes read per token) can make generation faster; well below it, the
arithmetic or the threads are the limit. Above 1.0, part of the model stayed in the CPU's cache.

Not handled here: write bandwidth and latency (generation only reads the weights).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

ARRAY_MB = 512  # larger than any last-level cache of the machines we run on
REPEATS = 5


def read_bandwidth(threads: int, array_mb: int = ARRAY_MB, repeats: int = REPEATS) -> float:
    """Bytes per second of reading an `array_mb` MB float32 array, summed by `threads` threads at once (numpy
    releases the GIL in the sum), the best of `repeats` passes (the first pass also faults the pages in)."""
    import numpy as np

    data = np.ones(array_mb * 2**20 // 4, dtype=np.float32)
    parts = np.array_split(data, max(1, threads))
    best = float("inf")
    with ThreadPoolExecutor(max_workers=len(parts)) as pool:
        for _ in range(repeats + 1):
            started = time.perf_counter()
            list(pool.map(np.sum, parts))
            best = min(best, time.perf_counter() - started)
    return data.nbytes / best


def generation_bound(bandwidth: float, model_bytes: int) -> dict[str, float]:
    """What generation could reach at this bandwidth: `memory_read_gb_per_s`, `model_gb` and the
    bound on generated tokens/s (one full read of the model per token)."""
    return {
        "memory_read_gb_per_s": bandwidth / 1e9,
        "model_gb": model_bytes / 1e9,
        "gen_tokens_per_s_bound": bandwidth / model_bytes if model_bytes else 0.0,
    }
