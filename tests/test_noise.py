"""Noise control: pure decisions on a fake clock, then holds, throttling, repeats and reminders on real Redis."""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot import actions, alerting, clock, commands, escalation, render, store, worker
from bot.models import Alert, AlertStatus, Severity
from bot.yamlfile import YamlError
from rules import engine, loader, noise
from rules.model import Inhibit, Maintenance, Silence
from tests.test_actions import FakeAdapter
from tests.test_escalation import on_fake_slack

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def at(*parts, zone=BERLIN, fold=0) -> float:
    return datetime(*parts, tzinfo=zone, fold=fold).timestamp()


def alert(id=1, severity="warning", rule="r", departments=("network",), status=AlertStatus.FIRING, **labels) -> Alert:
    return Alert(id, f"{rule}|{id}", rule, Severity(severity), list(departments), labels, {}, status=status)


# --- maintenance windows -------------------------------------------------------------------

def test_a_maintenance_window_across_midnight():
    nightly = Maintenance(name="backup", cron="0 23 * * *", duration="2h")
    assert noise.active_maintenance(nightly, at(2025, 6, 10, 22, 59)) is None
    assert noise.active_maintenance(nightly, at(2025, 6, 10, 23, 0)) == (at(2025, 6, 10, 23, 0), at(2025, 6, 11, 1, 0))
    assert noise.active_maintenance(nightly, at(2025, 6, 11, 0, 30)) == (at(2025, 6, 10, 23, 0), at(2025, 6, 11, 1, 0))
    assert noise.active_maintenance(nightly, at(2025, 6, 11, 1, 0)) is None  # the end is not inside


def test_a_maintenance_window_when_the_clocks_go_forward_and_back():
    sunday = Maintenance(name="core", cron="30 2 * * sun", duration="1h")
    # 2025-03-30: 02:00 becomes 03:00 — a start the clock skips happens when it resumes, for its full hour.
    assert noise.active_maintenance(sunday, at(2025, 3, 30, 3, 30)) == (at(2025, 3, 30, 3, 0), at(2025, 3, 30, 4, 0))
    assert noise.active_maintenance(sunday, at(2025, 3, 30, 4, 0)) is None
    two_hours = Maintenance(name="core", cron="0 2 * * sun", duration="2h")
    # 2025-10-26: 03:00 becomes 02:00 again — the window counts from the first 02:00 (00:00 UTC).
    first = at(2025, 10, 26, 0, 0, zone=UTC)
    assert noise.active_maintenance(two_hours, at(2025, 10, 26, 2, 30, fold=1)) == (first, first + 7200)
    assert noise.active_maintenance(two_hours, at(2025, 10, 26, 3, 0)) is None  # 02:00 UTC: two real hours later
    # The same window in New York: time zone aware, not Berlin's.
    ny = Maintenance(name="ny", cron="0 2 * * *", duration="1h", timezone="America/New_York")
    assert noise.active_maintenance(ny, at(2025, 1, 15, 7, 30, zone=UTC)) is not None
    assert noise.active_maintenance(ny, at(2025, 1, 15, 2, 30, zone=UTC)) is None


def test_maintenance_windows_with_a_bad_cron_or_zone_are_refused_with_file_and_line(tmp_path):
    path = tmp_path / "noise.yaml"
    path.write_text("maintenance:\n  - name: core\n    cron: '0 25 * * *'\n    duration: 2h\n"
                    "  - name: edge\n    cron: '0 2 * * sun'\n    duration: 1h\n    timezone: Mars/Olympus\n",
                    encoding="utf-8")
    with pytest.raises(YamlError) as e:
        loader.load_files([path])
    problems = "\n".join(e.value.problems)
    assert f"{path}:3:" in problems and "'0 25 * * *' is not a cron expression" in problems
    assert f"{path}:8:" in problems and "Mars/Olympus" in problems


def test_maintenance_matchers_pick_their_alerts():
    window = Maintenance(name="core", cron="0 2 * * *", duration="2h", matchers={"department": "network", "region": "koeln"})
    now = at(2025, 6, 10, 2, 30)
    assert noise.in_maintenance(alert(region="koeln"), [window], now) == (window, at(2025, 6, 10, 4, 0))
    assert noise.in_maintenance(alert(region="bonn"), [window], now) is None
    assert noise.in_maintenance(alert(region="koeln", departments=("devices",)), [window], now) is None


# --- inhibition ----------------------------------------------------------------------------

CRITICAL_HOLDS_WARNINGS = Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["region", "topic"])


def test_inhibition_needs_equal_labels_and_missing_ones_count_as_equal():
    source = alert(1, "critical", region="koeln", topic="outage")
    assert noise.inhibitor(alert(2, region="koeln", topic="outage"), [source], [CRITICAL_HOLDS_WARNINGS]) is source
    assert noise.inhibitor(alert(2, region="bonn", topic="outage"), [source], [CRITICAL_HOLDS_WARNINGS]) is None
    # A label neither has is equal; one that only one of them has is not.
    bare = alert(3, "critical", topic="outage")
    assert noise.inhibitor(alert(4, topic="outage"), [bare], [CRITICAL_HOLDS_WARNINGS]) is bare
    assert noise.inhibitor(alert(4, topic="outage", region="koeln"), [bare], [CRITICAL_HOLDS_WARNINGS]) is None
    assert noise.inhibitor(alert(4, topic="outage"), [source], [CRITICAL_HOLDS_WARNINGS]) is None


def test_inhibition_needs_an_open_source_and_never_holds_the_source_itself():
    resolved = alert(1, "critical", status=AlertStatus.RESOLVED, region="koeln", topic="outage")
    assert noise.inhibitor(alert(2, region="koeln", topic="outage"), [resolved], [CRITICAL_HOLDS_WARNINGS]) is None
    same = Inhibit(source={"rule": "r"}, target={"rule": "r"})
    lonely = alert(5)
    assert noise.inhibitor(lonely, [lonely], [same]) is None
    assert noise.inhibitor(alert(6), [lonely], [same]) is lonely


# --- silences and holds --------------------------------------------------------------------

def test_silences_from_chat_and_from_rule_files_hold_until_they_end():
    chat = [{"matchers": {"topic": "recall"}, "until": at(2025, 6, 1, 12, 0), "by": "jonas.becker", "reason": "mute topic"}]
    written = [Silence(matchers={"region": "koeln"}, starts=datetime(2025, 6, 1, 9, 0), ends=datetime(2025, 6, 1, 17, 0),
                       by="ops", reason="migration"),
               Silence(matchers={"region": "bonn"}, ends=datetime(2025, 6, 1, 10, 0, tzinfo=UTC), by="ops", reason="x")]
    windows = noise.silence_windows(chat, written)
    recall, koeln, bonn = alert(topic="recall"), alert(region="koeln"), alert(region="bonn")
    assert noise.silenced(recall, windows, at(2025, 6, 1, 11, 59)).by == "jonas.becker"
    assert noise.silenced(recall, windows, at(2025, 6, 1, 12, 0)) is None
    assert noise.silenced(koeln, windows, at(2025, 6, 1, 8, 59)) is None  # local time in Europe/Berlin
    assert noise.silenced(koeln, windows, at(2025, 6, 1, 9, 0)).reason == "migration"
    assert noise.silenced(koeln, windows, at(2025, 6, 1, 17, 0)) is None
    assert noise.silenced(bonn, windows, at(2025, 6, 1, 11, 59)) is not None  # 10:00 UTC is 12:00 in Berlin
    assert noise.silenced(bonn, windows, at(2025, 6, 1, 12, 0)) is None


def test_the_longest_hold_wins_and_inhibition_lasts_until_its_source_resolves():
    rule = type("Rule", (), {"group_wait": 300})
    new = alert(2, region="koeln", topic="outage")
    new.created_wall = at(2025, 6, 1, 11, 58)
    silence = noise.silence_windows([{"matchers": {"region": "koeln"}, "until": at(2025, 6, 1, 12, 30), "by": "x"}], [])
    now = at(2025, 6, 1, 12, 0)
    assert noise.hold(new, rule, now=now) == noise.Hold(noise.GROUP_WAIT, at(2025, 6, 1, 12, 3))
    assert noise.hold(new, rule, silences=silence, now=now).reason == noise.SILENCE
    source = alert(1, "critical", region="koeln", topic="outage")
    held = noise.hold(new, rule, silence, open_alerts=[source], inhibit=[CRITICAL_HOLDS_WARNINGS], now=now)
    assert held == noise.Hold(noise.INHIBITED, None, "1")
    assert noise.hold(new, rule, now=at(2025, 6, 1, 12, 3)) is None


def test_what_time_makes_due():
    rule = type("Rule", (), {"group_interval": 300, "repeat_interval": 4 * 3600, "remind_after": 2 * 3600})
    t = at(2025, 6, 1, 12, 0)
    a = alert()
    a.created_wall = a.notified_at = a.last_update_sent_at = t
    a.update_pending = True
    assert noise.due(a, rule, t + 299) == []
    assert noise.due(a, rule, t + 300) == [noise.UPDATE]
    assert noise.due(a, rule, t + 4 * 3600) == [noise.UPDATE, noise.REPEAT]
    assert noise.due(a, rule, t + 4 * 3600, quiet=True) == [noise.UPDATE]  # silenced since: no repeat
    a.muted_until, a.update_pending = t + 5 * 3600, False
    assert noise.due(a, rule, t + 4 * 3600) == []
    a.muted_until, a.status, a.acked_at, a.acked_by = None, AlertStatus.ACKNOWLEDGED, t + 60, "aylin.demir"
    assert noise.due(a, rule, t + 60 + 2 * 3600 - 1) == []
    assert noise.due(a, rule, t + 60 + 2 * 3600) == [noise.REMINDER]
    a.reminded_at = t + 60 + 2 * 3600
    assert noise.due(a, rule, t + 60 + 4 * 3600) == [noise.REMINDER]
    a.held_for = noise.GROUP_WAIT
    assert noise.due(a, rule, t + 10 * 3600) == []


# --- on Redis: holds, throttling, repeats, reminders, rising severity ----------------------

class CardAdapter(FakeAdapter):
    """The fake adapter, also keeping the size line of every card it shows."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def send(self, destination, card, lang):
        self.sizes.append(card["size"])
        return super().send(destination, card, lang)

    def update(self, ref, card, lang):
        self.sizes.append(card["size"])
        super().update(ref, card, lang)


@pytest.fixture
def chat(ctx):
    """network on a fake Slack channel C1; its people known there."""
    return on_fake_slack(ctx, CardAdapter())


@pytest.fixture
def deliver(ctx):
    """Run the queued deliveries (and anything else queued) in this process; no model needed."""
    return lambda: worker.run(ctx, burst=True, scorer=object())


def use(ctx, *rules, inhibit=(), silences=(), maintenance=()) -> None:
    """Run with these rules (and noise settings) instead of the shipped ones."""
    ruleset = loader.RuleSet(rules)
    ruleset.escalations = ctx.rules.escalations
    ruleset.inhibit, ruleset.silences, ruleset.maintenance = list(inhibit), list(silences), list(maintenance)
    ctx.rules = ruleset


def outage_rule(ctx, **changes):
    """The shipped outage rule with these changes (and no group_wait unless asked for)."""
    return next(r for r in ctx.rules if r.name == "network-outage-surge").model_copy(update={"group_wait": 0, **changes})


def fire(rule, current=12.0, at=None, region="koeln_bonn") -> engine.Fire:
    at = time.time() if at is None else at
    labels = {**rule.match.dims(), "region": region}
    return engine.Fire(rule, engine.fingerprint(rule.name, {"region": region}), labels, current, 3.0, at,
                       engine.severity_of(rule, current))


def timers(ctx) -> list[tuple[tuple, dict]]:
    """(args, kwargs) of every escalation timer, in no particular order."""
    registry = ScheduledJobRegistry(escalation.QUEUE, connection=ctx.redis)
    return [(job.args, job.kwargs) for job in (Job.fetch(i, connection=ctx.redis) for i in registry.get_job_ids())]


def test_group_wait_holds_a_new_alert_then_the_clock_posts_it(ctx, chat, deliver):
    rule = outage_rule(ctx, group_wait=120)
    use(ctx, rule)
    t = time.time()
    [held] = alerting.apply(ctx, [fire(rule)], now=t)
    assert (held.held_for, held.held_until) == ("group_wait", t + 120)
    deliver()
    assert chat.calls == [] and timers(ctx) == []  # no message, no escalation while held
    line = render.cards(ctx, held)["cards"]["en"]["status_line"]
    assert f"Held back: group wait, until {render.local_time(ctx.cfg, t + 120)}" in line
    assert clock.work(ctx, t + 119)["released"] == 0
    assert clock.work(ctx, t + 120)["released"] == 1
    deliver()
    assert chat.calls == [("send", "C1", held.id, "firing", "de")]
    assert timers(ctx) == [((held.id, 0), {"generation": 0})]
    assert [h["action"] for h in ctx.store.get_alert(held.id).history] == ["fired", "held", "released"]


def test_a_maintenance_window_holds_and_posts_at_its_end_only_what_still_fires(ctx, chat, deliver):
    rule = outage_rule(ctx)
    window = Maintenance(name="core-upgrade", cron="0 2 * * sun", duration="2h", matchers={"topic": "network_outage"})
    use(ctx, rule, maintenance=[window])
    t, end = at(2025, 3, 2, 2, 30), at(2025, 3, 2, 4, 0)
    koeln, berlin = alerting.apply(ctx, [fire(rule, at=t), fire(rule, at=t, region="berlin")], now=t)
    assert {(a.held_for, a.held_until, a.held_by) for a in (koeln, berlin)} == {("maintenance", end, "core-upgrade")}
    alerting.apply(ctx, [engine.Resolve(berlin, t + 600)], now=t + 600)  # over before the window ends
    assert clock.work(ctx, end - 1)["released"] == 0
    deliver()
    assert chat.calls == []
    assert clock.work(ctx, end)["released"] == 1
    deliver()
    assert chat.calls == [("send", "C1", koeln.id, "firing", "de")]  # berlin was never posted
    assert "Wartungsfenster core-upgrade" in render.cards(ctx, berlin)["cards"]["de"]["status_line"]


@pytest.mark.parametrize("by_hand", [False, True], ids=["rule", "by-hand"])
def test_a_critical_alert_holds_back_the_warning_of_its_group_until_it_resolves(ctx, chat, deliver, by_hand):
    critical = outage_rule(ctx)
    warning = outage_rule(ctx, name="network-outage-chatter", severity=Severity.WARNING)
    inhibit = Inhibit(source={"severity": "critical"}, target={"severity": "warning"}, equal=["region"])
    use(ctx, critical, warning, inhibit=[inhibit])
    t = time.time()
    # The warning comes first in the batch: the critical one beside it still holds it back.
    held, elsewhere, source = alerting.apply(
        ctx, [fire(warning, 6, t), fire(warning, 6, t, region="berlin"), fire(critical, 20, t)], now=t)
    assert (held.held_for, held.held_by) == ("inhibited", str(source.id))
    assert not elsewhere.held and not source.held  # another region is another group
    assert "Zurückgehalten, solange Alarm #" in render.cards(ctx, held)["cards"]["de"]["status_line"]
    deliver()
    assert {c[2] for c in chat.calls if c[0] == "send"} == {elsewhere.id, source.id}
    if by_hand:
        actions.act(ctx, source.id, "resolve", "room", "aylin.demir", "aylin.demir")
    else:
        alerting.apply(ctx, [engine.Resolve(source, t + 60)], now=t + 60)
    deliver()
    assert ("send", "C1", held.id, "firing", "de") in chat.calls  # at once, not at the next tick
    released = ctx.store.get_alert(held.id).history[-1]
    assert (released["action"], released["after"]) == ("released", "inhibited")


def test_a_topic_muted_in_chat_holds_new_alerts_until_the_silence_ends(ctx, chat, deliver):
    rule = outage_rule(ctx)
    use(ctx, rule)
    commands.handle(ctx, commands.Request("mute topic outage for 2h", "jonas.becker", "network"))
    [held] = alerting.apply(ctx, [fire(rule)])
    assert (held.held_for, held.held_by) == ("silence", "jonas.becker")
    assert "stummgeschaltet von jonas.becker" in render.cards(ctx, held)["cards"]["de"]["status_line"]
    clock.work(ctx, held.held_until - 1)
    deliver()
    assert chat.calls == []
    clock.work(ctx, held.held_until)
    deliver()
    assert chat.calls == [("send", "C1", held.id, "firing", "de")]


def test_a_reminder_names_who_acknowledged_and_comes_again(ctx, chat, deliver):
    rule = outage_rule(ctx, remind_after=3600)
    use(ctx, rule)
    [posted] = alerting.apply(ctx, [fire(rule)])
    actions.act(ctx, posted.id, "ack", "room", "aylin.demir", "aylin.demir")
    acked = ctx.store.get_alert(posted.id).acked_at
    assert clock.work(ctx, acked + 3599)["reminder"] == 0
    assert clock.work(ctx, acked + 3600)["reminder"] == 1
    assert clock.work(ctx, acked + 3660)["reminder"] == 0  # once per remind_after
    deliver()
    text = f"⏰ Erinnerung: Alarm #{posted.id} wurde vor 1h von aylin.demir bestätigt, ist aber noch nicht erledigt."
    assert chat.calls[-1] == ("reply", "1", text)
    assert ctx.store.chat_history("network")[-1]["text"] == text
    assert clock.work(ctx, acked + 7200)["reminder"] == 1


def test_an_unacknowledged_alert_is_repeated_after_repeat_interval(ctx, chat, deliver):
    rule = outage_rule(ctx, repeat_interval=4 * 3600)
    use(ctx, rule)
    t = time.time()
    [posted] = alerting.apply(ctx, [fire(rule, at=t)], now=t)
    assert clock.work(ctx, t + 4 * 3600 - 1)["repeat"] == 0
    assert clock.work(ctx, t + 4 * 3600)["repeat"] == 1
    assert clock.work(ctx, t + 5 * 3600)["repeat"] == 0
    deliver()
    assert chat.calls[-1][0] == "reply" and chat.calls[-1][2].startswith(f"🔁 Alarm #{posted.id} ist seit ")
    actions.act(ctx, posted.id, "ack", "room", "aylin.demir", "aylin.demir")
    assert clock.work(ctx, t + 9 * 3600)["repeat"] == 0  # acknowledged: reminders now, no repeats


def test_a_rising_severity_breaks_the_acknowledgement_and_restarts_escalation(ctx, chat, deliver):
    rule = outage_rule(ctx, severity=Severity.WARNING, critical_above=20)
    use(ctx, rule)
    [posted] = alerting.apply(ctx, [fire(rule, 10)])
    assert posted.severity == Severity.WARNING and timers(ctx) == [((posted.id, 0), {"generation": 0})]
    actions.act(ctx, posted.id, "ack", "room", "aylin.demir", "aylin.demir")
    alerting.apply(ctx, [fire(rule, 25)])
    raised = ctx.store.get_alert(posted.id)
    assert (raised.severity, raised.status, raised.acked_by, raised.chain) == (Severity.CRITICAL, AlertStatus.FIRING, None, 1)
    assert raised.history[-1]["action"] == "severity_raised" and raised.history[-1]["ack_broken"] == "aylin.demir"
    assert sorted(kw["generation"] for _, kw in timers(ctx)) == [0, 1]
    deliver()
    text = (f"⬆️ Alarm #{posted.id} ist jetzt KRITISCH: 25 Beiträge in 20m — normal wären etwa 3. "
            "Die Bestätigung von aylin.demir gilt nicht mehr; die Eskalation beginnt von vorn.")
    assert chat.calls[-1] == ("reply", "1", text)
    assert escalation.step(posted.id, 0, generation=0) == "stopped"  # the old chain's timer
    assert escalation.step(posted.id, 0, generation=1) == "paged"
    alerting.apply(ctx, [fire(rule, 30)])
    assert [h["action"] for h in ctx.store.get_alert(posted.id).history].count("severity_raised") == 1


def test_group_interval_throttles_updates_and_the_newest_state_arrives(ctx, chat, deliver):
    rule = outage_rule(ctx, group_interval=300)
    use(ctx, rule)
    events = ctx.redis.pubsub(ignore_subscribe_messages=True)
    events.subscribe(store.EVENTS)
    t = time.time()
    [posted] = alerting.apply(ctx, [fire(rule, 12, t)], now=t)
    alerting.apply(ctx, [fire(rule, 14, t + 10)], now=t + 10)
    alerting.apply(ctx, [fire(rule, 16, t + 20)], now=t + 20)
    seen, deadline = [], time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        if (message := events.get_message(timeout=1)) is not None:
            seen.append(json.loads(message["data"])["alert"]["current"])
    assert seen == [12, 14, 16]  # the room sees every state at once
    deliver()
    assert [c[0] for c in chat.calls] == ["send"]
    assert clock.work(ctx, t + 299)["update"] == 0
    assert clock.work(ctx, t + 300)["update"] == 1
    deliver()
    assert [c[0] for c in chat.calls] == ["send", "update"] and chat.sizes[-1].startswith("16 Beiträge")
    # Follow-ups are never throttled: doubling and resolving go out at once.
    alerting.apply(ctx, [fire(rule, 40, t + 310)], now=t + 310)
    alerting.apply(ctx, [engine.Resolve(ctx.store.get_alert(posted.id), t + 320)], now=t + 320)
    deliver()
    assert [c[0] for c in chat.calls][2:] == ["update", "reply", "update", "reply"]
    assert chat.sizes[-1].startswith("40 Beiträge") and chat.calls[-1][2].startswith("Erledigt um")
    events.close()


def test_alerts_stored_before_noise_control_still_load():
    old = {"id": 3, "fingerprint": "f", "rule": "r", "severity": "warning", "departments": ["network"], "labels": {},
           "summary": {}, "status": "acknowledged", "acked_by": "aylin.demir", "acked_at": 10.0, "created_wall": 5.0}
    loaded = Alert.from_dict(old)
    assert not loaded.held and loaded.chain == 0 and loaded.notified_at is None and not loaded.update_pending
    assert noise.raised(loaded, Severity.CRITICAL) == Severity.CRITICAL and noise.raised(loaded, "info") is None


def test_a_chat_silence_has_who_and_why_is_listed_and_unmuting_posts_what_it_held(ctx, chat, deliver):
    rule = outage_rule(ctx)
    use(ctx, rule, silences=[Silence(matchers={"region": "berlin"}, ends=datetime(2099, 1, 1), by="ops", reason="fibre works")])
    ask = lambda text, user="jonas.becker": commands.handle(ctx, commands.Request(text, user, "network"))  # noqa: E731
    reply = ask("mute topic outage for 2h because the vendor has confirmed it")
    assert reply.text.startswith("Topic “Network outage” is muted for 2h")
    [alert] = alerting.apply(ctx, [fire(rule)])
    assert (alert.held_for, alert.held_by) == ("silence", "jonas.becker")
    listing = ask("silences").text.splitlines()
    assert listing[0] == "Silenced now:"
    assert listing[1].startswith("• Network outage until ") and listing[1].endswith(
        ", by jonas.becker — the vendor has confirmed it")
    assert listing[2].endswith("by ops (rule file) — fibre works")
    assert ask("unmute topic recall").text.startswith("There is no chat silence for “Device recall")
    assert ask("unmute topic outage", user="mallory").text == "Only department members can mute topics."
    deliver()
    assert chat.calls == []
    assert ask("Thema Netzstörung wieder laut").text.startswith("Thema „Netzstörung“ ist nicht mehr stummgeschaltet")
    deliver()
    assert chat.calls == [("send", "C1", alert.id, "firing", "de")]
    assert ask("was ist stummgeschaltet?").text.splitlines()[1].endswith("(Regeldatei) — fibre works")
