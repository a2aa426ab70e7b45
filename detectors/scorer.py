"""The post detectors in order, built from the configuration."""

from __future__ import annotations

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
        settings = cfg.detectors
        if embedder is None:
            embedder = Embedder.load(settings.topics.model)
        return cls(
            [
                LanguageDetector(cfg.languages()),
                TopicDetector(cfg.topics, embedder, settings.topics.threshold, margin=settings.topics.margin,
                              organisation=cfg.organisation, model_languages=settings.topics.understood()),
                # After topics: the default sentiment head reads the embeddings the topics computed.
                SentimentAnalyzer(sentiment_model(cfg), embedder, batch_size=settings.batch_size),
                RegionDetector(cfg.regions, cfg.sources, gazetteer.load(tuple(settings.gazetteer.countries),
                                                                        settings.gazetteer.min_population)
                               if settings.gazetteer.countries else None),
                ReachDetector(settings.reach),
            ]
        )

    def score(self, posts: list[Post]) -> list[Scores]:
        """One `Scores` per post, same order."""
        return self.score_with_vectors(posts)[0]

    def score_with_vectors(self, posts: list[Post]) -> tuple[list[Scores], np.ndarray | None]:
        """Scores plus the post embeddings the topic detector computed (None without one)."""
        scores = [Scores() for _ in posts]
        vectors = None
        for detector in self.detectors:
            if isinstance(detector, TopicDetector):
                vectors = detector.score_with_vectors(posts, scores)
            elif isinstance(detector, SentimentAnalyzer):
                detector.score(posts, scores, vectors)  # embeds itself only if no topic detector did
            else:
                detector.score(posts, scores)
        return scores, vectors
