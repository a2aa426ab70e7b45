"""Tell every destination that an alert changed: the local room live, chat platforms via their outboxes."""

from __future__ import annotations

import time

from bot.models import Alert


def alert_changed(ctx, alert: Alert, change: str, by: str | None = None, chat: bool = True,
                  detail: dict | None = None) -> None:
    """Publish one alert change ('fired', 'updated', 'acknowledged', 'resolved', ...) to all listeners.

    The room always sees it. Chat platforms do unless `chat` is off (an update group_interval
    holds back), the alert is held back, or it is muted and the change is only new numbers.
    `detail` carries what a follow-up says (e.g. whose acknowledgement a rising severity broke).
    """
    ctx.store.publish({"type": "alert", "change": change, "by": by, "wall": time.time(), "alert": alert.to_dict()})
    if not chat or alert.held:
        return  # held back: the room shows it, chat platforms hear of it when the hold ends
    if change in ("updated", "grown") and alert.muted(time.time()):
        return  # muted: the room shows the numbers, chat platforms stay quiet
    from bot import delivery  # delivery reports its own troubles through admins() below

    delivery.enqueue(ctx, alert, change, detail)


def follow_up(ctx, alert: Alert, change: str, detail: dict | None = None) -> None:
    """A follow-up with words of its own (render.FOLLOW_UP_TEXTS): in the alert's thread, and said in the room."""
    from bot import render

    alert_changed(ctx, alert, change, by="sitroom", detail=detail)
    for name in alert.departments:
        if (dept := ctx.cfg.department(name)) is not None:
            text = render.follow_up(ctx.cfg, alert, change, detail or {}, dept.language)
            room(ctx, name, {"from": "sitroom", "text": text, "bot": True, "alerts": [alert.id]})


def room(ctx, department: str, message: dict) -> None:
    """Add a message to a department's room channel: kept in its history and shown live."""
    ctx.store.append_chat(department, message)
    ctx.store.publish({"type": "chat", "department": department, "message": message})


def admins(ctx, text: str) -> None:
    """A warning for the admin departments, in their room channel (it needs no platform to work)."""
    for dept in ctx.cfg.departments:
        if dept.admin:
            room(ctx, dept.name, {"from": "sitroom", "text": text, "bot": True})
