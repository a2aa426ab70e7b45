"""The post detectors in order, built from the configuration."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from bot.config import Config
from bot.models import Post, Scores
from detectors import PostDetector
from detectors import gazetteer
from detectors.embedder import Embedder
from detectors.language import LanguageDetector
from detectors.reach import ReachDetector
from detectors.region import RegionDetector
from detectors.sentiment import SentimentAnalyzer, sentiment_model
from detectors.topics import TopicDetector


class Scorer:
    """Runs every post detector over a batch; language first, since others read it."""

    def __init__(self, detectors: list[PostDetector]):
        self.detectors = list(detectors)

    @classmethod
    def from_config(cls, cfg: Config, embedder: Embedder | None = None) -> "Scorer":
        """Build the detectors of `cfg`, loading the embedding model unless one is given."""
        if embedder is None:
            embedder = Embedder.load(cfg.detectors.topics.model)
        return cls([make() for _, make in cls.builders(cfg, embedder)])

    @staticmethod
    def builders(cfg: Config, embedder: Embedder) -> list[tuple[str, Callable[[], PostDetector]]]:
        """(name, how to make it) for each detector of `cfg`, in scoring order (`make bench` measures each)."""
        settings = cfg.detectors
        gazetteer_of = lambda g: gazetteer.load(tuple(g.countries), g.min_population) if g.countries else None  # noqa: E731
        return [
            ("language", lambda: LanguageDetector(cfg.languages())),
            ("topics", lambda: TopicDetector(cfg.topics, embedder, settings.topics.threshold,
                                             margin=settings.topics.margin, organisation=cfg.organisation,
                                             model_languages=settings.topics.understood())),
            # After topics: the default sentiment head reads the embeddings the topics computed.
            ("sentiment", lambda: SentimentAnalyzer(sentiment_model(cfg), embedder, batch_size=settings.batch_size)),
            ("region", lambda: RegionDetector(cfg.regions, cfg.sources, gazetteer_of(settings.gazetteer))),
            ("reach", lambda: ReachDetector(settings.reach)),
        ]

    def score(self, posts: list[Post]) -> list[Scores]:
        """One `Scores` per post, same order."""
        return self.score_with_vectors(posts)[0]

    def score_with_vectors(self, posts: list[Post], seconds: dict[str, float] | None = None
                           ) -> tuple[list[Scores], np.ndarray | None]:
        """Scores plus the post embeddings the topic detector computed (None without one).

        `seconds`, when given, adds up the time each detector took (by name)."""
        scores = [Scores() for _ in posts]
        vectors = None
        for detector in self.detectors:
            started = time.perf_counter()
            if isinstance(detector, TopicDetector):
                vectors = detector.score_with_vectors(posts, scores)
            elif isinstance(detector, SentimentAnalyzer):
                detector.score(posts, scores, vectors)  # embeds itself only if no topic detector did
            else:
                detector.score(posts, scores)
            if seconds is not None:
                seconds[detector.name] = seconds.get(detector.name, 0.0) + time.perf_counter() - started
        return scores, vectors
