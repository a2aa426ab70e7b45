"""Per-minute and hourly aggregates: how scored posts become counters, and how rules read them back.

A counter's name is "metric|dim=value|dim=value" with dims in a fixed order, written for
every subset of a post's dims, so any filter plus group-by is one exact lookup. Hourly
counters are the same without the keyword-rule tags; they are kept for weeks, for seasonal
baselines (hour of day, weekday) and for how busy a channel usually is.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

from bot.models import Post, Scores

DIMS = ("channel", "language", "region", "topic")
METRICS = ("n", "neg", "reach")


def field(metric: str, dims: dict[str, str]) -> str:
    return "|".join([metric] + [f"{k}={dims[k]}" for k in sorted(dims)])


def parse_field(name: str) -> tuple[str, dict[str, str]]:
    metric, *parts = name.split("|")
    return metric, dict(p.split("=", 1) for p in parts)


def post_dims(post: Post, scores: Scores) -> dict[str, str]:
    dims = {"channel": post.channel, "language": scores.language}
    if scores.region:
        dims["region"] = scores.region
    if scores.topic:
        dims["topic"] = scores.topic
    return dims


def _subsets(dims: dict[str, str]):
    keys = sorted(dims)
    for size in range(len(keys) + 1):
        for combo in combinations(keys, size):
            yield {k: dims[k] for k in combo}


def increments(
    posts: list[Post], scores: list[Scores], tags: list[list[str]]
) -> dict[tuple[int, str], float]:
    """Counter increments for a scored batch: (minute, field) -> amount.

    `tags` are the keyword rules each post matched; they count as an extra `rule` dim.
    """
    out: dict[tuple[int, str], float] = defaultdict(float)
    for post, s, rule_names in zip(posts, scores, tags):
        minute = int(post.created_at // 60)
        negative = 1.0 if s.sentiment == "negative" else 0.0
        for sub in _subsets(post_dims(post, s)):
            out[(minute, field("n", sub))] += 1
            out[(minute, field("neg", sub))] += negative
            out[(minute, field("reach", sub))] += s.reach
            for rule in rule_names:
                out[(minute, field("n", {**sub, "rule": rule}))] += 1
    return dict(out)


def hourly(minute_increments: dict[tuple[int, str], float]) -> dict[tuple[int, str], float]:
    """The hourly counterpart of per-minute increments: (hour, field) -> amount.

    Keyword-rule tags are left out: they depend on the rules of the moment, and no rule reads
    them back by the hour.
    """
    out: dict[tuple[int, str], float] = defaultdict(float)
    for (minute, name), value in minute_increments.items():
        if "|rule=" not in name:
            out[(minute // 60, name)] += value
    return dict(out)


class Window:
    """What the rule engine sees, read-only: per-minute aggregates (event time) with the sums rules
    ask for, hourly aggregates for seasonal baselines, when each channel last had a post (for
    flatline), the emerging topics (for new_topic) and the anomaly rules' newest scores."""

    def __init__(
        self,
        minutes: dict[int, dict[str, float]],
        hours: dict[int, dict[str, float]] | None = None,  # hour number (unix s // 3600) -> field -> value
        wall: float | None = None,  # the clock silence is measured on; None = the evaluation's event time
        last_seen: dict[str, float] | None = None,  # channel -> time of its newest post, on that clock
        emerging: list | None = None,  # detectors.emerging topics at this time
        tz: str | None = None,  # the time zone "time of day" and "weekday" mean; None = UTC
        anomalies: dict[str, dict[tuple, dict]] | None = None,  # rule -> group -> {t, score, value, count, expected, rows}
    ):
        self.minutes = minutes
        self.hours = hours or {}
        self.wall = wall
        self.last_seen = last_seen or {}
        self.emerging = emerging or []
        self.tz = ZoneInfo(tz or "UTC")
        self.anomalies = anomalies if anomalies is not None else {}  # filled by rules.anomaly's callers
        self._parsed: dict[int, list[tuple[str, dict[str, str], float]]] = {}

    def _rows(self, minute: int):
        if minute not in self._parsed:
            self._parsed[minute] = [(*parse_field(f), v) for f, v in self.minutes.get(minute, {}).items()]
        return self._parsed[minute]

    def total(self, metric: str, dims: dict[str, str], first: int, last: int) -> float:
        """Sum of one counter over minutes first..last (inclusive)."""
        name = field(metric, dims)
        return sum(self.minutes.get(m, {}).get(name, 0.0) for m in range(first, last + 1))

    def groups(self, metric: str, dims: dict[str, str], group_by: list[str], first: int, last: int) -> dict[tuple, float]:
        """Sums per value of the group-by dims, for counters that match `dims` exactly otherwise."""
        if not group_by:
            return {(): self.total(metric, dims, first, last)}
        wanted = set(dims) | set(group_by)
        out: dict[tuple, float] = defaultdict(float)
        for m in range(first, last + 1):
            for met, d, v in self._rows(m):
                if met != metric or set(d) != wanted or any(d[k] != dims[k] for k in dims):
                    continue
                out[tuple(d[g] for g in group_by)] += v
        return dict(out)

    def hour_total(self, metric: str, dims: dict[str, str], hour: int) -> float:
        """One hourly counter (hour = unix seconds // 3600)."""
        return self.hours.get(hour, {}).get(field(metric, dims), 0.0)

    def has_history(self, hour: int) -> bool:
        """Whether anything at all was counted in this hour: an hour without any post is taken
        as an hour sitroom was not running, not as an hour of silence."""
        return self.hours.get(hour, {}).get("n", 0.0) > 0

    def past(self, metric: str, dims: dict[str, str], first: int, minutes: int, days: int) -> float | None:
        """A counter over `minutes` minutes from `first`, `days` days earlier at the same local time
        of day, from the hourly counters prorated by the minutes within each hour; None when an hour
        it spans has no history."""
        start = days_back(first, days, self.tz)
        total = 0.0
        for hour in hours_of(start, minutes):
            if not self.has_history(hour):
                return None
            overlap = min(start + minutes, hour * 60 + 60) - max(start, hour * 60)
            total += self.hour_total(metric, dims, hour) * overlap / 60
        return total


def days_back(minute: int, days: int, tz: ZoneInfo) -> int:
    """The same local time of day `days` days earlier, as a minute number (so DST changes do not
    shift the hour of day)."""
    local = datetime.fromtimestamp(minute * 60, tz)
    return int((local - timedelta(days=days)).timestamp() // 60)  # aware arithmetic is on the wall clock


def hours_of(first: int, minutes: int) -> range:
    """The hours (unix seconds // 3600) that `minutes` minutes from minute `first` touch."""
    return range(first // 60, (first + minutes - 1) // 60 + 1)
