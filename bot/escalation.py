"""Escalation chains: while nobody acknowledges an alert, page the on-call people step by step.

The timers are RQ scheduled jobs, so they live in Redis and survive a restart of every
process; a step that finds the alert acknowledged, resolved or gone simply ends the chain.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from rq import Queue

from bot import delivery, notify, oncall, platforms
from bot.models import Alert, AlertStatus
from bot.texts import say

log = logging.getLogger("sitroom.escalation")
QUEUE = "sitroom-escalation"


def chain_of(ctx, alert: Alert):
    rule = next((r for r in ctx.rules if r.name == alert.rule), None)
    escalations = getattr(ctx.rules, "escalations", {})
    return escalations.get(rule.escalation) if rule else None


def start(ctx, alert: Alert) -> None:
    """Set the first timer of the alert's chain (no chain, no timer).

    The timers carry the alert's chain generation: when a rising severity breaks an
    acknowledgement the chain starts again, and the old chain's timers end themselves.
    """
    chain = chain_of(ctx, alert)
    if chain is not None:
        schedule(ctx, alert.id, 0, chain.steps[0].after, alert.chain)


def schedule(ctx, alert_id: int, index: int, delay_s: float, generation: int | None = None) -> None:
    Queue(QUEUE, connection=ctx.redis).enqueue_in(
        timedelta(seconds=max(delay_s, 1)), step, alert_id, index, generation=generation,
        result_ttl=3600, failure_ttl=7 * 86400)


def step(alert_id: int, index: int, generation: int | None = None) -> str:
    """RQ job: one step of the chain, then the timer for the next; returns what it did."""
    from bot.jobs import context

    ctx = context()
    ctx.follow_rules()
    alert = ctx.store.get_alert(alert_id)
    if alert is None or alert.status != AlertStatus.FIRING:
        return "stopped"  # acknowledged, resolved or expired: nobody needs waking any more
    if generation is not None and generation != alert.chain:
        return "stopped"  # a newer chain runs for this alert (timers of older versions carry none)
    chain = chain_of(ctx, alert)
    if chain is None:
        return "stopped"
    now = time.time()
    if alert.muted(now):
        schedule(ctx, alert_id, index, alert.muted_until - now, generation)
        return "muted"
    page(ctx, alert, chain.steps[index].level, by="sitroom")
    if index + 1 < len(chain.steps):
        schedule(ctx, alert_id, index + 1, chain.steps[index + 1].after, generation)
    elif chain.repeat:
        schedule(ctx, alert_id, 0, chain.steps[0].after, generation)
    return "paged"


def next_level(alert: Alert) -> int:
    """One above the highest level paged so far."""
    return 1 + max((h.get("level", 0) for h in alert.history if h.get("action") == "paged"), default=0)


def page(ctx, alert: Alert, level: int, by: str) -> list[str]:
    """Send the alert to the on-call person at `level` of each of its departments; returns who."""
    paged = []
    for name in alert.departments:
        dept = ctx.cfg.department(name)
        if dept is None or not dept.oncall:
            continue
        person = oncall.who(ctx.cfg, dept.name, level, time.time())  # the list, or the schedule right now
        member = next((m for d in ctx.cfg.departments for m in d.members if m.name == person), None)
        reached = delivery.enqueue_direct(ctx, alert, member, dept.language) if member else []
        text = say("page.room", dept.language, who=person, id=alert.id, level=level,
                   where=", ".join(reached) or say("page.nowhere", dept.language))
        notify.room(ctx, dept.name, {"from": "sitroom", "text": text, "bot": True})
        if not reached and platforms.adapters(ctx):  # with no chat platform at all, the room is the pager
            notify.admins(ctx, "⚠️ " + say("page.unreachable", "en", who=person, id=alert.id))
        paged.append(person)
    if paged:
        now = time.time()

        def record(a: Alert) -> str:
            a.escalated_at, a.escalated_by = now, by
            a.history.append({"at": now, "action": "paged", "who": paged, "level": level, "by": by})
            if not a.held:
                a.sent(now, news=True)  # the page is a follow-up in the thread too
            return "paged"

        _, alert = ctx.store.change_alert(alert.id, record, ctx.cfg.retention.alerts)
        notify.alert_changed(ctx, alert, "paged", by=by)
        log.info("alert #%d: paged %s (level %d)", alert.id, ", ".join(paged), level)
    return paged
