"""Tell every destination that an alert changed. The local room listens on the event channel."""

from __future__ import annotations

import time

from bot.models import Alert


def alert_changed(ctx, alert: Alert, change: str, by: str | None = None) -> None:
    """Publish one alert change ('fired', 'updated', 'acknowledged', 'resolved') to all listeners."""
    ctx.store.publish({"type": "alert", "change": change, "by": by, "wall": time.time(), "alert": alert.to_dict()})
