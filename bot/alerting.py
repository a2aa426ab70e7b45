"""Apply the rule engine's actions: create, refresh and resolve alerts, hold them back or notify.

A new alert is held back from chat platforms while rules/noise.py says so (group_wait, a silence,
a maintenance window, inhibition by another open alert); the room shows it all the same. When
the hold ends and it still fires, it is posted and its escalation chain starts; if it resolved
meanwhile, no chat platform ever hears of it.
"""

from __future__ import annotations

import logging
import time

from bot import emerging, escalation, explanation, notify
from bot.models import Alert, AlertStatus
from rules import engine, noise

log = logging.getLogger("sitroom.alerts")
EXAMPLES = 3
GROWTH = 2.0  # an alert that has doubled since people were last told gets a follow-up


def apply(ctx, actions: list, now: float | None = None) -> list[Alert]:
    """Carry out Fire and Resolve actions at wall time `now`; returns the alerts created or changed."""
    now = time.time() if now is None else now
    changed, new, resolved = [], [], False
    open_alerts = ctx.store.open_alerts_by_fingerprint()
    for action in actions:
        if isinstance(action, engine.Fire) and action.fingerprint not in open_alerts:
            alert = _new(ctx, action, now)
            open_alerts[alert.fingerprint] = alert
            new.append(alert)
            continue
        if isinstance(action, engine.Fire):
            alert = _refresh(ctx, action, open_alerts, now)
        else:
            alert = _resolve(ctx, action)
            if alert is not None:
                open_alerts.pop(alert.fingerprint, None)
                resolved = True
        if alert is not None:
            changed.append(alert)
    # Holds are decided once every new alert of the batch is known: one may inhibit another.
    changed += [_announce(ctx, alert, open_alerts, now) for alert in new]
    if resolved:
        release_held(ctx, now)  # alerts the resolved ones inhibited may go out now
    return changed


def rule_of(ctx, alert: Alert):
    """The running rule an alert came from (None when it was removed since)."""
    return next((r for r in ctx.rules if r.name == alert.rule), None)


def _new(ctx, fire: engine.Fire, now: float) -> Alert:
    rule = fire.rule
    post_keys = evidence(ctx, rule, fire.labels, fire.at)
    began, new_terms = explanation.find(ctx, rule, fire.labels, fire.at, fire.current, fire.baseline, post_keys)
    return Alert(
        id=ctx.store.new_alert_id(),
        fingerprint=fire.fingerprint,
        rule=rule.name,
        severity=fire.severity or rule.severity,
        departments=list(rule.departments),
        labels={**fire.labels, **rule.labels},
        summary=rule.message.model_dump() if rule.message else {},
        current=fire.current,
        baseline=fire.baseline,
        measure=measure_of(rule),
        reported=fire.current,
        window_s=rule.window,
        post_keys=post_keys,
        started_at=fire.at,
        began_at=began,
        new_terms=new_terms,
        updated_at=fire.at,
        created_wall=now,
        history=[{"at": now, "action": "fired", "event_time": fire.at}],
    )


def _announce(ctx, alert: Alert, open_alerts: dict[str, Alert], now: float) -> Alert:
    """Save a new alert, held back or posted; a posted one starts its escalation chain."""
    held = noise.hold(alert, rule_of(ctx, alert), **noise_inputs(ctx, open_alerts, now))
    if held is not None:
        _hold(alert, held, now)
    else:
        alert.sent(now, news=True)
    ctx.store.save_alert(alert, ctx.cfg.retention.alerts)
    log.info("alert #%d fired: %s %s -> %s%s", alert.id, alert.rule, alert.labels, ",".join(alert.departments),
             f" (held: {held.reason})" if held else "")
    notify.alert_changed(ctx, alert, "fired")  # while held, only the room sees it
    if held is None:
        escalation.start(ctx, alert)
    return alert


def noise_inputs(ctx, open_alerts: dict[str, Alert], now: float) -> dict:
    """What noise.hold needs besides the alert and its rule."""
    rules = ctx.rules
    return {
        "silences": noise.silence_windows(ctx.store.silences(now), getattr(rules, "silences", [])),
        "maintenance": getattr(rules, "maintenance", []),
        "open_alerts": list(open_alerts.values()),
        "inhibit": getattr(rules, "inhibit", []),
        "now": now,
    }


def _hold(alert: Alert, held: noise.Hold, now: float) -> None:
    alert.held_for, alert.held_until, alert.held_by = held.reason, held.until, held.by
    entry = {"at": now, "action": "held", "for": held.reason, "until": held.until, "by": held.by}
    alert.history.append({**entry, "reason": held.note} if held.note else entry)


def _refresh(ctx, fire: engine.Fire, open_alerts: dict[str, Alert], now: float) -> Alert | None:
    existing = open_alerts[fire.fingerprint]
    rule = fire.rule
    news = existing.current != fire.current or existing.baseline != fire.baseline
    post_keys = evidence(ctx, rule, fire.labels, fire.at) if news else None
    raised: dict = {}

    def refresh(a: Alert) -> str:
        # Only the evidence (and a rising severity) changes here: an ack or mute made meanwhile stays.
        a.current, a.baseline, a.updated_at = fire.current, fire.baseline, fire.at
        if post_keys is not None:
            a.post_keys = post_keys
        if not news:
            return "quiet"  # the same numbers: nobody needs telling
        if (severity := noise.raised(a, fire.severity)) is not None:
            raised.update(_raise(a, severity, now))
            return "severity_raised"
        if a.held:
            return "updated"  # the room only: the first message will show the newest state
        if a.reported and a.current >= GROWTH * a.reported:
            a.reported = a.current
            a.sent(now, news=True)
            return "grown"  # worth a follow-up in the alert's thread, not just a quiet update
        if noise.throttled(a, rule, now):
            a.update_pending = True  # the clock sends it when group_interval has passed
            return "throttled"
        a.sent(now)
        return "updated"

    change, alert = ctx.store.change_alert(existing.id, refresh, ctx.cfg.retention.alerts)
    if alert is None:
        return None
    open_alerts[fire.fingerprint] = alert
    if change == "severity_raised":
        notify.follow_up(ctx, alert, change, raised)
    elif change not in ("quiet", "unchanged"):
        notify.alert_changed(ctx, alert, "updated" if change == "throttled" else change, chat=change != "throttled")
    if raised.get("ack_broken") and not alert.held:
        escalation.start(ctx, alert)  # the new chain: the old one's timers see another generation and stop
    if alert.held and (released := _review(ctx, alert, noise_inputs(ctx, open_alerts, now), now)) is not None:
        return released
    return alert if change not in ("quiet", "unchanged") else None


def _raise(a: Alert, severity, now: float) -> dict:
    """Severity rises: an acknowledgement no longer holds and the escalation chain starts again."""
    detail = {"severity": severity.value}
    entry = {"at": now, "action": "severity_raised", "from": a.severity.value, "to": severity.value}
    a.severity = severity
    if a.status == AlertStatus.ACKNOWLEDGED:
        detail["ack_broken"] = entry["ack_broken"] = a.acked_by
        a.status, a.acked_by, a.acked_via, a.acked_at, a.reminded_at = AlertStatus.FIRING, None, None, None, None
        a.chain += 1
    a.history.append(entry)
    if not a.held:
        a.reported = a.current
        a.sent(now, news=True)
    return detail


def release_held(ctx, now: float | None = None) -> list[Alert]:
    """Post the held alerts whose holds have ended (the clock calls this); returns them."""
    now = time.time() if now is None else now
    open_alerts = ctx.store.open_alerts_by_fingerprint()
    held = [a for a in open_alerts.values() if a.held]
    if not held:
        return []
    inputs = noise_inputs(ctx, open_alerts, now)
    return [a for a in (_review(ctx, alert, inputs, now) for alert in held) if a is not None]


def _review(ctx, alert: Alert, inputs: dict, now: float) -> Alert | None:
    """Release a held alert whose hold ended, or record a new reason; returns it when released."""
    held = noise.hold(alert, rule_of(ctx, alert), **inputs)
    if held is None:
        return _release(ctx, alert, now)
    if (held.reason, held.until, held.by) == (alert.held_for, alert.held_until, alert.held_by):
        return None

    def rehold(a: Alert) -> str | None:
        if not a.held or a.status == AlertStatus.RESOLVED:
            return None
        _hold(a, held, now)
        return "held"

    outcome, changed = ctx.store.change_alert(alert.id, rehold, ctx.cfg.retention.alerts)
    if outcome == "held":
        notify.alert_changed(ctx, changed, "held")
    return None


def _release(ctx, alert: Alert, now: float) -> Alert | None:
    def release(a: Alert) -> str | None:
        if not a.held or a.status == AlertStatus.RESOLVED:
            return None  # released by someone else meanwhile, or over before anyone had to hear of it
        a.history.append({"at": now, "action": "released", "after": a.held_for})
        a.held_for = a.held_until = a.held_by = None
        a.reported = a.current
        a.sent(now, news=True)
        return "released"

    outcome, released = ctx.store.change_alert(alert.id, release, ctx.cfg.retention.alerts)
    if outcome != "released":
        return None
    log.info("alert #%d released after its hold (%s)", released.id, alert.held_for)
    notify.alert_changed(ctx, released, "released")  # chat platforms: its first message
    if released.status == AlertStatus.FIRING:
        escalation.start(ctx, released)
    return released


def measure_of(rule) -> str:
    """What a rule's numbers are, so that cards can say it in words."""
    if rule.type == "sentiment_shift" or getattr(rule, "metric", None) == "negative_share":
        return "share"
    if rule.type == "flatline":
        return "silence"  # current = minutes without a post, baseline = posts an hour usually
    return "reach" if getattr(rule, "metric", None) == "reach" else "count"


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
    if rule.type == "new_topic":  # its posts are the emerging topic's, chosen by the detector
        return emerging.examples(ctx, labels.get("emerging", ""))[:EXAMPLES]
    return [post.key for post, _ in explanation.matching_posts(ctx, rule, labels, now, EXAMPLES)]
