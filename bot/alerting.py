"""Apply the rule engine's actions: create, refresh and resolve alerts, then notify."""

from __future__ import annotations

import logging
import time

from bot import notify
from bot.aggregates import post_dims
from bot.models import Alert, AlertStatus
from rules import engine

log = logging.getLogger("sitroom.alerts")
EXAMPLES = 3


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
        if existing.current == fire.current and existing.baseline == fire.baseline:
            existing.updated_at = fire.at  # still firing: keep it from resolving, tell nobody
            ctx.store.save_alert(existing, retention)
            return None
        existing.current, existing.baseline, existing.updated_at = fire.current, fire.baseline, fire.at
        existing.post_keys = evidence(ctx, rule, fire.labels, fire.at)
        ctx.store.save_alert(existing, retention)
        notify.alert_changed(ctx, existing, "updated")
        return existing
    alert = Alert(
        id=ctx.store.new_alert_id(),
        fingerprint=fire.fingerprint,
        rule=rule.name,
        severity=rule.severity,
        departments=list(rule.departments),
        labels={**fire.labels, **rule.labels},
        summary=rule.message.model_dump() if rule.message else {},
        current=fire.current,
        baseline=fire.baseline,
        window_s=rule.window,
        post_keys=evidence(ctx, rule, fire.labels, fire.at),
        started_at=fire.at,
        updated_at=fire.at,
        created_wall=time.time(),
        history=[{"at": time.time(), "action": "fired", "event_time": fire.at}],
    )
    ctx.store.save_alert(alert, retention)
    log.info("alert #%d fired: %s %s -> %s", alert.id, rule.name, fire.labels, ",".join(alert.departments))
    notify.alert_changed(ctx, alert, "fired")
    return alert


def _resolve(ctx, action: engine.Resolve) -> Alert:
    alert = action.alert
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = action.at
    alert.history.append({"at": time.time(), "action": "resolved", "event_time": action.at})
    ctx.store.save_alert(alert, ctx.cfg.retention.alerts)
    log.info("alert #%d resolved", alert.id)
    notify.alert_changed(ctx, alert, "resolved")
    return alert


def evidence(ctx, rule, labels: dict[str, str], now: float) -> list[str]:
    """Post keys of the highest-reach posts in the rule's window that belong to this alert."""
    last = int(now // 60)
    minutes = range(last - rule.window // 60 + 1, last + 1)
    candidates = ctx.store.top_posts(minutes, per_minute=30)[:200]
    loaded = ctx.store.load_posts(k for k, _ in candidates)
    keyword = rule.type == "keyword"
    out = []
    for item in loaded:
        if item is None or item[1] is None:
            continue
        post, scores = item
        dims = post_dims(post, scores)
        if any(dims.get(k) != v for k, v in labels.items()):
            continue
        if keyword and rule.name not in engine.tag([rule], post.text):
            continue
        out.append(post.key)
        if len(out) == EXAMPLES:
            break
    return out
