"""Emerging topics: what customers start talking about that no configured topic covers.

The scoring step feeds `observe`; the rule engine reads `current`. The detector's history lives in
Redis (bot/store.py, section "emerging"), so every worker sees the same counts and a restarted
worker finds the topics already named under the same id and name (no second alert); the detection
itself is detectors.emerging.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from detectors import emerging as detector
from detectors.emerging import POSTS_FIELD, EmergingTopic, Record, Settings

log = logging.getLogger("sitroom.emerging")
SETTINGS = Settings()
MARGIN = 3600  # keys outlive their last reader by this much: late posts, slow workers
MAX_CACHED_TERMS = 50_000  # baseline sums kept per process before starting afresh


def observe(ctx, posts: list, scores: list) -> None:
    """Feed a scored batch (customer posts only): term counts and post records per bucket, one round trip."""
    s = SETTINGS
    records = [detector.record(p, sc, s.max_terms) for p, sc in zip(posts, scores) if detector.feeds(sc)]
    if not records:
        return
    lines: dict[int, list[str]] = defaultdict(list)
    for r in records:
        lines[int(r.at // s.bucket)].append(r.dumps())
    counts = detector.bucketed(records, s.bucket)
    ctx.store.add_emerging(counts, lines, s.baseline + s.window + MARGIN, _horizon(ctx) + s.bucket + MARGIN)


def current(ctx, now: float) -> list[EmergingTopic]:
    """The emerging topics at event time `now`, for the rule engine (rules of type new_topic).

    Recomputed at most once per event-time minute. Callers hold the rules lock, so one process
    at a time names topics.
    """
    state = _state(ctx)
    minute = int(now // 60)
    if state.minute == minute:
        return state.topics
    s = SETTINGS
    horizon = _records(ctx, state, now, _horizon(ctx))
    window = [r for r in horizon if r.at > now - s.window]
    buckets = detector.baseline_buckets(now, s)
    bursts = detector.find(window, lambda terms: state.baseline.lookup(ctx.store, buckets, terms), state.known, s)
    topics: list[EmergingTopic] = []
    if bursts:
        registry = ctx.store.emerging_topics()
        topics, changed = detector.name(bursts, window, horizon, registry, now, s)
        ctx.store.save_emerging_topics(changed, detector.forget(registry, now, s))
        for t in topics:
            if t.first_seen == now:
                log.info("emerging topic named: %r (%d posts, %.1f expected)", t.name, t.count, t.baseline)
    state.minute, state.topics = minute, topics
    return topics


def examples(ctx, name: str) -> list[str]:
    """Representative post keys (source:id) of the current emerging topic with this name, best first."""
    return next((list(t.post_keys) for t in _state(ctx).topics if t.name == name), [])


def known_terms(ctx) -> detector.KnownTerms:
    """The configured topics' keywords and the organisation's names, compiled once per context."""
    return _state(ctx).known


def _horizon(ctx) -> int:
    return detector.horizon_of(ctx.rules or (), SETTINGS)


class _Baseline:
    """Term counts summed over the baseline buckets, slid along as time passes."""

    def __init__(self):
        self.range = range(0)
        self.sums: dict[str, int] = {}

    def lookup(self, store, buckets: range, terms: list[str]) -> tuple[dict[str, int], int]:
        if buckets != self.range:
            self._slide(store, buckets)
        missing = [t for t in [POSTS_FIELD, *terms] if t not in self.sums]
        if missing:
            self.sums.update(store.emerging_sums(buckets, missing))
        return {t: self.sums[t] for t in terms}, self.sums[POSTS_FIELD]

    def _slide(self, store, buckets: range) -> None:
        """Move to new buckets: subtract the ones left behind, add the new ones (closed buckets don't change)."""
        old, self.range = self.range, buckets
        overlap = old and buckets.start < old.stop and old.start < buckets.stop
        if not overlap or len(self.sums) > MAX_CACHED_TERMS:
            self.sums = {}
            return
        terms = list(self.sums)
        gone = store.emerging_sums([b for b in old if b not in buckets], terms)
        new = store.emerging_sums([b for b in buckets if b not in old], terms)
        for t in terms:
            self.sums[t] += new[t] - gone[t]


class _State:
    """What one process keeps between evaluations."""

    def __init__(self, known):
        self.known = known
        self.minute: int | None = None
        self.topics: list[EmergingTopic] = []
        self.closed: dict[int, list[Record]] = {}  # records of buckets no post is expected for anymore
        self.baseline = _Baseline()


def _state(ctx) -> _State:
    """The process's state for this context (a new context, as after a restart, starts empty)."""
    state = ctx.__dict__.get("_emerging_state")
    if state is None:
        state = ctx.__dict__["_emerging_state"] = _State(detector.KnownTerms.from_config(ctx.cfg))
    return state


def _records(ctx, state: _State, now: float, horizon: int) -> list[Record]:
    """The records of the posts in (now - horizon, now]; closed buckets are read once."""
    bucket = SETTINGS.bucket
    wanted = range(int((now - horizon) // bucket), int(now // bucket) + 1)
    for b in [b for b in state.closed if b < wanted.start]:
        del state.closed[b]
    fetched = ctx.store.emerging_records([b for b in wanted if b not in state.closed])
    out: list[Record] = []
    for b in wanted:
        records = state.closed.get(b)
        if records is None:
            records = [Record.loads(raw) for raw in fetched[b]]
            if (b + 2) * bucket <= now:  # a whole bucket past its end: late posts have landed
                state.closed[b] = records
        out.extend(r for r in records if now - horizon < r.at <= now)
    return out
