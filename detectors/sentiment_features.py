"""Hashed character and word n-grams of a batch of texts, in numpy alone.

No vocabulary is derived from data: each n-gram is hashed (FNV-1a over code points for
characters, CRC-32 for words) into one of `n_features` columns, so a trained head ships only
weights. The same function feeds training and scoring, so their features are the same.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")
_REPEAT = re.compile(r"(.)\1{3,}")  # "soooooo" and "!!!!!!" count as three
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]+|[!?]")
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class FeatureSettings:
    n_features: int = 2**18
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    # The per-source models fold the same hashed columns into fewer (column mod n): they are
    # fitted on less data, and the head stays small.
    expert_features: int = 2**16
    domain_features: int = 2**14

    def to_dict(self) -> dict:
        return {"n_features": self.n_features, "char_ngrams": list(self.char_ngrams), "word_ngrams": list(self.word_ngrams),
                "expert_features": self.expert_features, "domain_features": self.domain_features}

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureSettings":
        return cls(int(d["n_features"]), tuple(d["char_ngrams"]), tuple(d["word_ngrams"]),
                   int(d.get("expert_features", 2**16)), int(d.get("domain_features", 2**14)))


def normalise(text: str) -> str:
    """Lowercase; links, @mentions and numbers become placeholders; long repeats shrink."""
    text = _URL.sub(" http ", text)
    text = _MENTION.sub(" @user ", text)
    text = _DIGITS.sub("0", text.lower())
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACE.sub(" ", text).strip()


def hashed(texts: list[str], settings: FeatureSettings = FeatureSettings()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, values) of an L2-normalised, sublinear-tf sparse matrix, one row per text."""
    norm = [normalise(t) for t in texts]
    c_rows, c_cols = _char_ngrams(norm, settings)
    w_rows, w_cols = _word_ngrams(norm, settings)
    keys = np.concatenate([c_rows, w_rows]) * settings.n_features + np.concatenate([c_cols, w_cols])
    keys, counts = np.unique(keys, return_counts=True)
    r, c = np.divmod(keys, settings.n_features)
    v = 1.0 + np.log(counts.astype(np.float32))
    norms = np.sqrt(np.bincount(r, weights=v * v, minlength=len(texts)))
    v = (v / np.maximum(norms[r], 1e-12)).astype(np.float32)
    return r, c, v


def _char_ngrams(norm: list[str], settings: FeatureSettings) -> tuple[np.ndarray, np.ndarray]:
    """Character n-grams of " text " for every text, hashed; never across two texts."""
    joined = "\x00".join(f" {t} " for t in norm)
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    sep = cp == 0
    doc = np.cumsum(sep)
    lo, hi = settings.char_ngrams
    all_rows, all_cols = [], []
    for n in range(lo, hi + 1):
        length = len(cp) - n + 1
        if length <= 0:
            continue
        h = np.full(length, _FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
        bad = np.zeros(length, dtype=bool)
        for k in range(n):
            h = (h ^ cp[k : k + length]) * _FNV_PRIME
            bad |= sep[k : k + length]
        h ^= h >> np.uint64(31)
        keep = ~bad
        all_rows.append(doc[:length][keep])
        all_cols.append((h[keep] % np.uint64(settings.n_features)).astype(np.int64))
    if not all_rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(all_rows).astype(np.int64), np.concatenate(all_cols)


def _word_ngrams(norm: list[str], settings: FeatureSettings) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = settings.word_ngrams
    rows, cols = [], []
    nf = settings.n_features
    for i, text in enumerate(norm):
        words = _WORD.findall(text)
        for n in range(lo, hi + 1):
            for j in range(len(words) - n + 1):
                cols.append(zlib.crc32(("w%d " % n + " ".join(words[j : j + n])).encode()) % nf)
                rows.append(i)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def text_kind(texts: list[str]) -> np.ndarray:
    """(n, 4): log length, has an @mention, has a link, is a retweet: lets the stacker tell a
    short tweet from a long web post, whose labels are distributed differently."""
    return np.array(
        [[np.log1p(len(t)) / 6.0, float("@" in t), float(bool(_URL.search(t))), float(t.startswith("RT "))] for t in texts],
        dtype=np.float64,
    ).reshape(len(texts), 4)


def stack_inputs(parts: np.ndarray, kind: np.ndarray, domain: np.ndarray | None = None) -> np.ndarray:
    """The stacker's inputs: the parts' outputs, the kind of text, and each part's output times each kind.

    `domain` (n, k), the probability that a text is like each of the k training sources, adds
    itself and each part's output times each source's probability: so the stacker learns per
    source how far to trust each part and which labels are common there (customer feedback is
    mostly neutral, general tweets far less)."""
    out = [parts, kind, *(parts * kind[:, [k]] for k in range(kind.shape[1]))]
    if domain is not None and domain.shape[1] > 1:
        out += [domain, *(parts * domain[:, [k]] for k in range(domain.shape[1]))]
    return np.hstack(out)


def fold(features: tuple[np.ndarray, np.ndarray, np.ndarray], n_columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same sparse rows with each column taken mod n_columns (columns that meet add up in `dot`)."""
    rows, cols, values = features
    return rows, cols % n_columns, values


def dot(features: tuple[np.ndarray, np.ndarray, np.ndarray], n_rows: int, weights: np.ndarray) -> np.ndarray:
    """features @ weights for the (rows, cols, values) sparse matrix; weights is (n_features, k)."""
    rows, cols, values = features
    k = weights.shape[1]
    contrib = weights[cols] * values[:, None]
    # One bincount over (row, output column) pairs adds up every output column at once.
    index = (rows[:, None] * k + np.arange(k)).ravel()
    return np.bincount(index, weights=contrib.ravel(), minlength=n_rows * k).reshape(n_rows, k)
