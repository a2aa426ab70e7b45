"""Emerging topics: what customers start talking about that no configured topic covers.

Hooks the scoring step calls; the detection itself lives in detectors.emerging.
"""

from __future__ import annotations


def observe(ctx, posts: list, scores: list) -> None:
    """Feed a scored batch (customer posts only) to the emerging-topic detector."""


def current(ctx, now: float) -> list:
    """The emerging topics at event time `now`, for the rule engine (rules of type new_topic)."""
    return []
