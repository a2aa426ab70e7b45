"""What people can do to an alert — acknowledge, resolve, mute, escalate — with permissions and audit."""

from __future__ import annotations

import time

from bot import alerting, escalation, notify
from bot.models import Alert, AlertStatus

DEFAULT_MUTE_S = 3600
TRUSTED = ("cli",)  # `sitroom ask` runs on the server itself, by someone who has its config


def allowed(ctx, alert: Alert, platform: str, user_id: str | None) -> bool:
    """Only members of one of the alert's departments may change it."""
    if platform in TRUSTED:
        return True
    return any(
        (dept := ctx.cfg.department(name)) is not None and dept.member(platform, user_id) is not None
        for name in alert.departments
    )


def _ack(alert: Alert, who: str, platform: str, now: float, _) -> str | None:
    if alert.status != AlertStatus.FIRING:
        return None
    alert.status, alert.acked_by, alert.acked_via, alert.acked_at = AlertStatus.ACKNOWLEDGED, who, platform, now
    return "acknowledged"


def _resolve(alert: Alert, who: str, platform: str, now: float, _) -> str | None:
    if alert.status == AlertStatus.RESOLVED:
        return None
    alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED, who, now
    return "resolved"


def _mute(alert: Alert, who: str, platform: str, now: float, duration_s: int | None) -> str | None:
    if alert.status == AlertStatus.RESOLVED:
        return None
    alert.muted_until = now + (duration_s or DEFAULT_MUTE_S)
    return "muted"


def _escalate(alert: Alert, who: str, platform: str, now: float, _) -> str | None:
    if alert.status == AlertStatus.RESOLVED:
        return None
    alert.escalated_at, alert.escalated_by = now, who
    return "escalated"


CHANGES = {"ack": _ack, "resolve": _resolve, "mute": _mute, "escalate": _escalate}


def act(ctx, alert_id: int, action: str, platform: str, user_id: str | None, user_name: str,
        duration_s: int | None = None) -> tuple[str, Alert | None]:
    """Carry out an action; returns (outcome, alert).

    Outcomes: acknowledged / resolved / muted / escalated, 'unchanged' (someone was first or the
    alert is resolved), 'missing', 'forbidden'. Every attempt is written to the audit log.
    """
    now = time.time()
    member = ctx.cfg.person(platform, user_id) if user_id is not None else None
    user_name = member.name if member else user_name  # one name for a person on every platform
    alert = ctx.store.get_alert(alert_id)
    if alert is None:
        outcome = "missing"
    elif not allowed(ctx, alert, platform, user_id):
        outcome = "forbidden"
    else:
        change = CHANGES[action]

        def apply(a: Alert) -> str | None:
            result = change(a, user_name, platform, now, duration_s)
            if result:
                a.history.append({"at": now, "action": result, "by": user_name, "via": platform})
                if not a.held:
                    a.sent(now)  # its messages get the newest state now: a throttled update is due no more
            return result

        outcome, alert = ctx.store.change_alert(alert_id, apply, ctx.cfg.retention.alerts)
        # Escalating pages the next on-call level now; paging tells every platform itself.
        paged = outcome == "escalated" and escalation.page(ctx, alert, escalation.next_level(alert), by=user_name)
        if outcome not in ("unchanged", "missing") and not paged:
            notify.alert_changed(ctx, alert, outcome, by=user_name)
        if outcome == "resolved":
            alerting.release_held(ctx, now)  # alerts it inhibited go out now, not at the next tick
    ctx.store.audit({"at": now, "user": user_name, "user_id": user_id, "platform": platform,
                     "action": action, "alert": alert_id, "outcome": outcome})
    return outcome, alert
