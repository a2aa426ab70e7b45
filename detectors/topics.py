"""Known topics: keyword evidence plus calibrated similarity to each topic's description and examples.

Every post gets a score per topic (multi-label) and, when one topic clearly wins, that topic:
- a configured keyword is certain evidence: score KEYWORD_SCORE (1.0);
- otherwise the sentence model's similarity to the topic's description and examples, calibrated
  per topic and language: 0.5 is what 90% of everyday posts (topics_background) and of the other
  topics' examples stay below, 1.0 what the topic's own examples reach among themselves. A raw
  cosine says little on its own: German posts all look alike to an English sentence model, so a
  fixed threshold routed German small talk to whichever topic had the most German-sounding examples.
Routing by similarity alone needs the calibrated threshold (0.5) and a margin over the runner-up,
and only in languages where the model tells the topics apart. docs/topics.md has the details.
"""

from __future__ import annotations

import re

import numpy as np

from bot.config import Topic
from bot.models import Post, Scores
from detectors.embedder import Embedder
from detectors.topics_background import BACKGROUND

KEYWORD_SCORE = 1.0  # a configured keyword is certain evidence
SIMILARITY_CAP = 0.99  # similarity alone never counts as a keyword hit (emerging topics rely on it)
UNSEPARABLE_CAP = 0.45  # where similarity cannot tell a topic apart, it cannot route alone
MARGIN = 0.05  # similarity-only routing: calibrated lead over the runner-up
REPORT_FLOOR = 0.25  # topic scores below this are left out of Scores.topic_scores
ANY = "*"  # calibration for posts of a language without examples (or undetermined)
QUANTILE = 0.9  # of everyday posts and other topics' examples, the share scoring below 0.5
MIN_SPREAD = 0.1  # calibrated 0.5 → 1.0 spans at least this much cosine similarity
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


class Calibration:
    """Per language: maps a topic's raw similarity to a score, `low` → 0.5 and `high` → 1.0.

    Where `separable` is False, similarity cannot tell topics apart in that language (most topics'
    examples are no closer to each other than to everyday posts, or the model is configured not to
    know it): the score stays below 0.5, so it shows in the multi-label scores but never routes.
    """

    def __init__(self, low: dict[str, np.ndarray], high: dict[str, np.ndarray], separable: dict[str, np.ndarray]):
        self.low, self.high, self.separable = low, high, separable

    def apply(self, sims: np.ndarray, languages: list[str]) -> np.ndarray:
        """(posts, topics) raw similarities → calibrated scores from 0, not capped above (the
        strength routing compares); below 0.5 where similarity cannot tell topics apart."""
        if not len(sims):
            return sims
        rows = [lang if lang in self.low else ANY for lang in languages]
        low = np.stack([self.low[r] for r in rows])
        high = np.stack([self.high[r] for r in rows])
        cap = np.where(np.stack([self.separable[r] for r in rows]), np.inf, UNSEPARABLE_CAP)
        return np.clip(0.5 + 0.5 * (sims - low) / (high - low), 0.0, cap)


def _without(text: str, name: str) -> str:
    """The text without the organisation's name (Telvia, Telvia-Link → Link)."""
    return re.sub(rf"@?{re.escape(name)}\b-?", "", text, flags=re.I).strip() if name.strip() else text


def calibrate(examples: np.ndarray, background: dict[str, np.ndarray], owners: np.ndarray, langs: list[str],
              understood: set[str] | None, quantile: float = QUANTILE) -> Calibration:
    """A Calibration from topic similarities: `examples` (prototypes, topics) with each prototype
    left out of its own topic, `background` (everyday posts, topics) per language. Prototypes in
    language ANY (descriptions) count for every language; `understood` (None: all) are the
    languages where similarity may route."""
    n = examples.shape[1]
    low, high, separable = {}, {}, {}
    for lang, everyday in background.items():
        in_lang = np.array([p in (lang, ANY) for p in langs], dtype=bool)
        lo, hi, ok = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, bool)
        for i in range(n):
            others = np.concatenate([everyday[:, i], examples[in_lang & (owners != i), i]])
            lo[i] = np.quantile(others, quantile)
            mine = examples[in_lang & (owners == i), i]
            mine = mine[mine > -1.0]
            ok[i] = bool(len(mine)) and mine.mean() > lo[i]
            hi[i] = max(float(mine.mean()) if len(mine) else 0.0, lo[i] + MIN_SPREAD)
        low[lang], high[lang] = lo, hi
        # A language the model tells topics apart in: most topics' examples are closer to each other
        # than everyday posts are (few examples make single topics noisy, so judge the language).
        judged = [ok[i] for i in range(n) if (in_lang & (owners == i)).sum() > 1]
        allowed = understood is None or lang in understood
        separable[lang] = np.full(n, allowed and (np.mean(judged) >= 0.5 if judged else True))
    first = next(iter(background))
    usable = [lang for lang in background if separable[lang].any()] or [first]
    best = usable[0]  # posts of no known language: as the first language the model understands
    low[ANY], high[ANY], separable[ANY] = low[best], high[best], separable[best]
    return Calibration(low, high, separable)


class TopicDetector:
    """Fills scores.topic, scores.topic_score and scores.topic_scores."""

    name = "topics"

    def __init__(self, topics: list[Topic], embedder: Embedder | None, threshold: float = 0.5,
                 margin: float = MARGIN, organisation: str = "", model_languages: list[str] | None = None,
                 quantile: float = QUANTILE):
        """model_languages: where the sentence model's similarity may route (None: every language)."""
        self.topics = list(topics)
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        # Every configured language's keywords apply to every post: short posts are often
        # detected wrongly, and telecom keywords rarely mean something else in the other language.
        self._keywords: list[re.Pattern | None] = []
        for t in self.topics:
            parts = [term_pattern(k, lang) for lang, kws in t.keywords.items() for k in kws]
            self._keywords.append(re.compile("|".join(parts)) if parts else None)
        texts, owners, langs = [], [], []
        for i, t in enumerate(self.topics):
            for text, lang in [(t.description, ANY), *((e, lang) for lang, exs in t.examples.items() for e in exs)]:
                texts.append(text)
                owners.append(i)
                langs.append(lang)
        self._owners = np.asarray(owners, dtype=np.int64)
        background = {lang: [b.replace("{org}", organisation) for b in items if organisation or "{org}" not in b]
                      for lang, items in BACKGROUND.items()}
        self._examples = None
        self.calibration: Calibration | None = None
        if embedder is None or not texts:
            return
        # The company's name is in posts about anything: in the examples it would only make every
        # post that names the company look like the topics whose examples name it most.
        self._examples = embedder.encode([_without(t, organisation) for t in texts])
        understood = None if model_languages is None else set(model_languages)
        self.calibration = calibrate(self.similarities(self._examples, exclude_self=True),
                                     {lang: self.similarities(embedder.encode(b)) for lang, b in background.items()},
                                     self._owners, langs, understood, quantile)

    def _by_topic(self, sims: np.ndarray, exclude_self: bool = False) -> np.ndarray:
        """(texts, prototypes) → (texts, topics): the best over each topic's prototypes."""
        if exclude_self:
            sims = sims.copy()
            np.fill_diagonal(sims, -1.0)  # a prototype is not evidence for itself
        out = np.full((len(sims), len(self.topics)), -1.0, dtype=np.float32)
        for i in range(len(self.topics)):
            if (self._owners == i).any():
                out[:, i] = sims[:, self._owners == i].max(axis=1)
        return out

    def keyword_hits(self, text: str) -> np.ndarray:
        """1.0 for each topic one of whose keywords occurs in the text, else 0."""
        folded = fold(text)
        return np.array([KEYWORD_SCORE if p is not None and p.search(folded) else 0.0 for p in self._keywords])

    def similarities(self, vectors: np.ndarray, exclude_self: bool = False) -> np.ndarray:
        """(posts, topics): each topic's best cosine similarity over its description and examples.

        exclude_self: `vectors` are the topics' own prototypes, each not compared with itself.
        """
        if self._examples is None or not len(vectors):
            return np.zeros((len(vectors), len(self.topics)), dtype=np.float32)
        return self._by_topic(vectors @ self._examples.T, exclude_self)

    def topic_scores(self, texts: list[str], vectors: np.ndarray | None,
                     languages: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keyword hits, raw similarities, calibrated similarities), each (posts, topics)."""
        n = len(self.topics)
        hits = np.stack([self.keyword_hits(t) for t in texts]) if texts else np.zeros((0, n))
        if vectors is None or self.calibration is None or not n:
            return hits, np.zeros_like(hits), np.zeros_like(hits)
        sims = self.similarities(vectors)
        return hits, sims, self.calibration.apply(sims, languages)

    @staticmethod
    def scores(hits: np.ndarray, calibrated: np.ndarray) -> np.ndarray:
        """Each topic's score, 0..1: KEYWORD_SCORE on a keyword, else the calibrated similarity
        (at most SIMILARITY_CAP: similarity alone never looks like a keyword)."""
        return np.maximum(hits, np.minimum(calibrated, SIMILARITY_CAP))

    def route(self, hits: np.ndarray, sims: np.ndarray, calibrated: np.ndarray) -> int | None:
        """The one topic of a post (index), or None: a keyword (the closest meaning among several),
        else a calibrated similarity of at least the threshold with a margin over the runner-up."""
        if not len(hits):
            return None
        if hits.max() >= KEYWORD_SCORE:
            return int(np.argmax(np.where(hits >= KEYWORD_SCORE, sims, -np.inf)))
        best = int(np.argmax(calibrated))
        runner_up = np.delete(calibrated, best).max() if len(calibrated) > 1 else 0.0
        value = calibrated[best]
        return best if value >= self.threshold and value - runner_up >= self.margin else None

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
        hits, sims, calibrated = self.topic_scores([p.text for p in posts], vectors, [s.language for s in scores])
        matrix = self.scores(hits, calibrated)
        for row, s in enumerate(scores):
            best = self.route(hits[row], sims[row], calibrated[row])
            shown = best if best is not None else int(np.argmax(matrix[row]))
            s.topic = self.topics[best].name if best is not None else None
            s.topic_score = round(float(matrix[row, shown]), 4)
            s.topic_scores = {t.name: round(float(v), 4) for t, v in zip(self.topics, matrix[row]) if v >= REPORT_FLOOR}
        return vectors
