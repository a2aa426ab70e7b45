"""The rule engine: a pure function of (rules, aggregates, open alerts, clock) -> actions."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from bot.aggregates import Window
from bot.models import Alert, Severity
from rules.model import TAGGED, SentimentShift, Spike, Threshold

_METRIC = {"count": "n", "negative_count": "neg", "reach": "reach"}


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
    return max(need, default=0) // 60


def tag(rules: list, post, scores) -> list[str]:
    """Names of the post-level rules (keyword, viral_post) this scored post counts for."""
    return [r.name for r in rules if isinstance(r, TAGGED) and r.tags(post, scores)]


def evaluate(rules: list, window: Window, open_alerts: dict[str, Alert], now: float) -> list:
    """Every rule against the aggregates up to `now` (event time): Fire and Resolve actions."""
    actions: list = []
    fired: set[str] = set()
    last = int(now // 60)
    for rule in rules:
        for labels, current, baseline in _check(rule, window, last):
            fp = fingerprint(rule.name, labels)
            fired.add(fp)
            all_labels = {**rule.match.dims(), **labels}
            actions.append(Fire(rule, fp, all_labels, current, baseline, now, severity_of(rule, current)))
    by_name = {r.name: r for r in rules}
    for fp, alert in open_alerts.items():
        rule = by_name.get(alert.rule)
        if fp not in fired and rule is not None and now - alert.updated_at >= rule.resolve_after:
            actions.append(Resolve(alert, now))
    return actions


def severity_of(rule, current: float) -> Severity:
    if rule.critical_above is not None and current >= rule.critical_above:
        return Severity.CRITICAL
    return rule.severity


def _check(rule, window: Window, last: int):
    """(group labels, current value, baseline) for each group where the rule's condition holds."""
    minutes = rule.window // 60
    first = last - minutes + 1
    dims = rule.match.dims()
    if isinstance(rule, TAGGED):
        dims = {**dims, "rule": rule.name}
    if isinstance(rule, Threshold):
        yield from _threshold(rule, window, dims, first, last)
        return
    if isinstance(rule, SentimentShift):
        yield from _shift(rule, window, dims, first, last)
        return
    counts = window.groups("n", dims, rule.group_by, first, last)
    for group, current in counts.items():
        labels = dict(zip(rule.group_by, group))
        if current < rule.min_count:
            continue
        if isinstance(rule, TAGGED):
            yield labels, current, None
            continue
        periods = rule.baseline // rule.window
        past = [
            window.total("n", {**dims, **labels}, first - j * minutes, last - j * minutes)
            for j in range(1, periods + 1)
        ]
        baseline = fmean(past) if past else 0.0
        if current >= rule.factor * baseline:
            yield labels, current, baseline


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
