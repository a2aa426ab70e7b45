"""Pure scoring and signal detection: no Redis, no network, no chat code.

Two kinds of detector live here:
- post detectors (`PostDetector`) fill in fields of `Scores` for a batch of posts;
- signal functions (`anomaly`) read aggregate series and say whether something is unusual.
The worker feeds them and stores what they return.
"""

from __future__ import annotations

from typing import Protocol

from bot.models import Post, Scores


class PostDetector(Protocol):
    """Scores a batch of posts in place: one `Scores` per post, same order."""

    name: str

    def score(self, posts: list[Post], scores: list[Scores]) -> None: ...
