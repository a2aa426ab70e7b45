"""Tell every destination that an alert changed: the local room live, chat platforms via their outboxes."""

from __future__ import annotations

import time

from bot.models import Alert


def alert_changed(ctx, alert: Alert, change: str, by: str | None = None) -> None:
    """Publish one alert change ('fired', 'updated', 'acknowledged', 'resolved', ...) to all listeners."""
    ctx.store.publish({"type": "alert", "change": change, "by": by, "wall": time.time(), "alert": alert.to_dict()})
    if change in ("updated", "grown") and alert.muted(time.time()):
        return  # muted: the room shows the numbers, chat platforms stay quiet
    from bot import delivery  # delivery reports its own troubles through admins() below

    delivery.enqueue(ctx, alert, change)


def room(ctx, department: str, message: dict) -> None:
    """Add a message to a department's room channel: kept in its history and shown live."""
    ctx.store.append_chat(department, message)
    ctx.store.publish({"type": "chat", "department": department, "message": message})


def admins(ctx, text: str) -> None:
    """A warning for the admin departments, in their room channel (it needs no platform to work)."""
    for dept in ctx.cfg.departments:
        if dept.admin:
            room(ctx, dept.name, {"from": "sitroom", "text": text, "bot": True})
