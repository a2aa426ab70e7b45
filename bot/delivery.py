"""Getting alert changes onto chat platforms: one ordered outbox per destination, drained by RQ jobs.

Every change of an alert is queued for every platform destination of its departments. A job
per destination sends them in order: the first change posts the message, later ones update it
in place, escalation and resolution also reply in its thread. An adapter's `min_interval_s`
paces the messages to one channel; a platform that says "wait" (HTTP 429, flood control) gets
the job again after the time it asked for; nothing is dropped.
"""

from __future__ import annotations

import logging
import time

from rq import Queue

from bot import notify, platforms, render
from bot.platforms import NotReady, RateLimited
from bot.texts import say

log = logging.getLogger("sitroom.delivery")
QUEUE = "sitroom-delivery"
# Changes that also get a reply in the alert's thread; never coalesced, never throttled.
FOLLOW_UPS = ("escalated", "resolved", "grown", "paged", "severity_raised", "repeat", "reminder")
NOT_READY_RETRY_S = 60
MAX_ATTEMPTS = 5  # other platform errors: retried with backoff, then reported to the admins and skipped


def destinations(ctx, alert) -> list[tuple[str, str, str]]:
    """(platform, destination, language) for every enabled platform of the alert's departments."""
    out = []
    enabled = platforms.adapters(ctx)
    for name in alert.departments:
        dept = ctx.cfg.department(name)
        if dept is None:
            continue
        for platform in enabled:
            target = getattr(dept.destinations, platform, None)
            if target is not None:
                out.append((platform, platforms.destination_id(platform, target), dept.language))
    return out


def enqueue(ctx, alert, change: str, detail: dict | None = None) -> None:
    """Queue one alert change for every platform destination, in order."""
    for platform, destination, lang in destinations(ctx, alert):
        item = {"alert": alert.id, "change": change, "lang": lang}
        ctx.store.outbox_push(platform, destination, {**item, "detail": detail} if detail else item)
        if ctx.store.request_delivery(platform, destination):
            queue(ctx).enqueue(deliver, platform, destination, result_ttl=60, failure_ttl=7 * 86400)


def enqueue_direct(ctx, alert, member, lang: str) -> list[str]:
    """Page one person by direct message on every enabled platform that knows them; returns where."""
    reached = []
    for platform in platforms.adapters(ctx):
        user_id = member.platform_id(platform)
        if user_id is None:
            continue
        ctx.store.outbox_push(platform, user_id, {"alert": alert.id, "change": "paged", "lang": lang})
        if ctx.store.request_delivery(platform, user_id):
            queue(ctx).enqueue(deliver, platform, user_id, result_ttl=60, failure_ttl=7 * 86400)
        reached.append(platform)
    return reached


def queue(ctx) -> Queue:
    """The delivery queue (alerts, follow-ups, reports): the worker takes it before scoring."""
    return Queue(QUEUE, connection=ctx.redis)


def deliver(platform: str, destination: str) -> int:
    """RQ job: send the destination's outbox in order; returns how many changes went out."""
    from bot.jobs import context

    ctx = context()
    adapter = platforms.adapters(ctx).get(platform)
    ctx.store.clear_delivery_request(platform, destination)  # before reading: later pushes ask again
    sent = 0
    while head := ctx.store.outbox_head(platform, destination, 2):
        item = head[0]
        if len(head) == 2 and head[1]["alert"] == item["alert"] and item["change"] not in FOLLOW_UPS \
                and ctx.store.message_ref(item["alert"], platform, destination) is not None:
            ctx.store.outbox_pop(platform, destination)  # the next update shows the newer state anyway
            continue
        if adapter is None:
            log.warning("%s is off: %d changes wait for %s", platform, ctx.store.outbox_size(platform, destination), destination)
            return sent
        try:
            _send(ctx, adapter, platform, destination, item)
        except RateLimited as e:
            _retry_in(ctx, platform, destination, e.retry_after)
            return sent
        except NotReady as e:
            log.warning("cannot deliver to %s %s yet: %s", platform, destination, e)
            notify.admins(ctx, f"⚠️ {platform} {destination}: {e}")
            _retry_in(ctx, platform, destination, NOT_READY_RETRY_S)
            return sent
        except Exception as e:  # a platform error must not block the channel for good
            attempts = item.get("attempts", 0) + 1
            log.exception("delivery to %s %s failed (attempt %d)", platform, destination, attempts)
            if attempts < MAX_ATTEMPTS:
                ctx.store.outbox_replace_head(platform, destination, {**item, "attempts": attempts})
                _retry_in(ctx, platform, destination, 5 * 2**attempts)
                return sent
            notify.admins(ctx, f"⚠️ {platform} {destination}: gave up on alert #{item['alert']} ({item['change']}): {e}")
        ctx.store.outbox_pop(platform, destination)
        sent += 1
        pause = getattr(adapter, "min_interval_s", 0)
        if pause and ctx.store.outbox_size(platform, destination):
            _retry_in(ctx, platform, destination, pause)  # about one message per second per channel
            return sent
    return sent


def _send(ctx, adapter, platform: str, destination: str, item: dict) -> None:
    alert = ctx.store.get_alert(item["alert"])
    if alert is None:
        return  # expired: nothing left to show
    ref = ctx.store.message_ref(alert.id, platform, destination)
    if ref is None and alert.muted(time.time()):
        return  # silenced from the start: it is in the room, but nobody is disturbed
    card = render.cards(ctx, alert)["cards"][item["lang"]]
    if ref is None:
        ref = adapter.send(destination, card, item["lang"])
        ctx.store.save_message_ref(alert.id, platform, destination, ref, ctx.cfg.retention.alerts)
        return
    adapter.update(ref, card, item["lang"])
    if item["change"] == "grown":
        adapter.reply(ref, say("followup.grown", item["lang"], size=card["size"]))
    elif item["change"] in render.FOLLOW_UP_TEXTS:
        adapter.reply(ref, render.follow_up(ctx.cfg, alert, item["change"], item.get("detail") or {}, item["lang"]))
    elif item["change"] in FOLLOW_UPS:
        adapter.reply(ref, card["status_line"])


def _retry_in(ctx, platform: str, destination: str, seconds: float) -> None:
    if ctx.store.request_delivery(platform, destination):
        from datetime import timedelta

        queue(ctx).enqueue_in(timedelta(seconds=max(seconds, 0.5)), deliver, platform, destination, result_ttl=60)
