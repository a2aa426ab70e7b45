"""Post sentiment: the shipped head (default), a head you trained, a transformers model, or the lexicon.

`detectors.sentiment.model` in config.yaml says which (docs/sentiment.md):
- "default": the head in detectors/models/sentiment, fitted on public German and English data;
- "lexicon": the word lists alone (fast and explainable, far less accurate);
- a folder with head.json: a head from `sitroom train sentiment`;
- another folder or a Hugging Face name: a sequence-classification model through transformers.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from bot.models import Post, Scores
from detectors.sentiment_head import DEFAULT_DIR, LABELS, Head
from detectors.sentiment_lexicon import LexiconSentiment

log = logging.getLogger(__name__)
# The topic detector embeds the text without links; the head's embedding weights were fitted so.
_URL = re.compile(r"https?://\S+|www\.\S+")


def sentiment_model(cfg) -> str:
    """`detectors.sentiment.model` of a Config, a relative folder taken from the config file's folder."""
    name = cfg.detectors.sentiment.model
    if name in ("default", "lexicon"):
        return name
    base = getattr(cfg, "_path", None)
    path = Path(name).expanduser()
    if not path.is_absolute() and base is not None and (Path(base).parent / path).exists():
        return str((Path(base).parent / path).resolve())
    return str(path.resolve()) if path.exists() else name


def embedding_text(text: str) -> str:
    """The text as the topic detector embeds it (links removed)."""
    return _URL.sub(" ", text)


class SentimentAnalyzer:
    """Fills scores.sentiment (the most likely label) and scores.sentiment_score (P(pos) − P(neg))."""

    name = "sentiment"

    def __init__(self, model: str = "default", embedder=None, batch_size: int = 32):
        self.model_name = model
        self.embedder = embedder
        self.lexicon = LexiconSentiment()
        self.head: Head | None = None
        self.transformer = None
        if model == "lexicon":
            return
        path = DEFAULT_DIR if model == "default" else Path(model).expanduser()
        if model == "default" or (path / "head.json").is_file():
            shipped = model != "default" and (DEFAULT_DIR / "head.json").is_file()
            fallback = Head.load(DEFAULT_DIR) if shipped else None
            self.head = Head.load(path, fallback=fallback)
        else:
            from detectors.sentiment_transformer import TransformerSentiment

            self.transformer = TransformerSentiment.load(model, batch_size=batch_size)
        if self.head is not None and embedder is not None and getattr(embedder, "name", "") != self.head.embedder:
            log.warning("sentiment head %s was fitted on %s embeddings, the topics use %s: scoring without them",
                        model, self.head.embedder, getattr(embedder, "name", "?"))

    @property
    def uses_vectors(self) -> bool:
        """True when the head reads the topic detector's embeddings of the posts."""
        return self.head is not None and self.embedder is not None and self.embedder.name == self.head.embedder

    def probabilities(self, texts: list[str], languages: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) probabilities over LABELS; embeds the texts itself when it needs vectors not given."""
        if self.transformer is not None:
            return self.transformer.probabilities(texts)
        polarity = np.array([self.lexicon.polarity(t, lang) for t, lang in zip(texts, languages)])
        if self.head is None:
            p = np.zeros((len(texts), 3))
            p[np.arange(len(texts)), [_lexicon_label(x) for x in polarity]] = 1.0
            return p
        if not self.uses_vectors:
            vectors = None
        elif vectors is None and texts:
            vectors = self.embedder.encode([embedding_text(t) for t in texts])
        return self.head.probabilities(texts, languages, vectors, polarity)

    def score(self, posts: list[Post], scores: list[Scores], vectors: np.ndarray | None = None) -> None:
        """Score a batch in place; `vectors` are the posts' embeddings when the scorer has them."""
        if not posts:
            return
        if self.head is None and self.transformer is None:
            self.lexicon.score(posts, scores)
            return
        p = self.probabilities([p.text for p in posts], [s.language for s in scores], vectors)
        best = p.argmax(axis=1)
        for s, row, b in zip(scores, p, best):
            s.sentiment = LABELS[b]
            s.sentiment_score = round(float(row[2] - row[0]), 4)


def _lexicon_label(polarity: float) -> int:
    from detectors.sentiment_lexicon import LABEL_AT

    return 0 if polarity <= -LABEL_AT else 2 if polarity >= LABEL_AT else 1
