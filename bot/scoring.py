"""One scoring step: score a batch, store scores and aggregates, then evaluate the rules."""

from __future__ import annotations

import logging
import time

from bot import aggregates, alerting, anomalies, emerging, engagement, store
from bot.aggregates import Window
from rules import engine
from rules.model import Flatline

log = logging.getLogger("sitroom.scoring")


class Evaluator:
    """Reads aggregate windows for the rule engine, keeping closed minutes and hours in memory."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._cache: dict[int, dict[str, float]] = {}
        self._hours: dict[int, dict[str, float]] = {}

    def evaluate(self, touched: set[int]) -> list:
        """Run every rule at the current watermark; returns the alerts that changed.

        `touched`: the minutes this worker just wrote to (empty for a tick of the clock).
        """
        ctx = self.ctx
        now = ctx.store.watermark()
        if not now or not ctx.rules:
            return []
        last = int(now // 60)
        first = last - engine.span_minutes(ctx.rules)
        for m in touched:  # minutes this worker just wrote to are stale in the cache
            self._cache.pop(m, None)
        # Other workers may write to recent minutes too: always reread the last few.
        wanted = [m for m in range(first, last + 1) if m not in self._cache or m > last - 3]
        self._cache.update(ctx.store.load_aggregates(wanted))
        for m in [m for m in self._cache if m < first]:
            del self._cache[m]
        hours = self._load_hours(now, {m // 60 for m in touched})
        flatline = any(isinstance(r, Flatline) for r in ctx.rules)
        sources = {s.name for s in ctx.cfg.sources}  # a channel no longer configured is not watched
        last_seen = {c: t for c, t in ctx.store.last_seen().items() if c in sources} if flatline else {}
        with ctx.store.rules_lock():
            window = Window(
                self._cache,
                hours=hours,
                wall=time.time(),
                last_seen=last_seen,
                emerging=emerging.current(ctx, now),
                tz=ctx.cfg.timezone,
            )
            anomalies.observe(ctx, ctx.rules, window, now)  # feeds complete steps, once each
            actions = engine.evaluate(ctx.rules, window, ctx.store.open_alerts_by_fingerprint(), now)
            return alerting.apply(ctx, actions)

    def _load_hours(self, now: float, touched: set[int]) -> dict[int, dict[str, float]]:
        """The hourly aggregates the rules need; closed hours come from memory."""
        needed = engine.hours_needed(self.ctx.rules, now, self.ctx.cfg.timezone)
        current = int(now // 3600)
        stale = set(touched) | {current}
        if now % 3600 < 300:  # posts of the hour just closed may still be on their way
            stale.add(current - 1)
        wanted = [h for h in needed if h not in self._hours or h in stale]
        if wanted:
            self._hours.update(self.ctx.store.load_hours(wanted))
        for h in [h for h in self._hours if h not in needed]:
            del self._hours[h]
        return self._hours


def process(ctx, scorer, evaluator: Evaluator, storage_keys: list[str]) -> int:
    """Score the posts behind storage_keys, then the engagement updates among them, and run the
    rules; returns how many posts were scored."""
    started = time.perf_counter()
    fresh, updates = store.split_batch(storage_keys)
    scored, touched, behind = _score_new(ctx, scorer, fresh)
    # Counts that changed before a post's first scoring are scored now, as its first update.
    touched |= engagement.rescore(ctx, updates + behind)
    if scored or touched:
        evaluator.evaluate(touched)
    log.debug("scored %d posts and %d updates in %.0f ms", scored, len(updates),
              (time.perf_counter() - started) * 1000)
    return scored


def _score_new(ctx, scorer, storage_keys: list[str]) -> tuple[int, set[int], list[str]]:
    """Score and store new posts: (how many, minutes written to, keys whose counts changed meanwhile)."""
    loaded = ctx.store.load_posts(storage_keys)
    present = [(k, item[0]) for k, item in zip(storage_keys, loaded) if item is not None]
    if not present:
        return 0, set(), []
    keys = [k for k, _ in present]
    posts = [p for _, p in present]
    scores, vectors = _score(scorer, posts)
    # The company's own posts are scored and kept, but they are not what customers say.
    counted = [i for i, p in enumerate(posts) if not ctx.cfg.is_own(p.channel, p.author_id)]
    c_posts, c_scores = [posts[i] for i in counted], [scores[i] for i in counted]
    tags = [engine.tag(ctx.rules, p, sc) for p, sc in zip(c_posts, c_scores)]
    incs = aggregates.increments(c_posts, c_scores, tags)
    tops = [(int(posts[i].created_at // 60), keys[i], scores[i].reach) for i in counted]
    ctx.store.save_scored(
        keys,
        scores,
        incs,
        tops,
        max(p.created_at for p in posts),
        ctx.cfg.retention.aggregates,
        ctx.cfg.retention.posts,
        hourly=aggregates.hourly(incs),
        hourly_ttl=ctx.cfg.retention.hourly,
        vectors=_packed(vectors, keys, counted),
        seen={k: {"t": engagement.first_seen(p), "reach": s.reach} for k, p, s in zip(keys, posts, scores)},
    )
    emerging.observe(ctx, c_posts, c_scores)
    behind = [k for k, p, (counts, _) in zip(keys, posts, ctx.store.observations(keys))
              if counts and counts["t"] > engagement.first_seen(p)]
    return len(posts), {m for m, _ in incs}, behind


def _score(scorer, posts: list) -> tuple[list, object]:
    """Scores, and the sentence vectors the topic detector computed on the way (None without)."""
    if hasattr(scorer, "score_with_vectors"):
        return scorer.score_with_vectors(posts)
    return scorer.score(posts), None


def _packed(vectors, keys: list[str], counted: list[int]) -> dict[str, bytes]:
    """Customer posts' vectors as float16 bytes (768 bytes for MiniLM), for summaries' representative posts."""
    if vectors is None or len(vectors) != len(keys):
        return {}
    import numpy as np

    half = np.asarray(vectors, dtype=np.float16)
    return {keys[i]: half[i].tobytes() for i in counted}
