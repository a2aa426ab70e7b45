"""Anomaly rules in the product: their detectors live in Redis, fed by the rule evaluation.

`observe` runs under the rules lock, before the rule engine: for every anomaly rule it feeds the
steps completed since the last evaluation (rules.anomaly, the same steps the simulation runs),
saves the detectors (bot/store.py, ANOMALY) and puts each series' newest score on the Window.
An evaluation with no step completed reads one small hash field per rule and feeds nothing, so
two evaluations in the same minute, or two workers, never feed a step twice.
"""

from __future__ import annotations

import json
import logging
from collections import ChainMap

from bot.aggregates import Window
from rules import anomaly
from rules.anomaly import Book, Series
from rules.model import Anomaly

log = logging.getLogger("sitroom.anomalies")


def observe(ctx, rules: list, window: Window, now: float) -> None:
    """Feed the anomaly rules' complete steps up to event time `now`; fill window.anomalies."""
    wanted = [r for r in rules if isinstance(r, Anomaly)]
    if not wanted:
        return
    minute = int(now // 60)
    heads = ctx.store.anomaly_heads([r.name for r in wanted])
    for rule in wanted:
        head = heads.get(rule.name)
        signature = anomaly.signature(rule)
        fresh = head is not None and head.get("signature") != signature  # the rule changed: start afresh
        if fresh:
            log.info("anomaly rule %s changed what it measures: its series start afresh", rule.name)
            head = None
        book = Book(fed=head["fed"] if head else None)
        steps = anomaly.pending(rule, book.fed, minute)
        if not steps:
            window.anomalies[rule.name] = {_group(k): v for k, v in head["series"].items()} if head else {}
            continue
        if head is not None:
            book.series = {_group(k): Series.from_json(v) for k, v in ctx.store.anomaly_series(rule.name).items()}
        anomaly.feed(rule, book, _source(ctx, window, anomaly.minutes_of(rule, steps)), minute, ctx.cfg.timezone)
        latest = anomaly.latest(book)
        ctx.store.save_anomaly(
            rule.name,
            {"fed": book.fed, "signature": signature, "series": {_key(g): v for g, v in latest.items()}},
            {_key(g): s.to_json() for g, s in book.series.items()},
            [_key(g) for g in book.dropped],
            ctx.cfg.retention.hourly,
            fresh=fresh,
        )
        window.anomalies[rule.name] = latest


def _source(ctx, window: Window, minutes: range) -> Window:
    """Per-minute aggregates for these minutes: the evaluation's, and from Redis what it does not hold
    (catching up after a pause reads up to a day of minutes)."""
    missing = [m for m in minutes if m not in window.minutes]
    loaded: dict[int, dict[str, float]] = {}
    for i in range(0, len(missing), 240):  # one round trip per four hours of minutes
        loaded.update(ctx.store.load_aggregates(missing[i : i + 240]))
    return Window(ChainMap(window.minutes, loaded)) if loaded else window


def _key(group: tuple) -> str:
    return json.dumps(list(group), ensure_ascii=False)


def _group(key: str) -> tuple:
    return tuple(json.loads(key))
