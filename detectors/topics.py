"""Known topics: keyword rules plus embedding similarity to each topic's examples."""

from __future__ import annotations

import re

import numpy as np

from bot.config import Topic
from bot.models import Post, Scores
from detectors.embedder import Embedder

KEYWORD_SCORE = 1.0  # a configured keyword is as strong as an exact example
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss", "é": "e", "è": "e"})
_DIGRAPHS = re.compile(r"ae|oe|ue")
_URL = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[^\W_]+")
# Inflections a keyword may carry: Ausfall/Ausfälle/Ausfällen, outage/outages, charge/charged.
_DE_SUFFIX = r"(?:e|en|er|es|em|n|s|ern|ns)?"
_EN_SUFFIX = r"(?:s|es|d|ed|ing|er|ers)?"


def fold(text: str) -> str:
    """Lowercase and fold umlauts both ways (ä and ae → a, ß → ss), so spellings compare equal."""
    return _DIGRAPHS.sub(lambda m: m.group()[0], text.lower().translate(_FOLD))


def term_pattern(term: str, language: str = "en") -> str:
    """A regex for a keyword on folded text: word-bounded and tolerant of inflections.

    German keywords also match compounds: from 6 letters anywhere (Ausfall → Stromausfälle,
    Rechnung → Handyrechnungen), from 4 as the first part (Netz → Netzausfall, not Funknetz).
    """
    words = _WORD.findall(fold(term))
    if not words:
        return r"(?!)"
    if language == "de" and len(words) == 1 and len(words[0]) >= 6:
        return re.escape(words[0])  # same as \b\w*word\w*\b, without the backtracking
    parts = []
    for i, w in enumerate(words):
        last = i == len(words) - 1
        if language == "de":
            parts.append(re.escape(w) + (r"\w*" if last and len(w) >= 4 else _DE_SUFFIX))
        elif not last:
            parts.append(re.escape(w))  # "no signal": English inflects the last word
        elif w.endswith("e") and len(w) >= 4:
            parts.append(re.escape(w[:-1]) + r"(?:e|es|ed|er|ers|ing)")  # charge → charging
        else:
            parts.append(re.escape(w) + _EN_SUFFIX)
    return r"\b" + r"\W+".join(parts) + r"\b"


class TopicDetector:
    """Fills scores.topic and scores.topic_score."""

    name = "topics"

    def __init__(self, topics: list[Topic], embedder: Embedder | None, threshold: float = 0.5):
        self.topics = list(topics)
        self.embedder = embedder
        self.threshold = threshold
        # Every configured language's keywords apply to every post: short posts are often
        # detected wrongly, and telecom keywords rarely mean something else in the other language.
        self._keywords: list[re.Pattern | None] = []
        for t in self.topics:
            parts = [term_pattern(k, lang) for lang, kws in t.keywords.items() for k in kws]
            self._keywords.append(re.compile("|".join(parts)) if parts else None)
        texts, owners = [], []
        for i, t in enumerate(self.topics):
            for text in [t.description, *(e for exs in t.examples.values() for e in exs)]:
                texts.append(text)
                owners.append(i)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._examples = embedder.encode(texts) if (embedder is not None and texts) else None

    def keyword_hits(self, text: str) -> np.ndarray:
        """1.0 for each topic one of whose keywords occurs in the text, else 0."""
        folded = fold(text)
        return np.array([KEYWORD_SCORE if p is not None and p.search(folded) else 0.0 for p in self._keywords])

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """(posts, topics): each topic's best cosine similarity over its description and examples."""
        out = np.zeros((len(vectors), len(self.topics)), dtype=np.float32)
        if self._examples is None or not len(vectors):
            return out
        sims = vectors @ self._examples.T
        for i in range(len(self.topics)):
            out[:, i] = sims[:, self._owners == i].max(axis=1)
        return out

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Score a batch; the posts are embedded in one call."""
        self.score_with_vectors(posts, scores)

    def score_with_vectors(self, posts: list[Post], scores: list[Scores]) -> np.ndarray | None:
        """Score a batch and return its post embeddings (None without a model) for reuse."""
        vectors = None
        if self.embedder is not None and posts:
            vectors = self.embedder.encode([_URL.sub(" ", p.text) for p in posts])
        if not self.topics:
            return vectors
        kw = np.stack([self.keyword_hits(p.text) for p in posts]) if posts else np.zeros((0, len(self.topics)))
        sim = self.similarities(vectors) if vectors is not None else np.zeros_like(kw)
        combined = np.maximum(kw, sim)
        # Among equal scores (two keyword hits), the closer meaning wins.
        best = np.argmax(combined + 1e-3 * sim, axis=1)
        for row, (s, b) in enumerate(zip(scores, best)):
            value = float(combined[row, b])
            s.topic_score = round(value, 4)
            s.topic = self.topics[b].name if value >= self.threshold else None
        return vectors
