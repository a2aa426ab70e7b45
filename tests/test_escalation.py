"""Escalation: unacknowledged alerts page the on-call people in order, on RQ timers that live in Redis."""

import time

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot import actions, escalation, ingest
from bot.config import Destinations, Member, SlackDestination
from tests.test_actions import FakeAdapter
from tests.test_pipeline import outage_posts


def on_fake_slack(ctx, fake):
    """network on this fake Slack adapter (channel C1); its on-call people (markus, then aylin) have Slack ids."""
    ctx.adapters = {"slack": fake}
    dept = ctx.cfg.department("network")
    object.__setattr__(dept, "destinations", Destinations(room=dept.destinations.room, slack=SlackDestination(channel="C1")))
    object.__setattr__(dept, "members", [Member(name="jonas.becker"), Member(name="aylin.demir", slack="U0AYLIN"),
                                         Member(name="markus.hoffmann", slack="U0MARKUS")])
    return fake


@pytest.fixture
def paging(ctx):
    return on_fake_slack(ctx, FakeAdapter())


@pytest.fixture
def alert(ctx, drain, paging):
    ingest.accept(ctx, outage_posts())
    drain()
    [found] = ctx.store.alerts()
    return found


def timers(ctx):
    """(due, args) of every escalation timer in Redis, soonest first."""
    registry = ScheduledJobRegistry(escalation.QUEUE, connection=ctx.redis)
    jobs = [Job.fetch(i, connection=ctx.redis) for i in registry.get_job_ids()]
    return sorted((registry.get_scheduled_time(job).timestamp(), job.args) for job in jobs)


def test_firing_sets_the_first_timer_in_redis(ctx, alert):
    [(due, args)] = timers(ctx)
    assert args == (alert.id, 0)
    assert 14 * 60 < due - time.time() <= 15 * 60  # rules/escalation.yaml: level 1 after 15 minutes


def test_steps_page_on_call_people_in_order_until_someone_acknowledges(ctx, alert, paging, drain):
    assert escalation.step(alert.id, 0) == "paged"
    drain()
    assert ("send", "U0MARKUS", alert.id, "firing", "de") in paging.calls
    room = ctx.store.chat_history("network")[-1]["text"]
    assert room == f"📟 Alarm #{alert.id}: markus.hoffmann (Bereitschaft, Stufe 1) wird benachrichtigt – slack."
    assert [args for _, args in timers(ctx)].count((alert.id, 1)) == 1  # level 2 is next
    assert escalation.step(alert.id, 1) == "paged"
    drain()
    assert ("send", "U0AYLIN", alert.id, "firing", "de") in paging.calls
    assert [args for _, args in timers(ctx)].count((alert.id, 0)) == 2  # the first timer, and the chain again
    actions.act(ctx, alert.id, "ack", "slack", "U0AYLIN", "Aylin")
    assert escalation.step(alert.id, 0) == "stopped"
    history = [(h["action"], h.get("level")) for h in ctx.store.get_alert(alert.id).history]
    assert history == [("fired", None), ("paged", 1), ("paged", 2), ("acknowledged", None)]


def test_a_muted_alert_waits(ctx, alert):
    actions.act(ctx, alert.id, "mute", "room", "jonas.becker", "jonas.becker", duration_s=3600)
    assert escalation.step(alert.id, 0) == "muted"
    assert max(due for due, _ in timers(ctx)) > time.time() + 3500


def test_escalate_button_pages_the_next_level_now(ctx, alert, paging, drain):
    actions.act(ctx, alert.id, "escalate", "room", "jonas.becker", "jonas.becker")
    actions.act(ctx, alert.id, "escalate", "room", "jonas.becker", "jonas.becker")
    drain()
    assert [c[1] for c in paging.calls if c[0] == "send"] == ["C1", "U0MARKUS", "U0AYLIN"]
    stored = ctx.store.get_alert(alert.id)
    assert stored.escalated_by == "jonas.becker" and [h["level"] for h in stored.history if h["action"] == "paged"] == [1, 2]


def test_someone_no_platform_knows_is_reported_to_admins(ctx, alert):
    dept = ctx.cfg.department("network")
    object.__setattr__(dept, "members", [Member(name="markus.hoffmann")])
    escalation.step(alert.id, 0)
    assert "markus.hoffmann is on call for alert" in ctx.store.chat_history("social")[-1]["text"]
    assert "keine Plattform" in ctx.store.chat_history("network")[-1]["text"]
