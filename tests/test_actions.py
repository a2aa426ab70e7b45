"""Acknowledge, resolve, mute and escalate: permissions, races, audit, and delivery in order."""

import threading
import time

import pytest

from bot import actions, commands, delivery, ingest, platforms, render
from bot.models import AlertStatus
from bot.platforms import NotReady, RateLimited
from tests.test_pipeline import outage_posts


@pytest.fixture
def alert(ctx, drain):
    ingest.accept(ctx, outage_posts())
    drain()
    [found] = ctx.store.alerts()
    return found


def test_only_department_members_change_alerts(ctx, alert):
    assert actions.act(ctx, alert.id, "ack", "room", "priya.nair", "priya.nair")[0] == "forbidden"  # security
    assert actions.act(ctx, alert.id, "ack", "slack", "U_NOBODY", "someone")[0] == "forbidden"
    assert actions.act(ctx, alert.id, "ack", "room", "markus.hoffmann", "markus.hoffmann")[0] == "acknowledged"
    assert actions.act(ctx, alert.id, "resolve", "cli", None, "admin")[0] == "resolved"  # sitroom ask is trusted
    log = ctx.store.audit_log()
    assert [(e["user"], e["platform"], e["action"], e["outcome"]) for e in log] == [
        ("priya.nair", "room", "ack", "forbidden"), ("someone", "slack", "ack", "forbidden"),
        ("markus.hoffmann", "room", "ack", "acknowledged"), ("admin", "cli", "resolve", "resolved")]


def test_two_simultaneous_acks_make_one(ctx, alert):
    results = []
    barrier = threading.Barrier(2)

    def press(who):
        barrier.wait()
        results.append(actions.act(ctx, alert.id, "ack", "room", who, who)[0])

    threads = [threading.Thread(target=press, args=(w,)) for w in ("aylin.demir", "jonas.becker")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["acknowledged", "unchanged"]
    stored = ctx.store.get_alert(alert.id)
    assert [h["action"] for h in stored.history].count("acknowledged") == 1


def test_mute_escalate_resolve_show_on_the_card(ctx, alert):
    assert actions.act(ctx, alert.id, "mute", "room", "jonas.becker", "jonas.becker", duration_s=7200)[0] == "muted"
    muted = ctx.store.get_alert(alert.id)
    assert 7190 < muted.muted_until - time.time() <= 7200
    assert actions.act(ctx, alert.id, "escalate", "room", "jonas.becker", "jonas.becker")[0] == "escalated"
    card = render.cards(ctx, ctx.store.get_alert(alert.id))["cards"]["en"]
    assert "Escalated by jonas.becker" in card["status_line"] and "Muted until" in card["status_line"]
    assert [a["action"] for a in card["actions"]] == ["ack", "resolve", "mute", "escalate"]
    actions.act(ctx, alert.id, "resolve", "room", "jonas.becker", "jonas.becker")
    card = render.cards(ctx, ctx.store.get_alert(alert.id))["cards"]["de"]
    assert card["status_line"].startswith("Erledigt von jonas.becker (room)") and card["actions"] == []


def test_an_ack_made_while_the_rule_keeps_firing_is_kept(ctx, drain, alert):
    actions.act(ctx, alert.id, "ack", "room", "aylin.demir", "aylin.demir")
    ingest.accept(ctx, outage_posts(10, start=alert.started_at + 60, prefix="more"))
    drain()
    stored = ctx.store.get_alert(alert.id)
    assert stored.current > alert.current and stored.status == AlertStatus.ACKNOWLEDGED


@pytest.mark.parametrize("text, expected", [
    ("resolve {id}", "Alert #{id} resolved by jonas.becker."),
    ("erledigt {id}", "Alarm #{id} als erledigt markiert von jonas.becker."),
    ("mute {id} for 2h", "Alert #{id} is muted until"),
    ("stumm {id} 30 min", "Alarm #{id} ist bis"),
    ("escalate #{id}", "Alert #{id} escalated to on-call by jonas.becker."),
    ("eskaliere {id}", "Alarm #{id} an die Bereitschaft eskaliert von jonas.becker."),
])
def test_actions_typed_in_chat(ctx, alert, text, expected):
    reply = commands.handle(ctx, commands.Request(text.format(id=alert.id), "jonas.becker", "network"))
    assert reply.text.startswith(expected.format(id=alert.id))


def test_mute_topic_silences_new_alerts(ctx, drain):
    reply = commands.handle(ctx, commands.Request("mute topic outage for 2h", "jonas.becker", "network"))
    assert reply.text.startswith("Topic “Network outage” is muted for 2h")
    ingest.accept(ctx, outage_posts())
    drain()
    [alert] = ctx.store.alerts()
    assert (alert.held_for, alert.held_by) == ("silence", "jonas.becker") and alert.history[-1]["action"] == "held"
    german = commands.handle(ctx, commands.Request("Thema Rückruf für 2 Stunden stummschalten", "jonas.becker", "network"))
    assert german.text.startswith("Thema „Geräterückruf")
    outsider = commands.handle(ctx, commands.Request("mute topic phishing for 1h", "mallory", "network"))
    assert outsider.text == "Only department members can mute topics."


class FakeAdapter:
    """Records calls; can be told to say 'wait' or 'not ready' once."""

    name = "slack"

    def __init__(self):
        self.calls, self.fail = [], []

    def _maybe_fail(self):
        if self.fail:
            raise self.fail.pop(0)

    def send(self, destination, card, lang):
        self._maybe_fail()
        self.calls.append(("send", destination, card["id"], card["status"], lang))
        return {"channel": destination, "ts": str(len(self.calls))}

    def update(self, ref, card, lang):
        self._maybe_fail()
        self.calls.append(("update", ref["ts"], card["id"], card["status"]))

    def reply(self, ref, text):
        self.calls.append(("reply", ref["ts"], text))


@pytest.fixture
def slack(ctx, monkeypatch):
    """The network department gets a Slack channel, served by a fake adapter."""
    fake = FakeAdapter()
    ctx.adapters = {"slack": fake}
    from bot.config import Destinations, SlackDestination

    dept = ctx.cfg.department("network")
    object.__setattr__(dept, "destinations", Destinations(room=dept.destinations.room, slack=SlackDestination(channel="C1")))
    return fake


def test_every_change_reaches_the_platform_in_order(ctx, drain, slack):
    ingest.accept(ctx, outage_posts())
    drain()
    [alert] = ctx.store.alerts()
    actions.act(ctx, alert.id, "ack", "room", "aylin.demir", "aylin.demir")
    actions.act(ctx, alert.id, "resolve", "room", "aylin.demir", "aylin.demir")
    drain()
    assert slack.calls[0] == ("send", "C1", alert.id, "firing", "de")
    # The ack's update is skipped: the resolve right behind it shows the newer state anyway.
    assert slack.calls[1:] == [("update", "1", alert.id, "resolved"), ("reply", "1", slack.calls[-1][2])]
    assert slack.calls[-1][2].startswith("Erledigt von aylin.demir")
    assert ctx.store.outbox_size("slack", "C1") == 0


def test_rate_limits_and_missing_destinations_wait_and_lose_nothing(ctx, drain, slack):
    slack.fail = [RateLimited(0.5), NotReady("no reference yet")]
    ingest.accept(ctx, outage_posts())
    drain()
    assert slack.calls == [] and ctx.store.outbox_size("slack", "C1") >= 1
    from rq.registry import ScheduledJobRegistry

    assert len(ScheduledJobRegistry(delivery.QUEUE, connection=ctx.redis)) == 1
    delivery.deliver("slack", "C1")  # the scheduled retry, run now: the platform says "not ready"
    assert slack.calls == []
    assert "no reference yet" in ctx.store.chat_history("social")[-1]["text"]  # admins are told
    delivery.deliver("slack", "C1")
    assert slack.calls[0][0] == "send" and ctx.store.outbox_size("slack", "C1") == 0


def test_platforms_without_credentials_are_off(ctx, monkeypatch):
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TELEGRAM_BOT_TOKEN", "MICROSOFT_APP_ID", "SITROOM_TEAMS_DEV"):
        monkeypatch.delenv(var, raising=False)
    assert platforms.adapters(ctx) == {}


def test_a_platform_error_is_retried_then_reported_not_blocking(ctx, drain, slack):
    slack.fail = [RuntimeError("channel archived")] * delivery.MAX_ATTEMPTS
    ingest.accept(ctx, outage_posts())
    drain()  # first attempt
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        assert ctx.store.outbox_size("slack", "C1") == 1
        delivery.deliver("slack", "C1")
    assert ctx.store.outbox_size("slack", "C1") == 0 and slack.calls == []
    assert "gave up on alert #1 (fired): channel archived" in ctx.store.chat_history("social")[-1]["text"]


def test_messages_to_one_channel_are_paced(ctx, drain, slack):
    from rq.registry import ScheduledJobRegistry

    slack.min_interval_s = 1.0
    ingest.accept(ctx, outage_posts())
    drain()
    [alert] = ctx.store.alerts()
    actions.act(ctx, alert.id, "escalate", "room", "aylin.demir", "aylin.demir")  # a follow-up: never coalesced
    actions.act(ctx, alert.id, "resolve", "room", "aylin.demir", "aylin.demir")
    drain()
    assert [c[0] for c in slack.calls] == ["send", "update", "reply"]  # then it waits its second
    assert ctx.store.outbox_size("slack", "C1") == 1
    assert len(ScheduledJobRegistry(delivery.QUEUE, connection=ctx.redis)) == 1
    delivery.deliver("slack", "C1")
    assert [c[0] for c in slack.calls][3:] == ["update", "reply"]


def test_an_alert_that_doubles_gets_a_follow_up_in_its_thread(ctx, drain, slack):
    ingest.accept(ctx, outage_posts(12))
    drain()
    [alert] = ctx.store.alerts()
    assert alert.reported == alert.current
    ingest.accept(ctx, outage_posts(20, start=alert.started_at + 30, prefix="more"))
    drain()
    grown = ctx.store.get_alert(alert.id)
    assert grown.current >= 2 * alert.current and grown.reported == grown.current
    replies = [c for c in slack.calls if c[0] == "reply"]
    assert len(replies) == 1 and replies[0][2].startswith(f"📈 Weiter gewachsen: {int(grown.current)} Beiträge in 20m")
