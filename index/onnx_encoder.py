"""The int8 backend of the built-in embedding model: its BERT encoder exported once to ONNX, its weights
quantized to int8, run by ONNX Runtime as the first module of an ordinary `SentenceTransformer`.

Everything after the encoder is sentence-transformers' own: `encode` (length-sorted batches, prompts,
truncation), the folder's mean `Pooling` and `Normalize`. So ingestion, search and the benchmark's raw
encoder all call `SentenceTransformer.encode` whichever backend is chosen; only the transformer's forward
pass runs on ONNX Runtime. On 2 cores that pass is about 2.3x as fast as torch's float32 one, and the
vectors stay within cosine 0.99 of the float32 model's (mean 0.999; checked by `tests/test_onnx_encoder.py`).

Why not `SentenceTransformer(backend="onnx")`: it needs `optimum-onnx`, whose releases pin
`transformers<4.58`, older than the sentence-transformers 6 this project runs on.

Heavy imports at the top: only `index.embeddings.load_embeddings` imports this module, when it loads the model.

Deliberately not handled: models other than the folder `index.models.ensure_e5` builds (its modules are
exactly Transformer, Pooling, Normalize), saving the module back into a sentence-transformers folder, and
static (calibrated) quantization.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.base.modules.input_module import InputModule
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

from index.errors import ModelError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

INT8_FILE = "onnx/model_qint8.onnx"  # where sentence-transformers' own exports put theirs
_INPUTS = ("input_ids", "attention_mask")
_OPSET = 17
_LAYER = re.compile(r"/layer\.(\d+)/")
_DOWN = re.compile(r"/layer\.(\d+)/output/dense/MatMul$")  # FFN out, not attention/output/dense


def ensure_int8(folder: Path) -> Path:
    """Export and quantize (once) the transformer of the sentence-transformers `folder`; return the file.

    The export and the quantization write into a temporary folder beside the target, which is renamed
    into place last: a killed build leaves no half file that a later load would trust.
    """
    target = folder / INT8_FILE
    if target.is_file():
        return target
    started = time.monotonic()
    log.info("Building the int8 ONNX encoder %s", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(".int8-*"):  # left by killed builds; a live one is seconds old
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".int8-", dir=target.parent) as tmp:
            fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model_qint8.onnx"
            _export(folder, fp32)
            _quantize(fp32, int8)
            os.replace(int8, target)
    except ModelError:
        raise
    except Exception as e:  # wrapped with the way out: the torch backend needs none of this
        raise ModelError(
            f"Could not build the int8 ONNX encoder from {folder} ({type(e).__name__}: {e}). "
            "Set NEWSRAG_EMBED_BACKEND=torch to run the embedding model on torch instead."
        ) from e
    log.info("Built %s in %.1f s", target, time.monotonic() - started)
    return target


def _export(folder: Path, out: Path) -> None:
    """torch -> ONNX (float32) of the folder's transformer: token embeddings for (ids, mask), dynamic shapes."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    class Encoder(torch.nn.Module):  # keyword arguments: BertModel's positional order is not input_ids, mask
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    hf_logging.disable_progress_bar()
    model = Encoder(AutoModel.from_pretrained(str(folder)).eval())
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    sample = tokenizer(["passage: a", "passage: two words"], padding=True, return_tensors="pt")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's warnings are about branches BERT never takes
        torch.onnx.export(
            model,
            tuple(sample[name] for name in _INPUTS),
            str(out),
            input_names=list(_INPUTS),
            output_names=["token_embeddings"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_embeddings")},
            opset_version=_OPSET,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and BERT exports cleanly with it
        )


def _quantize(fp32: Path, int8: Path) -> None:
    """Dynamic quantization of the weight matrices: int8 per output channel, activations per batch at run time.

    Only MatMul weights are quantized (the word-embedding table stays float32: a lookup costs nothing to run).
    The FFN down-projections of the lower half of the layers stay float32 too: their inputs (GELU outputs)
    carry the outliers that int8 rounds worst. Measured on 160 Dutch news chunks against torch float32:
    mean cosine 0.9967 with every MatMul in int8, 0.9990 with those kept, for about 7% of the speed.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(fp32), load_external_data=False).graph
    layers = {int(m.group(1)) for n in graph.node if (m := _LAYER.search(n.name))}
    keep = [n.name for n in graph.node if (m := _DOWN.search(n.name)) and int(m.group(1)) < len(layers) // 2]
    if not layers or len(keep) != len(layers) // 2:
        raise ModelError(f"Expected BERT layers with FFN down-projections in {fp32}, found layers {sorted(layers)}")
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=keep,
    )


def load_int8(folder: Path, *, threads: int | None = None) -> SentenceTransformer:
    """A SentenceTransformer over `folder` whose transformer runs int8 on ONNX Runtime (built on first use)."""
    encoder = OnnxEncoder(folder, ensure_int8(folder), threads=threads)
    pooling = Pooling.load(str(folder / "1_Pooling"))
    prompts = _folder_prompts(folder)
    return SentenceTransformer(modules=[encoder, pooling, Normalize()], prompts=prompts, device="cpu")


def _folder_prompts(folder: Path) -> dict[str, str]:
    config = folder / "config_sentence_transformers.json"
    return json.loads(config.read_text()).get("prompts", {}) if config.is_file() else {}


class OnnxEncoder(InputModule):
    """First module: the folder's tokenizer, then the int8 encoder on ONNX Runtime -> token embeddings."""

    def __init__(self, folder: Path, model_file: Path, *, threads: int | None = None) -> None:
        super().__init__()
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(folder))
        self.max_seq_length = int(self.tokenizer.model_max_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: ONNX Runtime's default, one per core
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.dimension = int(self.session.get_outputs()[0].shape[-1])
        self.model_file = model_file

    def preprocess(self, inputs: Any, prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
        texts = self._prepend_prompt(list(inputs), prompt) if prompt else list(inputs)
        tokenizer = cast("PreTrainedTokenizerBase", self.tokenizer)  # what __init__ loaded
        encoded = tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length, return_tensors="pt")
        return {name: encoded[name] for name in _INPUTS}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        (hidden,) = self.session.run(None, {name: features[name].numpy() for name in _INPUTS})
        features["token_embeddings"] = torch.from_numpy(hidden)
        return features

    def get_embedding_dimension(self) -> int:
        return self.dimension

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"The int8 encoder is rebuilt from its model folder, not saved: {self.model_file}")
