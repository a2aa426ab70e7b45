"""Tell every destination that an alert changed: the local room live, chat platforms via their outboxes."""

from __future__ import annotations

import time

from bot import delivery
from bot.models import Alert


def alert_changed(ctx, alert: Alert, change: str, by: str | None = None) -> None:
    """Publish one alert change ('fired', 'updated', 'acknowledged', 'resolved', ...) to all listeners."""
    ctx.store.publish({"type": "alert", "change": change, "by": by, "wall": time.time(), "alert": alert.to_dict()})
    if change in ("updated", "grown") and alert.muted(time.time()):
        return  # muted: the room shows the numbers, chat platforms stay quiet
    delivery.enqueue(ctx, alert, change)
