"""The scoring → aggregates → rule engine path in memory, on simulated (event) time.

What `sitroom rules test` and `sitroom rules backtest` run: no Redis, no workers, no chat.
Posts come in already scored; the simulation counts them like bot/scoring.py does (the
company's own posts are not counted, keyword and viral rules tag posts), keeps per-minute and
hourly aggregates, and evaluates the rules at the end of every minute of event time, also
through minutes without posts, so that silence and resolution happen on time.

The same post (source and id) again with other engagement counts and an `observed_at` later
than the counts before is an engagement update, applied in the minute it was observed as
bot/engagement.py does it (reach rescored, reach velocity for viral_post rules); a repeat
without `observed_at` cannot be placed in time and is a duplicate.

It reports when the rule ENGINE fires and resolves. Noise control (group_wait, inhibition,
silences, maintenance windows) decides later which of these changes reach people; it is not
simulated here.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from bot import aggregates, engagement
from bot.aggregates import Window
from bot.config import Config
from bot.models import Alert, AlertStatus, Post, Scores, Severity
from bot.store import counts_of
from detectors.reach import ReachDetector
from rules import anomaly, engine
from rules.model import Anomaly

TICK_OFFSET = 59  # the engine's clock at the end of minute m is m*60 + 59: minute m is the newest one it sees


@dataclass(frozen=True)
class Change:
    """One line of the timeline: an alert fired, changed its numbers or severity, or resolved."""

    at: float  # event time of the evaluation
    change: str  # fired / updated / resolved
    alert_id: int
    rule: str
    labels: dict[str, str]
    departments: list[str]
    severity: Severity
    current: float
    baseline: float | None


@dataclass
class Record:
    """An alert's life in the simulation, for reports: when it fired, resolved, and its largest value."""

    alert: Alert
    fired_at: float
    resolved_at: float | None = None
    peak: float = 0.0
    severities: list[str] = field(default_factory=list)  # every severity it had, in order


class Simulation:
    """Scored posts in event-time order in; alerts and a timeline of their changes out."""

    def __init__(self, cfg: Config, rules: list, emerging=None):
        self.cfg = cfg
        self.rules = list(rules)
        self.minutes: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.hours: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.last_seen: dict[str, float] = {}  # channel -> event time of its newest post (production: wall time)
        self._sources = {s.name for s in cfg.sources}
        self.open: dict[str, Alert] = {}  # fingerprint -> firing alert
        self.records: list[Record] = []
        self.timeline: list[Change] = []
        self.posts = 0
        self.counted = 0
        self._by_id: dict[int, Record] = {}
        self._next_minute: int | None = None  # the first minute not evaluated yet
        self._parsed: dict = {}  # Window's parsed minutes, shared between evaluations (see _evaluate)
        # Emerging topics (rule type new_topic): anything with observe(posts, scores) and
        # current(now) -> topics; by default detectors.emerging's in-memory Detector, which runs the
        # same steps as bot/emerging.py does against Redis. Without new_topic rules nobody reads
        # them, so the simulation saves itself the work.
        if emerging is None and any(getattr(r, "type", None) == "new_topic" for r in self.rules):
            from detectors.emerging import Detector

            emerging = Detector.from_config(cfg, self.rules)
        self.emerging = emerging
        # Anomaly rules: one detector per series, in memory, fed by rules.anomaly exactly as
        # bot/anomalies.py feeds the ones kept in Redis.
        self.anomalies: dict[str, anomaly.Book] = {r.name: anomaly.Book() for r in self.rules if isinstance(r, Anomaly)}
        # Engagement updates: each post as last scored (post, scores, seen), and updates waiting for their minute.
        self._known: dict[str, list] = {}
        self._updates: list[tuple[float, int, Post]] = []
        self._order = itertools.count()
        self._reach = ReachDetector(cfg.detectors.reach)

    # ------------------------------------------------------------------ input
    def feed(self, posts: list[Post], scores: list[Scores]) -> None:
        """Count scored posts (sorted here by event time), evaluating every minute that ends before each;
        a post seen before is an engagement update, kept for the minute of its observed_at."""
        order, fresh = [], set()
        for i in sorted(range(len(posts)), key=lambda i: posts[i].created_at):
            key = posts[i].key
            if key in self._known or key in fresh:
                if posts[i].observed_at is not None:
                    heapq.heappush(self._updates, (posts[i].observed_at, next(self._order), posts[i]))
                continue
            fresh.add(key)
            order.append(i)
        i = 0
        while i < len(order):
            minute = int(posts[order[i]].created_at // 60)
            j = i
            while j < len(order) and int(posts[order[j]].created_at // 60) == minute:
                j += 1
            if self._next_minute is not None and minute < self._next_minute:
                raise ValueError(
                    f"post {posts[order[i]].id} is older than the simulated clock: feed posts in event-time order"
                )
            self._evaluate_until(minute - 1)
            if self._next_minute is None:
                self._next_minute = minute
            self._count([posts[k] for k in order[i:j]], [scores[k] for k in order[i:j]])
            i = j

    def advance(self, until: float) -> None:
        """Evaluate every minute that ends by event time `until`, with or without posts."""
        last = int((until - TICK_OFFSET) // 60)
        if self._next_minute is None:
            self._next_minute = last + 1  # nothing fed yet: the clock simply starts here
            return
        self._evaluate_until(last)

    def _count(self, posts: list[Post], scores: list[Scores]) -> None:
        """Add one minute's posts to the aggregates, exactly as the scoring step does."""
        self.posts += len(posts)
        for p in posts:  # silence is about ingestion: every post shows the channel is alive
            if p.channel in self._sources:  # a channel no longer configured is not watched
                self.last_seen[p.channel] = max(self.last_seen.get(p.channel, 0.0), p.created_at)
        # The company's own posts are not what customers say (bot/scoring.py).
        counted = [i for i, p in enumerate(posts) if not self.cfg.is_own(p.channel, p.author_id)]
        c_posts, c_scores = [posts[i] for i in counted], [scores[i] for i in counted]
        self.counted += len(c_posts)
        for p, s in zip(posts, scores):
            self._known[p.key] = [p, s, None]
        tags = [engine.tag(self.rules, p, s) for p, s in zip(c_posts, c_scores)]
        incs = aggregates.increments(c_posts, c_scores, tags)
        for (minute, name), value in incs.items():
            self._parsed.pop(minute, None)
            self.minutes[minute][name] += value
        for (hour, name), value in aggregates.hourly(incs).items():
            self.hours[hour][name] += value
        if self.emerging is not None:
            self.emerging.observe(c_posts, c_scores)

    # ------------------------------------------------------------- evaluation
    def _evaluate_until(self, last: int) -> None:
        if self._next_minute is None:
            return
        for minute in range(self._next_minute, last + 1):
            self._update(minute)
            self._evaluate(minute * 60 + TICK_OFFSET)
        self._next_minute = max(self._next_minute, last + 1)

    def _update(self, minute: int) -> None:
        """Apply the engagement updates observed by the end of this minute, oldest first."""
        while self._updates and int(self._updates[0][0] // 60) <= minute:
            _, _, post = heapq.heappop(self._updates)
            known = self._known[post.key]
            out = engagement.plan(self.cfg, self.rules, self._reach, known[0], known[1], counts_of(post), known[2])
            if out is None:  # counts read no later than the ones scored
                continue
            known[:] = [out["post"], out["scores"], out["seen"]]
            for (m, name), value in out["minutes"].items():
                self._parsed.pop(m, None)
                self.minutes[m][name] += value
            for (hour, name), value in out["hours"].items():
                self.hours[hour][name] += value

    def _evaluate(self, now: float) -> None:
        window = Window(
            self.minutes,
            hours=self.hours,
            wall=now,  # replayed time is the only clock here
            last_seen=self.last_seen,
            emerging=self.emerging.current(now) if self.emerging is not None else [],
            tz=self.cfg.timezone,
        )
        # A Window parses each minute's counter names once; a fresh Window per minute would parse
        # the same closed minutes again and again (90 % of a day's simulation). Minutes written
        # to are dropped from the shared cache as they are counted, as bot/scoring.py does.
        if isinstance(getattr(window, "_parsed", None), dict):
            window._parsed = self._parsed
        for rule in self.rules:
            if isinstance(rule, Anomaly):
                book = self.anomalies[rule.name]
                anomaly.feed(rule, book, window, int(now // 60), self.cfg.timezone)
                window.anomalies[rule.name] = anomaly.latest(book)
        for action in engine.evaluate(self.rules, window, dict(self.open), now):
            if isinstance(action, engine.Fire):
                self._fire(action)
            else:
                self._resolve(action)

    def _fire(self, fire: engine.Fire) -> None:
        rule = fire.rule
        severity = fire.severity or rule.severity
        alert = self.open.get(fire.fingerprint)
        if alert is None:
            alert = Alert(
                id=len(self.records) + 1,
                fingerprint=fire.fingerprint,
                rule=rule.name,
                severity=severity,
                departments=list(rule.departments),
                labels={**fire.labels, **rule.labels},
                summary=rule.message.model_dump() if rule.message else {},
                current=fire.current,
                baseline=fire.baseline,
                window_s=rule.window,
                started_at=fire.at,
                updated_at=fire.at,
            )
            self.open[fire.fingerprint] = alert
            record = Record(alert, fire.at, peak=fire.current, severities=[severity.value])
            self.records.append(record)
            self._by_id[alert.id] = record
            self._log(fire.at, "fired", alert)
            return
        news = (alert.current, alert.baseline, alert.severity) != (fire.current, fire.baseline, severity)
        alert.current, alert.baseline, alert.severity, alert.updated_at = fire.current, fire.baseline, severity, fire.at
        record = self._by_id[alert.id]
        record.peak = max(record.peak, fire.current)
        if severity.value != record.severities[-1]:
            record.severities.append(severity.value)
        if news:
            self._log(fire.at, "updated", alert)

    def _resolve(self, action: engine.Resolve) -> None:
        alert = self.open.pop(action.alert.fingerprint, None)
        if alert is None:
            return
        alert.status, alert.resolved_at = AlertStatus.RESOLVED, action.at
        self._by_id[alert.id].resolved_at = action.at
        self._log(action.at, "resolved", alert)

    def _log(self, at: float, change: str, alert: Alert) -> None:
        self.timeline.append(
            Change(at, change, alert.id, alert.rule, dict(alert.labels), list(alert.departments),
                   alert.severity, alert.current, alert.baseline)
        )

    # ---------------------------------------------------------------- output
    def firing(self) -> list[Alert]:
        """The alerts open now (fired and not resolved), oldest first."""
        return sorted(self.open.values(), key=lambda a: a.id)

    def clock(self) -> float | None:
        """The engine time of the newest evaluation, None before the first."""
        return None if self._next_minute is None else (self._next_minute - 1) * 60 + TICK_OFFSET

    def series(self, dims: dict[str, str], first: int, last: int, metric: str = "n") -> list[float]:
        """One counter per minute, first..last: what a rule with these dims counts."""
        name = aggregates.field(metric, dims)
        return [self.minutes[m].get(name, 0.0) if m in self.minutes else 0.0 for m in range(first, last + 1)]
