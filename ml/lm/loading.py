"""Load a causal LM and its tokenizer from local files only: a Hugging Face directory or a .gguf file."""

from __future__ import annotations

import os
from pathlib import Path

# Set before transformers/huggingface_hub are imported (they read it once): loading must never
# reach for the network, even when a path is mistaken for a Hub repo id.
os.environ["HF_HUB_OFFLINE"] = "1"

import torch  # noqa: E402
from transformers import (  # noqa: E402
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoTokenizer,
    GgufConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from ml.lm.device import pick_device  # noqa: E402

_CAUSAL_SUFFIXES = ("ForCausalLM", "LMHeadModel")


def _dtype(dtype: torch.dtype | str | None) -> torch.dtype | str:
    if dtype is None:
        return torch.float32  # a safe default on every device; callers ask for half precision explicitly
    if isinstance(dtype, str) and dtype != "auto":
        resolved = getattr(torch, dtype, None)
        if not isinstance(resolved, torch.dtype):
            raise ValueError(f"unknown dtype {dtype!r}")
        return resolved
    return dtype


def _check_dir(path: Path) -> None:
    if not (path / "config.json").is_file():
        raise ValueError(f"{path} is not a Hugging Face model directory (no config.json)")


def load_model(
    path: str | Path, device: str | torch.device | None = None, dtype: torch.dtype | str | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A causal LM (in eval mode, on `device`, default from pick_device) and its tokenizer.

    `path` is a directory written by `save_pretrained` or a `.gguf` file; GGUF weights are
    dequantized into an ordinary model. Raises FileNotFoundError / ValueError with a message
    naming the path for anything else.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no model at {path}")
    target = device if isinstance(device, torch.device) else pick_device(device)
    common = {"local_files_only": True}
    if path.is_file():
        if path.suffix.lower() != ".gguf":
            raise ValueError(f"{path} is a file but not a .gguf; pass a model directory or a .gguf file")
        folder, name = str(path.parent), path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, **common)
        model = AutoModelForCausalLM.from_pretrained(
            folder,
            gguf_file=name,
            # Dequantize fully: the result is a plain model we can move, fine-tune and save_pretrained.
            quantization_config=GgufConfig(dequantize=True),
            dtype=_dtype(dtype),
            **common,
        )
    else:
        _check_dir(path)
        config = AutoConfig.from_pretrained(path, **common)
        architectures = getattr(config, "architectures", None) or []
        if architectures and not any(a.endswith(_CAUSAL_SUFFIXES) for a in architectures):
            raise ValueError(f"{path} holds a {', '.join(architectures)}, not a causal LM; use load_encoder")
        tokenizer = AutoTokenizer.from_pretrained(path, **common)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=_dtype(dtype), **common)
    return model.to(target).eval(), tokenizer


def load_encoder(
    path: str | Path, device: str | torch.device | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A text encoder (e.g. a sentence-embedding BERT) and its tokenizer from a local directory."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no model at {path}")
    if not path.is_dir():
        raise ValueError(
            f"{path} is not a directory; an encoder is loaded from a Hugging Face model directory"
        )
    _check_dir(path)
    target = device if isinstance(device, torch.device) else pick_device(device)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True)
    return model.to(target).eval(), tokenizer
