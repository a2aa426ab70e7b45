"""The default sentiment head: per language, several models stacked.

- a logistic regression on hashed character and word n-grams (detectors.sentiment_features),
  fitted on all the language's training texts,
- a logistic regression on the sentence embedding the topic detector already computes,
- per training source (file) with enough texts, an "expert" n-gram regression fitted on that
  source alone, and a domain model saying how much a text is like each source,
- the lexicon's polarity (detectors.sentiment_lexicon),
and a small logistic regression over their log-probabilities, the polarity, the kind of text and
the domain probabilities. Without the matching embedding model the head uses a second stacker
fitted without the embedding.

On disk (no pickle): a folder with `head.json` (settings, languages, what it was fitted on)
and one `<lang>.npz` of weight arrays per language; the large n-gram matrices as int8 with a
scale per column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.sentiment_features import FeatureSettings, dot, fold, hashed, stack_inputs, text_kind

LABELS = ("negative", "neutral", "positive")
FORMAT = "sitroom-sentiment-head"
VERSION = 3
DEFAULT_DIR = Path(__file__).resolve().parent / "models" / "sentiment"
ARRAYS = ("char_w", "char_b", "emb_w", "emb_b", "expert_w", "expert_b", "domain_w", "domain_b",
          "stack_w", "stack_b", "plain_w", "plain_b")
QUANTISED = ("char_w", "expert_w", "domain_w")  # hashed-column matrices: int8 × a float32 scale per column


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@dataclass
class LanguageHead:
    """One language's weights.

    `stack_*` takes [char, embedding, experts…, lexicon] with the domain probabilities,
    `plain_*` the same without the embedding (stack_inputs). With fewer than two sources there
    are no experts (expert_w has 0 columns) and no domain model (domain_w has 0 columns)."""

    char_w: np.ndarray  # (n_features, 3)
    char_b: np.ndarray
    emb_w: np.ndarray  # (dim, 3)
    emb_b: np.ndarray
    expert_w: np.ndarray  # (expert_features, 3 × experts): each expert's 3 columns in turn
    expert_b: np.ndarray
    domain_w: np.ndarray  # (domain_features, sources)
    domain_b: np.ndarray
    stack_w: np.ndarray
    stack_b: np.ndarray
    plain_w: np.ndarray
    plain_b: np.ndarray

    def log_probabilities(self, features, kind: np.ndarray, vectors: np.ndarray | None, polarity: np.ndarray) -> np.ndarray:
        """(n, 3) log-probabilities; `features` are the hashed n-grams and `kind` the text_kind of the same n texts."""
        n = len(kind)
        parts = [log_softmax(dot(features, n, self.char_w) + self.char_b)]
        if vectors is not None:
            parts.append(log_softmax(vectors.astype(np.float32) @ self.emb_w + self.emb_b))
        if self.expert_w.shape[1]:
            z = dot(fold(features, self.expert_w.shape[0]), n, self.expert_w) + self.expert_b
            parts += [log_softmax(z[:, k : k + 3]) for k in range(0, z.shape[1], 3)]
        parts.append(polarity[:, None])
        domain = None
        if self.domain_w.shape[1] > 1:
            domain = np.exp(log_softmax(dot(fold(features, self.domain_w.shape[0]), n, self.domain_w) + self.domain_b))
        w, b = (self.stack_w, self.stack_b) if vectors is not None else (self.plain_w, self.plain_b)
        return log_softmax(stack_inputs(np.hstack(parts), kind, domain) @ w + b)

    def save(self, path: Path) -> None:
        arrays = {}
        for k in ARRAYS:
            a = getattr(self, k).astype(np.float32)
            if k in QUANTISED:
                # A text has hundreds of n-grams: the rounding errors of 8-bit weights average out.
                scale = np.maximum(np.abs(a).max(axis=0, initial=0.0), 1e-12) / 127.0
                arrays[k + "_q"], arrays[k + "_scale"] = np.round(a / scale).astype(np.int8), scale.astype(np.float32)
            else:
                arrays[k] = a
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path) -> "LanguageHead":
        with np.load(path, allow_pickle=False) as z:
            names = [k + "_q" if k in QUANTISED else k for k in ARRAYS]
            missing = [k for k in names if k not in z.files]
            if missing:
                raise ValueError(f"{path}: missing arrays {', '.join(missing)}")
            arrays = {k: z[k + "_q"].astype(np.float32) * z[k + "_scale"] if k in QUANTISED else z[k].astype(np.float32)
                      for k in ARRAYS}
        return cls(**arrays)


class Head:
    """A loaded head: feature settings, the embedding model it expects, one LanguageHead per language."""

    def __init__(self, settings: FeatureSettings, embedder: str, languages: dict[str, LanguageHead], info: dict | None = None):
        self.settings = settings
        self.embedder = embedder
        self.languages = languages
        self.info = info or {}

    @classmethod
    def load(cls, path: str | Path = DEFAULT_DIR, fallback: "Head | None" = None) -> "Head":
        """Read a head folder; languages it lacks come from `fallback` (the shipped head)."""
        path = Path(path)
        try:
            info = json.loads((path / "head.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a sentiment head folder (head.json: {e})") from None
        if info.get("format") != FORMAT:
            raise ValueError(f"{path / 'head.json'}: format is {info.get('format')!r}, expected {FORMAT!r}")
        if info.get("version") != VERSION:
            raise ValueError(f"{path / 'head.json'}: version {info.get('version')}, this sitroom reads {VERSION}: retrain it")
        settings = FeatureSettings.from_dict(info["features"])
        languages = {lang: LanguageHead.load(path / meta["file"]) for lang, meta in info["languages"].items()}
        if fallback is not None:
            if fallback.settings != settings:
                raise ValueError(f"{path}: its feature settings differ from the shipped head's; retrain it")
            for lang, head in fallback.languages.items():
                languages.setdefault(lang, head)
        return cls(settings, info.get("embedder", ""), languages, info)

    def save(self, path: str | Path, info: dict) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "labels": list(LABELS),
            "features": self.settings.to_dict(),
            "embedder": self.embedder,
            **info,
        }
        meta["languages"] = {lang: {**info.get("languages", {}).get(lang, {}), "file": f"{lang}.npz"} for lang in self.languages}
        for lang, head in self.languages.items():
            head.save(path / f"{lang}.npz")
        (path / "head.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def probabilities(self, texts: list[str], languages: list[str], vectors: np.ndarray | None, polarity: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities; a language without a head (or "und") averages all heads."""
        n = len(texts)
        out = np.zeros((n, 3), dtype=np.float64)
        if not n:
            return out
        features = hashed(texts, self.settings)
        kind = text_kind(texts)
        langs = np.asarray(languages)
        # Each language's head scores its own rows; unknown languages get every head's average.
        known = np.isin(langs, list(self.languages))
        for lang, head in self.languages.items():
            rows = np.flatnonzero((langs == lang) | ~known)
            if not len(rows):
                continue
            sub = _rows(features, rows, n)
            logp = head.log_probabilities(sub, kind[rows], None if vectors is None else vectors[rows], polarity[rows])
            weight = np.where(known[rows], 1.0, 1.0 / len(self.languages))
            out[rows] += np.exp(logp) * weight[:, None]
        return out


def _rows(features, rows: np.ndarray, n: int):
    """The sparse rows `rows` of (r, c, v), renumbered 0..len(rows)-1."""
    r, c, v = features
    if len(rows) == n:
        return features
    new = np.full(n, -1, dtype=np.int64)
    new[rows] = np.arange(len(rows))
    keep = new[r] >= 0
    return new[r[keep]], c[keep], v[keep]
