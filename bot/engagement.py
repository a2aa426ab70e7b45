"""Engagement updates: a stored post's newer counts rescored, its reach velocity measured.

A post's reach is an estimate from its followers and engagement (detectors/reach.py). When the
same post arrives again with other counts (bot/ingest.py), the worker recomputes its reach, moves
its aggregates and top-post entry by the difference (so stored totals stay the sum of current
reaches, counted in the post's created minute), and measures how fast it grew since its previous
observation. viral_post rules with velocity_above count a fast-growing post in the minute of the
update, however old the post is; the ordinary rule evaluation then fires.
"""

from __future__ import annotations

from dataclasses import replace

from bot import aggregates
from detectors.reach import ReachDetector
from rules import engine

MIN_MINUTES = 1 / 60  # observations a second apart or less: too close to measure a rate


def rescore(ctx, keys: list[str]) -> set[int]:
    """Score the newest counts of these posts (storage keys); returns the minutes written to."""
    reach = ReachDetector(ctx.cfg.detectors.reach)
    retention = ctx.cfg.retention
    touched: set[int] = set()
    for key in dict.fromkeys(keys):  # the same post twice in a batch is one update

        def change(post, scores, counts, seen):
            return plan(ctx.cfg, ctx.rules, reach, post, scores, counts, seen)

        out = ctx.store.apply_update(key, change, retention.aggregates, retention.hourly, retention.posts)
        if out is not None:
            touched |= {m for m, _ in out["minutes"]} | {int(out["at"] // 60)}
    return touched


def first_seen(post) -> float:
    """When the counts a post was first scored with were read: on receipt, else its creation."""
    return post.observed_at if post.observed_at is not None else post.created_at


def previous(post, scores, seen: dict | None) -> tuple[float, float]:
    """(t, reach) of the observation scored last: the post as first scored, until updated."""
    if seen:
        return seen["t"], seen["reach"]
    return first_seen(post), scores.reach


def plan(cfg, rules: list, reach: ReachDetector, post, scores, counts: dict | None, seen: dict | None) -> dict | None:
    """What an update writes (see Store.apply_update), or None when the newest counts are scored already.

    Pure: bot/simulate.py applies the same plan to its in-memory aggregates."""
    before_t, before = previous(post, scores, seen)
    if counts is None or counts["t"] <= before_t:
        return None
    t = counts["t"]
    now = replace(post, followers=int(counts["followers"]), likes=int(counts["likes"]), shares=int(counts["shares"]),
                  replies=int(counts["replies"]), observed_at=t)
    after = reach.reach(now)
    velocity = (after - before) / max((t - before_t) / 60, MIN_MINUTES)
    out = {"post": now, "scores": replace(scores, reach=after), "seen": {"t": t, "reach": after},
           "minutes": {}, "hours": {}, "top": None, "velocity": None, "at": t}
    if cfg.is_own(post.channel, post.author_id):  # the company's own posts are not what customers say
        return out
    # The reach counters move by the difference in the post's created minute, as first counted there.
    delta = aggregates.increments([post], [replace(scores, reach=after - scores.reach)], [[]])
    minutes = {k: v for k, v in delta.items() if k[1].startswith("reach") and v}
    # Growth is news in the minute it is seen: the rule counts the post there, like a new one.
    names = engine.tag_growth(rules, before, after, velocity)
    if names:
        seen_then = aggregates.increments([replace(post, created_at=t)], [scores], [names])
        minutes.update({k: v for k, v in seen_then.items() if "|rule=" in k[1]})
    out.update(minutes=minutes, hours=aggregates.hourly(minutes), top=(int(post.created_at // 60), after))
    if velocity > 0:
        out["velocity"] = (int(t // 60), velocity)
    return out
