"""The series of anomaly rules: one detector per group, fed each complete step once, in order.

Pure: the caller brings the per-minute aggregates (a Window) and the series it kept, and keeps
what comes back: bot/anomalies.py in Redis, bot/simulate.py in memory. So workers, `sitroom
rules test` and `sitroom rules backtest` feed the detectors in exactly the same way.

Step k of a rule covers the minutes [k·m, (k+1)·m) (m = the step in minutes, which divides an
hour, so steps start on the clock's full hour). It is complete once the newest minute is
GRACE_MINUTES past its end: posts a little late still count.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from zoneinfo import ZoneInfo

from detectors.anomaly import STATE_VERSION, Detector

GRACE_MINUTES = 1  # a step is fed once the newest post is this far past its end
CATCH_UP = 86400  # at most this much of missed steps is fed; older ones are skipped, like gaps
FORGET = 14 * 86400  # a series without a single post for this long is dropped
_METRIC = {"count": "n", "negative_count": "neg", "reach": "reach"}


@dataclass
class Series:
    """One group's detector and what its newest step gave."""

    detector: Detector | None = None
    t: int = 0  # start (unix s) of the newest step fed
    seen: int = 0  # start of the newest step with a post of this group
    score: float = 0.0
    value: float | None = None  # None: nothing to score (a gap, or a share without posts)
    count: float = 0.0  # posts of the group in the step
    expected: float | None = None  # what the detector considered normal before it saw the value

    def latest(self) -> dict:
        """What the rule engine reads (Window.anomalies)."""
        rows = self.detector.rows if self.detector else 0
        return {"t": self.t, "score": self.score, "value": self.value, "count": self.count, "expected": self.expected,
                "rows": rows}

    def to_json(self) -> dict:
        return {"state": self.detector.state() if self.detector else None, "seen": self.seen, **self.latest()}

    @classmethod
    def from_json(cls, raw: dict) -> Series:
        state = raw.get("state")
        return cls(Detector.from_state(state) if state else None, int(raw["t"]), int(raw.get("seen", 0)),
                   float(raw.get("score", 0.0)), raw.get("value"), float(raw.get("count", 0.0)), raw.get("expected"))


@dataclass
class Book:
    """All series of one rule, and the newest step fed (None before the first)."""

    fed: int | None = None
    series: dict[tuple, Series] = field(default_factory=dict)
    dropped: list[tuple] = field(default_factory=list)  # series forgotten by the last feed


def latest_step(step_s: int, minute: int) -> int:
    """The newest complete step when the newest post is in `minute` (unix s // 60)."""
    return (minute - GRACE_MINUTES) // (step_s // 60) - 1


def pending(rule, fed: int | None, minute: int) -> range:
    """The steps a feed at `minute` will read, oldest first: after `fed`, at most CATCH_UP of them."""
    last = latest_step(rule.step, minute)
    first = last - CATCH_UP // rule.step + 1
    if fed is not None:
        first = max(first, fed + 1)
    return range(first, last + 1)


def minutes_of(rule, steps: range) -> range:
    """The minutes those steps cover."""
    m = rule.step // 60
    return range(steps.start * m, steps.stop * m)


def signature(rule) -> str:
    """What the series mean: when it changes (a new metric, step or match, or a detector that keeps
    its state differently after an upgrade), they start afresh."""
    return json.dumps([rule.metric, rule.step, rule.match.dims(), list(rule.group_by), STATE_VERSION], sort_keys=True)


def feed(rule, book: Book, window, minute: int, tz: str | None = None) -> bool:
    """Feed every pending step to the rule's series (Window: per-minute aggregates covering them);
    False when no step was pending."""
    steps = pending(rule, book.fed, minute)
    if not steps:
        return False
    zone = ZoneInfo(tz or "UTC")
    book.dropped = []
    for k in steps:
        _feed_step(rule, book, window, k, zone)
        book.fed = k
    return True


def latest(book: Book) -> dict[tuple, dict]:
    """Each series' newest step, as the rule engine reads it."""
    return {group: s.latest() for group, s in book.series.items()}


def values(rule, window, k: int) -> tuple[dict[tuple, tuple[float, float]], bool]:
    """(group -> (value, posts)) for step k, and whether sitroom counted anything at all in it."""
    m = rule.step // 60
    first, last = k * m, k * m + m - 1
    if window.total("n", {}, first, last) <= 0:
        return {}, False
    dims = rule.match.dims()
    counts = {g: n for g, n in window.groups("n", dims, rule.group_by, first, last).items() if n > 0}
    if rule.metric == "negative_share":
        negatives = window.groups("neg", dims, rule.group_by, first, last)
        return {g: (negatives.get(g, 0.0) / n, n) for g, n in counts.items()}, True
    sums = counts if rule.metric == "count" else window.groups(_METRIC[rule.metric], dims, rule.group_by, first, last)
    return {g: (sums.get(g, 0.0), n) for g, n in counts.items()}, True


def expected(d: Detector, t: float) -> float | None:
    """What the detector considers normal at t: its seasonal level when the profile explains the
    series, else the median of its recent values (None before any)."""
    season = d.season
    if season is not None and season.useful():
        level, ready = season.residual(t)
        if ready:
            return level
    return median(d.recent) if d.recent else None


def _feed_step(rule, book: Book, window, k: int, zone: ZoneInfo) -> None:
    t = k * rule.step
    found, counted = values(rule, window, k)
    # Hours and weekdays are local; the offset changes with daylight saving time, so it is set
    # for every row (the detector reads it as an attribute, for the day's hours and the weekday).
    offset = datetime.fromtimestamp(t, zone).utcoffset().total_seconds()
    share = rule.metric == "negative_share"
    for group in found.keys() - book.series.keys():
        book.series[group] = Series()
    for group, s in list(book.series.items()):
        value, count = found.get(group, (math.nan if share else 0.0, 0.0))
        s.t, s.count, s.score = t, count, 0.0
        if count > 0:
            s.seen = t
        elif counted and t - s.seen > FORGET:  # gone quiet for good (a renamed region, an old channel)
            del book.series[group]
            book.dropped.append(group)
            continue
        if not counted or math.isnan(value):  # nothing counted at all: sitroom was not running, not silence
            s.value, s.expected = None, None
            continue
        if s.detector is None:
            s.detector = Detector(utc_offset=offset)
        d = s.detector
        d.set_utc_offset(offset)
        s.expected = expected(d, t)
        s.value = value
        s.score = d.update(t, value)
