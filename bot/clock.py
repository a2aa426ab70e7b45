"""The wall clock: a tick every minute on RQ's scheduler, for what time alone makes due.

A tick posts held alerts whose hold has ended (group_wait over, silence or maintenance window
over, the inhibiting alert resolved), sends the in-place updates group_interval held back,
"still firing" repeats and reminders of acknowledged alerts, sends the department reports whose
time has come, and runs the rules, so that rules like flatline fire when nothing arrives at all.

Exactly one chain of ticks lives across all workers and restarts. The store records the id of
the tick job that carries it; a tick schedules its successor and hands the record on before it
works, and a tick that finds the record naming another job ends without a successor. A worker
starts a chain at start-up only when the recorded job is gone; the record expires after a few
missed ticks, so a chain whose workers all died is replaced by the next worker that starts.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from datetime import timedelta

from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from bot import alerting, notify, report_schedule
from bot.models import Alert
from rules import noise

log = logging.getLogger("sitroom.clock")
QUEUE = "sitroom-clock"
INTERVAL_S = 60
RECORD_S = 5 * INTERVAL_S  # how long the chain's record outlives its last tick
ALIVE = (JobStatus.SCHEDULED, JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED)


def ensure(ctx) -> bool:
    """Start a tick chain unless one is alive (a worker calls this at start); True if it started one."""
    holder = ctx.store.clock_job()
    if holder is not None and _alive(ctx, holder):
        return False
    job_id = _new_id()
    if not ctx.store.pass_clock(holder, job_id, RECORD_S):
        return False  # another worker started one a moment ago
    _queue(ctx).enqueue(tick, job_id=job_id, result_ttl=600, failure_ttl=7 * 86400)
    log.info("clock started (tick %s)", job_id)
    return True


def tick() -> str:
    """RQ job: schedule the next tick, then do what is due; returns 'ticked' or 'superseded'."""
    from bot import jobs

    ctx = jobs.context()
    me = get_current_job().id
    if ctx.store.clock_job() != me:
        return "superseded"  # another chain carries the clock: this one ends here
    successor = _new_id()
    # The successor is scheduled before the work, so an error in the work cannot stop the clock.
    _queue(ctx).enqueue_in(timedelta(seconds=INTERVAL_S), tick, job_id=successor, result_ttl=600,
                           failure_ttl=7 * 86400)
    if not ctx.store.pass_clock(me, successor, RECORD_S):
        Job.fetch(successor, connection=ctx.redis).delete()
        return "superseded"
    ctx.follow_rules()
    done = work(ctx, time.time())
    jobs.evaluate()
    if any(done.values()):
        log.info("tick: %s", ", ".join(f"{n} {what}" for what, n in sorted(done.items()) if n))
    return "ticked"


def work(ctx, now: float) -> Counter:
    """Everything due at wall time `now` except the rule evaluation; returns counts by kind."""
    done = Counter(released=len(alerting.release_held(ctx, now)))
    open_alerts = ctx.store.open_alerts_by_fingerprint()
    inputs = alerting.noise_inputs(ctx, open_alerts, now)
    for alert in open_alerts.values():
        if alert.held:
            continue
        rule = alerting.rule_of(ctx, alert)
        quiet = noise.hold(alert, rule, **inputs) is not None  # a silence or window begun since it was posted
        for what in noise.due(alert, rule, now, quiet):
            if _carry_out(ctx, alert.id, rule, what, now, quiet):
                done[what] += 1
    done["reports"] = report_schedule.send_due(ctx, now)  # department reports now due (docs/reports.md)
    return done


def _carry_out(ctx, alert_id: int, rule, what: str, now: float, quiet: bool) -> bool:
    """Send one due update, repeat or reminder; False when another worker was first or it is due no more."""
    detail: dict = {}

    def change(a: Alert) -> str | None:
        if what not in noise.due(a, rule, now, quiet):
            return None
        if what == noise.UPDATE:
            a.sent(now)
            return "updated"
        a.sent(now, news=True)
        if what == noise.REPEAT:
            a.repeated_at = now
            a.history.append({"at": now, "action": "repeated"})
            return "repeat"
        detail.update(who=a.acked_by, ago=now - (a.acked_at or now))
        a.reminded_at = now
        a.history.append({"at": now, "action": "reminded", "who": a.acked_by})
        return "reminder"

    outcome, alert = ctx.store.change_alert(alert_id, change, ctx.cfg.retention.alerts)
    if outcome == "updated":
        notify.alert_changed(ctx, alert, "updated")
    elif outcome in ("repeat", "reminder"):
        notify.follow_up(ctx, alert, outcome, detail)
    return outcome in ("updated", "repeat", "reminder")


def _alive(ctx, job_id: str) -> bool:
    try:
        return Job.fetch(job_id, connection=ctx.redis).get_status() in ALIVE
    except NoSuchJobError:
        return False


def _new_id() -> str:
    return f"sitroom-tick-{uuid.uuid4().hex[:12]}"


def _queue(ctx) -> Queue:
    return Queue(QUEUE, connection=ctx.redis)
