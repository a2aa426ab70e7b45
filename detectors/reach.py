"""Reach: an estimate of how many people saw a post."""

from __future__ import annotations

from bot.config import ReachSettings
from bot.models import Post, Scores


class ReachDetector:
    """Fills scores.reach: followers plus weighted shares, replies and likes."""

    name = "reach"

    def __init__(self, settings: ReachSettings | None = None):
        self.settings = settings or ReachSettings()

    def reach(self, post: Post) -> float:
        """People reached: each share, reply or like shows the post to some more people."""
        s = self.settings
        # Platforms sometimes send negative or missing counters; they must not lower reach.
        return float(
            max(post.followers, 0)
            + max(post.shares, 0) * s.share_weight
            + max(post.replies, 0) * s.reply_weight
            + max(post.likes, 0) * s.like_weight
        )

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Fill in the reach of each post."""
        for post, s in zip(posts, scores):
            s.reach = self.reach(post)
