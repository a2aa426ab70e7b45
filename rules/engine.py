"""The rule engine: a pure function of (rules, aggregates, open alerts, clock) -> actions."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from zoneinfo import ZoneInfo

from bot.aggregates import Window, days_back, hours_of
from bot.models import Alert, Severity
from rules import anomaly
from rules.model import (TAGGED, Anomaly, Composite, Flatline, Keyword, NewTopic, SentimentShift, Spike, Threshold,
                         ViralPost)

_METRIC = {"count": "n", "negative_count": "neg", "reach": "reach"}
FALLBACK_DAYS = 6  # without weekly history, the same time of day on up to this many days before


@dataclass(frozen=True)
class Fire:
    """A rule's condition holds for one group: create the alert or refresh its evidence."""

    rule: object
    fingerprint: str
    labels: dict[str, str]
    current: float
    baseline: float | None
    at: float
    severity: Severity | None = None  # the rule's, or critical past its critical_above


@dataclass(frozen=True)
class Resolve:
    """An open alert's condition has been quiet for the rule's resolve_after."""

    alert: Alert
    at: float


def fingerprint(rule_name: str, labels: dict[str, str]) -> str:
    return rule_name + "".join(f"|{k}={labels[k]}" for k in sorted(labels))


def span_minutes(rules: list) -> int:
    """How many minutes of aggregates an evaluation needs."""
    need = [r.window + (r.baseline if isinstance(r, (Spike, SentimentShift)) else 0) for r in rules]
    # anomaly rules: the newest complete step, which ends up to a step and the grace before now
    need += [2 * r.step + 60 * anomaly.GRACE_MINUTES for r in rules if isinstance(r, Anomaly)]
    return max(need, default=0) // 60


def hours_needed(rules: list, now: float, tz: str | None = None) -> set[int]:
    """The hourly aggregates an evaluation at `now` reads: seasonal spikes' past weeks and days,
    flatline rules' usual rates (complete hours only)."""
    zone, last, out = ZoneInfo(tz or "UTC"), int(now // 60), set()
    for rule in rules:
        if isinstance(rule, Spike) and rule.seasonal_weeks:
            minutes = rule.window // 60
            out.update(seasonal_hours(last - minutes + 1, minutes, rule.seasonal_weeks, zone))
        elif isinstance(rule, Flatline):
            hour = int(now // 3600)
            out.update(range(hour - rule.baseline // 3600, hour))
    return out


def tag(rules: list, post, scores) -> list[str]:
    """Names of the post-level rules (keyword, viral_post) this scored post counts for."""
    return [r.name for r in rules if isinstance(r, TAGGED) and r.tags(post, scores)]


def tag_growth(rules: list, before: float, after: float, velocity: float) -> list[str]:
    """Names of the viral_post rules an engagement update counts for: reach before -> after,
    gained at `velocity` people per minute (the match filters apply later, through the aggregates)."""
    return [r.name for r in rules if isinstance(r, ViralPost) and r.grows(before, after, velocity)]


def evaluate(rules: list, window: Window, open_alerts: dict[str, Alert], now: float) -> list:
    """Every rule against the aggregates up to `now` (event time): Fire and Resolve actions.

    Composite rules run last, so that they see what the other rules fired in this evaluation.
    """
    actions: list = []
    fired: dict[str, list[dict[str, str]]] = {}  # rule name -> labels of each group it fired for
    last = int(now // 60)
    for rule in _in_order(rules):
        if isinstance(rule, Composite):
            found = _composite(rule, fired, open_alerts, now)
        elif isinstance(rule, Flatline):
            found = _flatline(rule, window, open_alerts, now)
        else:
            found = _check(rule, window, last)
        for labels, current, baseline in found:
            fp = fingerprint(rule.name, labels)
            all_labels = {**rule.match.dims(), **labels}
            fired.setdefault(rule.name, []).append(all_labels)
            actions.append(Fire(rule, fp, all_labels, current, baseline, now, severity_of(rule, current)))
    fingerprints = {a.fingerprint for a in actions}
    by_name = {r.name: r for r in rules}
    for fp, alert in open_alerts.items():
        rule = by_name.get(alert.rule)
        if fp in fingerprints or rule is None:
            continue
        # A flatline alert ends when its channel posts again: quiet time means nothing there.
        if isinstance(rule, Flatline) or now - alert.updated_at >= rule.resolve_after:
            actions.append(Resolve(alert, now))
    return actions


def severity_of(rule, current: float) -> Severity:
    if rule.critical_above is not None and current >= rule.critical_above:
        return Severity.CRITICAL
    return rule.severity


def _in_order(rules: list) -> list:
    """Other rules first, then composites after the composites they name (cycles are the loader's
    to refuse; a composite in one is skipped here)."""
    ordered = [r for r in rules if not isinstance(r, Composite)]
    done = {r.name for r in ordered}
    waiting = [r for r in rules if isinstance(r, Composite)]
    names = {r.name for r in waiting}
    while waiting:
        ready = [r for r in waiting if not (set(r.components) & names - done)]
        if not ready:
            break
        ordered += ready
        done.update(r.name for r in ready)
        waiting = [r for r in waiting if r not in ready]
    return ordered


def _check(rule, window: Window, last: int):
    """(group labels, current value, baseline) for each group where the rule's condition holds."""
    minutes = rule.window // 60
    first = last - minutes + 1
    dims = rule.match.dims()
    if isinstance(rule, TAGGED):
        dims = {**dims, "rule": rule.name}
    yield from _CHECKS[type(rule)](rule, window, dims, first, last)


def _tagged(rule, window: Window, dims, first: int, last: int):
    """Keyword and viral_post rules: enough posts tagged for the rule in the window."""
    for group, current in window.groups("n", dims, rule.group_by, first, last).items():
        if current >= rule.min_count:
            yield dict(zip(rule.group_by, group)), current, None


def _new_topic(rule: NewTopic, window: Window, dims, first: int, last: int):
    """Emerging topics (detectors.emerging) with at least min_count of their posts in the rule's window.

    `match` filters the topic's posts (region, channel, language; topic = the configured topic they
    resemble); the alert's label `emerging` is the name the topic got when it was first seen, so
    the alert keeps one identity while the topic lasts. Baseline: the posts its terms' earlier rate
    expects in the window.
    """
    for topic in window.emerging:
        for group, count in topic.groups(dims, rule.group_by, first, last).items():
            if count >= rule.min_count:
                labels = {"emerging": topic.name, **dict(zip(rule.group_by, group))}
                yield labels, count, round(topic.expected(rule.window), 1)


def _spike(rule: Spike, window: Window, dims, first: int, last: int):
    minutes = rule.window // 60
    for group, current in window.groups("n", dims, rule.group_by, first, last).items():
        if current < rule.min_count:
            continue
        labels = dict(zip(rule.group_by, group))
        key = {**dims, **labels}
        baseline = _seasonal(rule, window, key, first)
        if baseline is None:  # no history at this time of day: the hours just before
            periods = rule.baseline // rule.window
            past = [window.total("n", key, first - j * minutes, last - j * minutes) for j in range(1, periods + 1)]
            baseline = fmean(past) if past else 0.0
        if current >= rule.factor * baseline:
            yield labels, current, baseline


def _weeks(weeks: int) -> list[int]:
    """How many days back the weekly comparisons look."""
    return [7 * w for w in range(1, weeks + 1)]


def _days() -> list[int]:
    """How many days back the daily comparisons (without weekly history) look."""
    return list(range(1, FALLBACK_DAYS + 1))


def seasonal_hours(first: int, minutes: int, weeks: int, zone: ZoneInfo) -> set[int]:
    """The hourly aggregates `seasonal` reads for `minutes` minutes from minute `first`."""
    return {h for days in _weeks(weeks) + _days() for h in hours_of(days_back(first, days, zone), minutes)}


def seasonal(window: Window, metric: str, dims, first: int, minutes: int, weeks: int) -> tuple[float | None, list[int]]:
    """A counter's expected value over `minutes` minutes from `first`: the mean of the same local
    time in each of the last `weeks` weeks that has history, else on the previous days that have;
    returned with the days back it averaged ((None, []) without any history there)."""
    for days in (_weeks(weeks), _days()):
        seen = [(d, v) for d in days if (v := window.past(metric, dims, first, minutes, d)) is not None]
        if seen:
            return fmean(v for _, v in seen), [d for d, _ in seen]
    return None, []


def _seasonal(rule: Spike, window: Window, dims, first: int) -> float | None:
    """The spike's expected count from past weeks, else past days; None without any history there
    (the caller then compares with the hours just before)."""
    if not rule.seasonal_weeks:
        return None
    return seasonal(window, "n", dims, first, rule.window // 60, rule.seasonal_weeks)[0]


def _flatline(rule: Flatline, window: Window, open_alerts: dict[str, Alert], now: float):
    """Channels silent for silent_for (wall clock against last_seen, whatever clock those are on)
    that usually have min_rate posts an hour; an open alert stays while the channel is silent."""
    wall = window.wall if window.wall is not None else now
    hour = int(now // 3600)
    active = [h for h in range(hour - rule.baseline // 3600, hour) if window.has_history(h)]
    channels = [rule.match.channel] if rule.match.channel else sorted(window.last_seen)
    for channel in channels:
        seen = window.last_seen.get(channel)
        if seen is None or wall - seen < rule.silent_for:
            continue
        labels = {"channel": channel}
        rate = fmean(window.hour_total("n", labels, h) for h in active) if active else 0.0
        if rate >= rule.min_rate or fingerprint(rule.name, labels) in open_alerts:
            yield labels, int((wall - seen) // 60), round(rate, 1)


def _composite(rule: Composite, fired: dict[str, list[dict]], open_alerts: dict[str, Alert], now: float):
    """Groups for which all of `all` and one of `any` hold (see rules.model.Composite)."""
    seen = {name: list(fired.get(name, [])) for name in rule.components}
    for alert in open_alerts.values():
        if alert.rule in seen and now - alert.updated_at <= rule.window:
            seen[alert.rule].append(alert.labels)
    fixed = rule.match.dims()
    keys = rule.group_by
    groups = {
        tuple(labels[k] for k in keys)
        for found in seen.values() for labels in found
        if all(k in labels for k in keys) and _agrees(labels, fixed)
    } or {()}  # no component names the group: fire once, without those labels
    for group in sorted(groups):
        want = {**fixed, **dict(zip(keys, group))}
        holding = [n for n, found in seen.items() if any(_agrees(labels, want) for labels in found)]
        if all(n in holding for n in rule.all) and (not rule.any or any(n in holding for n in rule.any)):
            yield dict(zip(keys, group)), len(holding), None


def _agrees(labels: dict[str, str], want: dict[str, str]) -> bool:
    """A component's labels agree with a group when no label it has says otherwise."""
    return all(labels.get(k, v) == v for k, v in want.items())


def _threshold(rule: Threshold, window: Window, dims, first: int, last: int):
    counts = window.groups("n", dims, rule.group_by, first, last)
    if rule.metric == "negative_share":
        negatives = window.groups("neg", dims, rule.group_by, first, last)
    else:
        values = window.groups(_METRIC[rule.metric], dims, rule.group_by, first, last)
    for group, n in counts.items():
        if n < rule.min_count:
            continue
        value = negatives.get(group, 0.0) / n if rule.metric == "negative_share" else values.get(group, 0.0)
        if value > rule.above:
            yield dict(zip(rule.group_by, group)), value, None


def _shift(rule: SentimentShift, window: Window, dims, first: int, last: int):
    counts = window.groups("n", dims, rule.group_by, first, last)
    negatives = window.groups("neg", dims, rule.group_by, first, last)
    before = first - rule.baseline // 60
    for group, n in counts.items():
        if n < rule.min_count:
            continue
        labels = dict(zip(rule.group_by, group))
        past_n = window.total("n", {**dims, **labels}, before, first - 1)
        past_neg = window.total("neg", {**dims, **labels}, before, first - 1)
        share, past_share = negatives.get(group, 0.0) / n, (past_neg / past_n if past_n else 0.0)
        if share - past_share >= rule.min_increase:
            yield labels, round(share, 3), round(past_share, 3)


def _anomaly(rule: Anomaly, window: Window, dims, first: int, last: int):
    """Groups whose newest complete step scored at least score_above, with at least min_count posts
    and a value above what the detector expected (drops are flatline's business, or good news),
    once the group's detector has learnt learn_for of steps.
    The scores come with the Window (rules.anomaly feeds the detectors before the engine runs)."""
    newest = anomaly.latest_step(rule.step, last) * rule.step
    digits = 3 if rule.metric == "negative_share" else 1
    for group, s in window.anomalies.get(rule.name, {}).items():
        if s["t"] != newest or s["value"] is None or s["count"] < rule.min_count or s["score"] < rule.score_above:
            continue
        if s.get("rows", 0) * rule.step < rule.learn_for:  # still learning what is normal
            continue
        if s["expected"] is not None and s["value"] <= s["expected"]:
            continue
        baseline = None if s["expected"] is None else round(s["expected"], digits)
        yield dict(zip(rule.group_by, group)), round(s["value"], digits), baseline


_CHECKS = {Threshold: _threshold, SentimentShift: _shift, Spike: _spike, NewTopic: _new_topic,
           Keyword: _tagged, ViralPost: _tagged, Anomaly: _anomaly}
