"""A full sequence-classification model through transformers (a local folder or a hub name).

Its labels are mapped by their names (config id2label) to negative / neutral / positive:
names containing "neg", "neu" or "pos" (any case), and star ratings ("1 star" … "5 stars":
1–2 negative, 3 neutral, 4–5 positive). A model with only negative and positive never says neutral.
"""

from __future__ import annotations

import re

import numpy as np

from detectors.sentiment_head import LABELS

_STARS = re.compile(r"^\s*([1-5])\s*stars?\s*$")


def map_labels(id2label: dict) -> list[int]:
    """For each class id in order, the index in LABELS; raises ValueError naming unknown labels."""
    out, unknown = [], []
    for i in sorted(int(k) for k in id2label):
        name = str(id2label.get(i, id2label.get(str(i)))).strip().lower()
        stars = _STARS.match(name)
        if stars:
            n = int(stars.group(1))
            out.append(0 if n <= 2 else 1 if n == 3 else 2)
        elif "neg" in name:
            out.append(0)
        elif "neu" in name:
            out.append(1)
        elif "pos" in name:
            out.append(2)
        else:
            unknown.append(name)
    if unknown:
        raise ValueError(f"cannot map the model's labels {unknown} to {', '.join(LABELS)}: name them so in its config (id2label)")
    return out


class TransformerSentiment:
    """Probabilities over LABELS from a sequence-classification model, in batches sorted by length."""

    def __init__(self, tokenizer, model, name: str = "", max_length: int = 128, batch_size: int = 32):
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.name = name
        self.max_length = max_length
        self.batch_size = batch_size
        self.mapping = np.asarray(map_labels(model.config.id2label))

    @classmethod
    def load(cls, name: str, batch_size: int = 32) -> "TransformerSentiment":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from detectors.embedder import _set_threads, resolve

        hf_logging.disable_progress_bar()
        _set_threads()
        where = resolve(name)
        tokenizer = AutoTokenizer.from_pretrained(where)
        model = AutoModelForSequenceClassification.from_pretrained(where)
        return cls(tokenizer, model, name=name, batch_size=batch_size)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(n, 3) probabilities; classes mapping to the same label are summed."""
        import torch

        n = len(texts)
        out = np.zeros((n, len(LABELS)), dtype=np.float64)
        order = sorted(range(n), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, n, self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer([texts[i] or " " for i in idx], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                probs = torch.softmax(self.model(**batch).logits.float(), dim=-1).numpy()
                for j, label in enumerate(self.mapping):
                    out[idx, label] += probs[:, j]
        return out
