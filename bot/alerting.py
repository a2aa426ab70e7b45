"""Apply the rule engine's actions: create, refresh and resolve alerts, then notify."""

from __future__ import annotations

import logging
import time

from bot import escalation, notify
from bot.aggregates import post_dims
from bot.models import Alert, AlertStatus
from rules import engine

log = logging.getLogger("sitroom.alerts")
EXAMPLES = 3
GROWTH = 2.0  # an alert that has doubled since people were last told gets a follow-up


def apply(ctx, actions: list) -> list[Alert]:
    """Carry out Fire and Resolve actions; returns the alerts that were created or changed."""
    changed = []
    open_alerts = ctx.store.open_alerts_by_fingerprint()
    for action in actions:
        if isinstance(action, engine.Fire):
            alert = _fire(ctx, action, open_alerts.get(action.fingerprint))
        else:
            alert = _resolve(ctx, action)
        if alert is not None:
            changed.append(alert)
    return changed


def _fire(ctx, fire: engine.Fire, existing: Alert | None) -> Alert | None:
    rule = fire.rule
    retention = ctx.cfg.retention.alerts
    if existing is not None:
        news = existing.current != fire.current or existing.baseline != fire.baseline
        post_keys = evidence(ctx, rule, fire.labels, fire.at) if news else None

        def refresh(a: Alert) -> str:
            # Only the evidence changes here: an ack or mute made meanwhile stays as it is.
            a.current, a.baseline, a.updated_at = fire.current, fire.baseline, fire.at
            if post_keys is not None:
                a.post_keys = post_keys
            if a.reported and a.current >= GROWTH * a.reported:
                a.reported = a.current
                return "grown"  # worth a follow-up in the alert's thread, not just a quiet update
            return "updated"

        change, alert = ctx.store.change_alert(existing.id, refresh, retention)
        if news and alert is not None:
            notify.alert_changed(ctx, alert, change)
            return alert
        return None
    labels = {**fire.labels, **rule.labels}
    now = time.time()
    alert = Alert(
        id=ctx.store.new_alert_id(),
        fingerprint=fire.fingerprint,
        rule=rule.name,
        severity=rule.severity,
        departments=list(rule.departments),
        labels=labels,
        summary=rule.message.model_dump() if rule.message else {},
        current=fire.current,
        baseline=fire.baseline,
        measure=measure_of(rule),
        reported=fire.current,
        window_s=rule.window,
        post_keys=evidence(ctx, rule, fire.labels, fire.at),
        started_at=fire.at,
        updated_at=fire.at,
        created_wall=now,
        history=[{"at": now, "action": "fired", "event_time": fire.at}],
    )
    silence = silencing(ctx, labels, now)
    if silence is not None:
        alert.muted_until = silence["until"]
        alert.history.append({"at": now, "action": "silenced", "by": silence.get("by"), "until": silence["until"]})
    ctx.store.save_alert(alert, retention)
    log.info("alert #%d fired: %s %s -> %s", alert.id, rule.name, fire.labels, ",".join(alert.departments))
    notify.alert_changed(ctx, alert, "fired")
    escalation.start(ctx, alert)
    return alert


def measure_of(rule) -> str:
    """What a rule's numbers are, so that cards can say it in words."""
    if rule.type == "sentiment_shift" or getattr(rule, "metric", None) == "negative_share":
        return "share"
    return "reach" if getattr(rule, "metric", None) == "reach" else "count"


def silencing(ctx, labels: dict[str, str], now: float) -> dict | None:
    """The silence in force whose matchers all hold for these labels, if any."""
    for silence in ctx.store.silences(now):
        if all(labels.get(k) == v for k, v in silence["matchers"].items()):
            return silence
    return None


def _resolve(ctx, action: engine.Resolve) -> Alert | None:
    def resolve(a: Alert) -> str | None:
        if a.status == AlertStatus.RESOLVED or a.updated_at > action.alert.updated_at:
            return None  # resolved by hand meanwhile, or fired again since we looked
        a.status, a.resolved_at = AlertStatus.RESOLVED, action.at
        a.history.append({"at": time.time(), "action": "resolved", "event_time": action.at})
        return "resolved"

    outcome, alert = ctx.store.change_alert(action.alert.id, resolve, ctx.cfg.retention.alerts)
    if outcome != "resolved":
        return None
    log.info("alert #%d resolved", alert.id)
    notify.alert_changed(ctx, alert, "resolved")
    return alert


def evidence(ctx, rule, labels: dict[str, str], now: float) -> list[str]:
    """Post keys of the highest-reach posts in the rule's window that belong to this alert."""
    last = int(now // 60)
    minutes = range(last - rule.window // 60 + 1, last + 1)
    candidates = ctx.store.top_posts(minutes, per_minute=30)[:200]
    loaded = ctx.store.load_posts(k for k, _ in candidates)
    tagged = rule.type in ("keyword", "viral_post")
    out = []
    for item in loaded:
        if item is None or item[1] is None:
            continue
        post, scores = item
        dims = post_dims(post, scores)
        if any(dims.get(k) != v for k, v in labels.items()):
            continue
        if tagged and rule.name not in engine.tag([rule], post, scores):
            continue
        out.append(post.key)
        if len(out) == EXAMPLES:
            break
    return out
