"""Department reports on the clock: which configured reports are due, and sending them.

A report is due at each time its cron expression names in its time zone. The one-minute tick
(bot/clock.py) claims each run once in Redis, so several workers and restarts send it once; a run
missed by up to CATCH_UP_S (a restart) goes out on the next tick. A delivery job builds it and
posts it to the department's room channel, and as one more job to each of its platform channels
(adapter.post), waiting when a platform asks to. docs/reports.md shows the configuration.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from bot import notify, report

log = logging.getLogger("sitroom.report")
CATCH_UP_S = 600  # a run missed by at most this much (a restart, a late tick) is still sent


def last_run(cron: str, tz: str, now: float) -> float:
    """The latest time at or before `now` the cron expression names in `tz`. A time the clock skips
    (spring forward) runs when the clock resumes, as cron does; a time shown twice (fall back), once
    at its first showing."""
    base = datetime.fromtimestamp(now + 1, ZoneInfo(tz))  # croniter looks strictly before its base
    run = croniter(cron, base).get_prev(datetime)
    first = run.replace(fold=0)
    return (first if first.utcoffset() != run.utcoffset() else run).timestamp()


def scheduled(ctx, spec, run_at: float) -> report.Made:
    """A report of config.yaml for its run at `run_at`."""
    tz = spec.timezone or ctx.cfg.timezone
    start = report.back(run_at, spec.since, tz)
    return report.make(ctx, spec.department, start, run_at, topics=spec.topics, regions=spec.regions,
                       lang=spec.language, tz=tz, previous_start=report.back(start, spec.since, tz))


def due(ctx, now: float) -> list[tuple[object, float]]:
    """(report, run time) of the configured reports due at `now`, each claimed once across all
    workers and restarts; a run missed by up to CATCH_UP_S is still due."""
    out = []
    for spec in ctx.cfg.reports:
        run = last_run(spec.cron, spec.timezone or ctx.cfg.timezone, now)
        if now - run <= CATCH_UP_S and ctx.store.once(f"report:{spec.department}:{spec.cron}:{int(run)}", 2 * 86400):
            out.append((spec, run))
    return out


def send_due(ctx, now: float) -> int:
    """Queue the reports due at `now` (the clock's tick); returns how many. Building one takes
    seconds: a job does it, so that the tick stays short."""
    from bot import delivery

    queued = 0
    for spec, run in due(ctx, now):
        delivery.queue(ctx).enqueue(deliver, ctx.cfg.reports.index(spec), run, result_ttl=60, failure_ttl=7 * 86400)
        queued += 1
    return queued


def deliver(index: int, run: float) -> str:
    """RQ job: build the `index`-th configured report for its run at `run` and send it."""
    from bot.jobs import context

    ctx = context()
    if index >= len(ctx.cfg.reports):
        return "gone"  # the configuration changed meanwhile
    spec = ctx.cfg.reports[index]
    try:
        send(ctx, spec.department, scheduled(ctx, spec, run))
    except Exception:  # a broken report is logged and reported; the others go out all the same
        log.exception("report for %s at %s failed", spec.department, datetime.fromtimestamp(run))
        notify.admins(ctx, f"⚠️ the report for {spec.department} could not be made; see the worker's log")
        return "failed"
    return "sent"


def send(ctx, department: str, made: report.Made) -> None:
    """Post a report to the department's room channel and queue it for each of its platform channels."""
    from bot import delivery, platforms

    notify.room(ctx, department, {"from": "sitroom", "text": made.text, "bot": True,
                                  "images": list(made.images.values()), "link": made.path})
    dept = ctx.cfg.department(department)
    for platform in platforms.adapters(ctx):
        target = getattr(dept.destinations, platform, None)
        if target is not None:
            destination = platforms.destination_id(platform, target)
            delivery.queue(ctx).enqueue(post, platform, destination, made.text, list(made.charts.values()),
                                         result_ttl=60, failure_ttl=7 * 86400)


def post(platform: str, destination: str, text: str, charts: list, attempt: int = 0) -> str:
    """RQ job: a report message in one platform channel; waits when the platform asks, retries on errors."""
    from bot import delivery, platforms
    from bot.jobs import context
    from bot.platforms import NotReady, RateLimited

    ctx = context()
    adapter = platforms.adapters(ctx).get(platform)
    if adapter is None:
        return "off"
    try:
        adapter.post(destination, text, charts)
        return "posted"
    except (RateLimited, NotReady) as e:
        wait = e.retry_after if isinstance(e, RateLimited) else delivery.NOT_READY_RETRY_S
        log.warning("report to %s %s waits %.0f s: %s", platform, destination, wait, e)
    except Exception as e:  # a platform error: retried with backoff, then the admins are told
        if attempt + 1 >= delivery.MAX_ATTEMPTS:
            log.exception("report to %s %s failed for good", platform, destination)
            notify.admins(ctx, f"⚠️ {platform} {destination}: gave up on a report: {e}")
            return "failed"
        wait = 5 * 2 ** (attempt + 1)
        log.warning("report to %s %s failed (attempt %d), again in %d s: %s", platform, destination, attempt + 1, wait, e)
    delivery.queue(ctx).enqueue_in(timedelta(seconds=max(wait, 0.5)), post, platform, destination, text, charts,
                                    attempt + 1, result_ttl=60, failure_ttl=7 * 86400)
    return "retry"
