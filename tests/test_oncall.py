"""On-call schedules: rotations hand over on local wall time, overrides win, answers and paging use them."""

from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import answers, commands, config, escalation, ingest, oncall
from bot.durations import parse_duration
from bot.yamlfile import YamlError
from tests.test_actions import FakeAdapter
from tests.test_pipeline import outage_posts

ROOT = Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc

BASE = """\
organisation: T
departments:
  - name: network
    title: Network
    language: de
    members: [anna, ben, cem]
    oncall: {schedule: noc}
schedules:
  - name: noc
    rotations:
      - name: primary
        people: [anna, ben]
        start: 2026-10-19 09:00
        shift: 1w
      - name: backup
        people: [cem]
        start: 2026-10-19 09:00
        shift: 1d
    overrides:
      - {who: cem, from: 2026-10-27 00:00, until: 2026-10-28 00:00}
sources:
  - {name: x, platform: x, account: "@x"}
"""


def local(text: str, tz: ZoneInfo = BERLIN) -> float:
    """Seconds since the epoch of a wall-clock time in `tz` (the first one when the clock repeats)."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def load(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return config.load(path)


def with_schedule(tmp_path, rotations: str, overrides: str = "[]", tz: str = "Europe/Berlin"):
    """BASE with the noc schedule replaced by these rotations and overrides (YAML flow text)."""
    text = BASE.split("schedules:")[0] + (
        f"schedules:\n  - name: noc\n    timezone: {tz}\n    rotations: {rotations}\n    overrides: {overrides}\n"
        "sources:\n  - {name: x, platform: x, account: '@x'}\n")
    return load(tmp_path, text)


def test_handover_happens_exactly_at_the_boundary(tmp_path):
    cfg = load(tmp_path, BASE)
    handover = local("2026-10-26 09:00")
    assert oncall.who(cfg, "network", 1, handover - 1) == "anna"
    assert oncall.who(cfg, "network", 1, handover) == "ben"
    assert oncall.who(cfg, "network", 1, local("2026-11-02 09:00")) == "anna"
    [first, second] = oncall.roster(cfg, "network", handover - 1)
    assert (first.level, first.person, first.until, first.rotation) == (1, "anna", handover, "primary")
    assert (second.person, second.until) == ("cem", None)  # a one-person rotation hands over to nobody


def test_the_rotation_runs_backwards_before_its_start(tmp_path):
    cfg = load(tmp_path, BASE)
    assert oncall.who(cfg, "network", 1, local("2026-10-19 08:59")) == "ben"
    assert oncall.who(cfg, "network", 1, local("2026-10-12 08:59")) == "anna"


def test_weekly_monday_0900_stays_at_0900_across_autumn_dst(tmp_path):
    # 2026-10-25 03:00 CEST -> 02:00 CET: the hand-over after it is 08:00 UTC, not 07:00 UTC
    cfg = with_schedule(tmp_path, "[{name: p, people: [anna, ben, cem], start: '2026-10-19 09:00', shift: 1w}]")
    assert oncall.who(cfg, "network", 1, utc("2026-10-26 07:30")) == "anna"  # 08:30 CET: still anna's week
    assert oncall.who(cfg, "network", 1, utc("2026-10-26 08:00")) == "ben"
    [slot] = oncall.roster(cfg, "network", utc("2026-10-25 12:00"))
    assert slot.until == utc("2026-10-26 08:00")
    assert oncall.roster(cfg, "network", utc("2026-10-26 08:00"))[0].until == utc("2026-11-02 08:00")


def test_weekly_monday_0900_stays_at_0900_across_spring_dst(tmp_path):
    # 2027-03-28 02:00 CET -> 03:00 CEST: the hand-over after it is 07:00 UTC, not 08:00 UTC
    cfg = with_schedule(tmp_path, "[{name: p, people: [anna, ben, cem], start: '2027-03-22 09:00', shift: 1w}]")
    assert oncall.who(cfg, "network", 1, utc("2027-03-29 06:59")) == "anna"
    assert oncall.who(cfg, "network", 1, utc("2027-03-29 07:30")) == "ben"  # 09:30 CEST: ben's week
    assert oncall.roster(cfg, "network", utc("2027-03-24 12:00"))[0].until == utc("2027-03-29 07:00")


def test_daily_handover_across_dst_gives_a_25_and_a_23_hour_shift(tmp_path):
    cfg = with_schedule(tmp_path, "[{name: p, people: [anna, ben], start: '2026-10-24 09:00', shift: 1d}]")
    rotation = cfg.schedule("noc").rotations[0]
    autumn = [oncall.handover(rotation, BERLIN, k) for k in range(3)]
    assert [b - a for a, b in zip(autumn, autumn[1:])] == [25 * 3600, 24 * 3600]
    assert oncall.who(cfg, "network", 1, utc("2026-10-25 07:30")) == "anna"  # 08:30 CET
    assert oncall.who(cfg, "network", 1, utc("2026-10-25 08:00")) == "ben"
    k = oncall.turn(rotation, BERLIN, local("2027-03-27 12:00"))  # the same rotation over the spring change
    assert oncall.handover(rotation, BERLIN, k + 1) - oncall.handover(rotation, BERLIN, k) == 23 * 3600
    assert oncall.handover(rotation, BERLIN, k + 1) == utc("2027-03-28 07:00")


def test_a_handover_in_the_skipped_or_repeated_hour(tmp_path):
    cfg = with_schedule(tmp_path, "[{name: p, people: [anna, ben], start: '2026-10-24 02:30', shift: 1d}]")
    # autumn: 02:30 happens twice; the hand-over is the first one and nobody hands back in the second
    assert oncall.who(cfg, "network", 1, utc("2026-10-25 00:29")) == "anna"
    assert oncall.who(cfg, "network", 1, utc("2026-10-25 00:30")) == "ben"  # 02:30 CEST
    assert oncall.who(cfg, "network", 1, utc("2026-10-25 01:15")) == "ben"  # 02:15 CET, the clock repeats
    # spring: 02:30 does not exist; the hand-over is at 03:30 CEST, an hour after the clock jumped
    rotation = cfg.schedule("noc").rotations[0]
    k = oncall.turn(rotation, BERLIN, local("2027-03-27 12:00"))
    assert oncall.handover(rotation, BERLIN, k + 1) == utc("2027-03-28 01:30")


@settings(max_examples=150, deadline=None)
@given(at=st.floats(utc("2026-01-01 00:00"), utc("2028-12-31 00:00")), shift=st.sampled_from(["1d", "1w", "12h", "8h"]),
       tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]))
def test_the_next_handover_is_at_the_start_time_on_the_local_clock(at, shift, tz):
    cfg = config.Config.model_validate({
        "organisation": "T", "sources": [], "departments": [{
            "name": "network", "title": "Network", "language": "de", "members": ["anna", "ben", "cem"],
            "oncall": {"schedule": "noc"}}],
        "schedules": [{"name": "noc", "timezone": tz, "rotations": [
            {"name": "p", "people": ["anna", "ben", "cem"], "start": "2026-10-19 09:00", "shift": shift}]}]})
    [slot] = oncall.roster(cfg, "network", at)
    assert at < slot.until <= at + parse_duration(shift) + 3600
    assert oncall.who(cfg, "network", 1, slot.until - 1) == slot.person != oncall.who(cfg, "network", 1, slot.until)
    wall = datetime.fromtimestamp(slot.until, ZoneInfo(tz))
    assert wall.strftime("%H:%M") in {"09:00", "17:00", "21:00", "01:00"}  # 09:00 plus whole shifts, never shifted by DST
    if shift in ("1d", "1w"):
        assert wall.strftime("%H:%M") == "09:00" and (shift == "1d" or wall.weekday() == 0)


def test_overrides_replace_the_person_and_the_later_one_wins(tmp_path):
    cfg = with_schedule(
        tmp_path,
        "[{name: p, people: [anna, ben], start: '2026-10-19 09:00', shift: 1w},"
        " {name: b, people: [cem], start: '2026-10-19 09:00', shift: 1w}]",
        "[{who: cem, from: '2026-10-20 00:00', until: '2026-10-23 00:00', reason: dentist},"
        " {who: ben, from: '2026-10-21 12:00', until: '2026-10-22 12:00'},"
        " {who: anna, from: '2026-10-20 00:00', until: '2026-10-21 00:00', level: 2}]",
    )
    assert oncall.who(cfg, "network", 1, local("2026-10-19 23:59")) == "anna"
    assert oncall.who(cfg, "network", 1, local("2026-10-20 00:00")) == "cem"  # from is inclusive
    assert oncall.who(cfg, "network", 1, local("2026-10-21 12:00")) == "ben"  # written later, wins
    assert oncall.who(cfg, "network", 1, local("2026-10-22 12:00")) == "cem"
    assert oncall.who(cfg, "network", 1, local("2026-10-23 00:00")) == "anna"  # until is exclusive
    assert oncall.who(cfg, "network", 2, local("2026-10-20 08:00")) == "anna"  # level 2 has its own
    assert oncall.who(cfg, "network", 2, local("2026-10-21 00:00")) == "cem"
    first, second = oncall.roster(cfg, "network", local("2026-10-20 08:00"))
    assert first.override.reason == "dentist" and first.instead == "anna"
    assert first.until == local("2026-10-21 12:00")  # ben takes over before cem's override ends
    assert second.person == "anna" and second.instead == "cem" and second.until == local("2026-10-21 00:00")
    plain = oncall.roster(cfg, "network", local("2026-10-24 08:00"))[0]
    assert plain.override is None and plain.instead is None and plain.until == local("2026-10-26 09:00")


def test_an_override_that_names_the_scheduled_person_changes_nothing_at_its_end(tmp_path):
    cfg = with_schedule(tmp_path, "[{name: p, people: [anna, ben], start: '2026-10-19 09:00', shift: 1w}]",
                        "[{who: anna, from: '2026-10-20 00:00', until: '2026-10-21 00:00'}]")
    [slot] = oncall.roster(cfg, "network", local("2026-10-20 08:00"))
    assert slot.person == "anna" and slot.until == local("2026-10-26 09:00")


def test_a_rotation_on_another_time_zone_hands_over_on_its_own_clock(tmp_path):
    new_york = ZoneInfo("America/New_York")
    cfg = with_schedule(
        tmp_path,
        "[{name: p, people: [anna], start: '2026-10-19 09:00', shift: 1w},"
        " {name: us, people: [ben, cem], start: '2026-10-19 09:00', shift: 1d, timezone: America/New_York}]",
        "[{who: anna, from: '2026-10-28 15:00', until: '2026-10-28 16:00', level: 2}]",
    )
    # 09:00 in New York: 15:00 in Berlin, but 14:00 in the week between the two DST changes
    assert oncall.who(cfg, "network", 2, local("2026-10-27 08:59", new_york)) == "cem"
    assert oncall.who(cfg, "network", 2, local("2026-10-27 09:00", new_york)) == "ben"
    assert local("2026-10-27 09:00", new_york) == local("2026-10-27 14:00")
    assert oncall.roster(cfg, "network", local("2026-11-03 12:00"))[1].until == local("2026-11-03 15:00")
    # overrides are always in the schedule's time zone
    assert oncall.who(cfg, "network", 2, local("2026-10-28 15:30")) == "anna"


def test_levels_past_the_last_mean_the_last_and_plain_lists_still_work(tmp_path):
    cfg = load(tmp_path, BASE.replace("oncall: {schedule: noc}", "oncall: [ben, anna]"))
    assert [oncall.who(cfg, "network", n, 0) for n in (1, 2, 3)] == ["ben", "anna", "anna"]
    assert [(s.level, s.person, s.until) for s in oncall.roster(cfg, "network", 0)] == [(1, "ben", None), (2, "anna", None)]
    scheduled = load(tmp_path, BASE)
    assert oncall.who(scheduled, "network", 5, local("2026-10-20 12:00")) == "cem"
    empty = load(tmp_path, BASE.replace("    oncall: {schedule: noc}\n", ""))
    assert oncall.who(empty, "network", 1, 0) is None and oncall.roster(empty, "network", 0) == []


def test_the_shipped_config_has_a_schedule_for_security():
    cfg = config.load(ROOT / "config.yaml")
    assert cfg.department("security").oncall.schedule == "cert"
    assert oncall.levels(cfg, "security") == 2
    assert cfg.department("network").oncall.people == ["markus.hoffmann", "aylin.demir"]
    monday = local("2026-01-05 09:00")
    assert [oncall.who(cfg, "security", n, monday) for n in (1, 2)] == ["lukas.wagner", "priya.nair"]
    assert [oncall.who(cfg, "security", n, local("2026-01-12 09:00")) for n in (1, 2)] == ["priya.nair", "elif.yilmaz"]


@pytest.mark.parametrize("old, new, line, where, message", [
    ("oncall: {schedule: noc}", "oncall: {schedule: nco}", 7, "departments[0].oncall.schedule",
     "unknown schedule 'nco'; known: noc"),
    ("oncall: {schedule: noc}", "oncall: [anna, bne]", 7, "departments[0].oncall[1]",
     "'bne' is not a member of any department (did you mean 'ben'?)"),
    ("people: [anna, ben]", "people: [anna, benn]", 12, "schedules[0].rotations[0].people[1]",
     "'benn' is not a member of any department (did you mean 'ben'?)"),
    ("people: [cem]", "people: []", 16, "schedules[0].rotations[1].people", "at least 1 item"),
    ("{who: cem,", "{who: zoe,", 20, "schedules[0].overrides[0].who", "'zoe' is not a member of any department"),
    ("until: 2026-10-28 00:00}", "until: 2026-10-27 00:00}", 20, "schedules[0].overrides[0].until",
     "until (2026-10-27 00:00) must be after from (2026-10-27 00:00)"),
    ("until: 2026-10-28 00:00}", "until: 2026-10-28 00:00, level: 3}", 20, "schedules[0].overrides[0].level",
     "level 3, but the schedule has 2 rotation(s), one per level"),
    ("        shift: 1d\n", "        shift: 30m\n", 18, "schedules[0].rotations[1].shift", "a shift lasts at least 1h (got 30m)"),
    ("start: 2026-10-19 09:00\n        shift: 1w", "start: next monday\n        shift: 1w", 13,
     "schedules[0].rotations[0].start", "'next monday' is not a local date and time; write it like 2026-11-30 09:00"),
    ("start: 2026-10-19 09:00\n        shift: 1w", "start: 2026-10-19 09:00:00+02:00\n        shift: 1w", 13,
     "schedules[0].rotations[0].start", "write the local time without an offset"),
    ("  - name: noc\n", "  - name: noc\n    timezone: Europe/Berln\n", 10, "schedules[0].timezone",
     "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)"),
    ("      - name: backup\n", "      - name: backup\n        timezone: Mars/Olympus\n", 16, "schedules[0].rotations[1].timezone",
     "unknown time zone 'Mars/Olympus'"),
    ("      - name: backup\n", "      - name: backup\n        handover: 09:00\n", 16, "schedules[0].rotations[1].handover",
     "unknown key 'handover'; expected one of: name, people, start, shift, timezone"),
    ("{who: cem, from:", "{who: cem, form:", 20, "schedules[0].overrides[0].form",
     "unknown key 'form' (did you mean 'from'?)"),
    ("oncall: {schedule: noc}", "oncall: noc", 7, "departments[0].oncall",
     "expected a list of names (level 1, 2, ...) or {schedule: NAME}"),
    ("sources:\n", "  - {name: noc, rotations: [{name: p, people: [anna], start: 2026-01-01, shift: 1d}]}\nsources:\n",
     21, "schedules[1].name", "the name 'noc' is used twice"),
])
def test_mistakes_name_file_line_and_field(tmp_path, old, new, line, where, message):
    assert BASE.count(old) == 1
    with pytest.raises(YamlError) as err:
        load(tmp_path, BASE.replace(old, new))
    prefix = f"{tmp_path / 'config.yaml'}:{line}: {where}: "
    assert any(p.startswith(prefix) and message in p for p in err.value.problems), err.value.problems


# --- through the command layer and the escalation chain, on the shipped config ------------------

@pytest.fixture
def ctx(redis, redis_url, env_secrets, tmp_path):
    """The shipped config, plus: network on a schedule made around the real clock, an override in cert."""
    from bot.context import Context

    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["rules"] = str(ROOT / "rules")
    network = next(d for d in data["departments"] if d["name"] == "network")
    network["destinations"]["slack"] = {"channel": "C1"}
    network["members"] = [{"name": "jonas.becker", "slack": "U0JONAS"}, {"name": "aylin.demir", "slack": "U0AYLIN"},
                          {"name": "markus.hoffmann", "slack": "U0MARKUS"}]
    network["oncall"] = {"schedule": "noc"}
    now = datetime.now(BERLIN).replace(second=0, microsecond=0, tzinfo=None)
    stamp = "%Y-%m-%d %H:%M"
    data["schedules"].append({"name": "noc", "timezone": "Europe/Berlin", "rotations": [
        # yesterday's hand-over moment: markus had the day before, aylin has today
        {"name": "day", "people": ["markus.hoffmann", "aylin.demir"], "start": f"{now - timedelta(days=1):{stamp}}", "shift": "1d"},
        {"name": "backup", "people": ["markus.hoffmann"], "start": "2026-01-05 09:00", "shift": "1w"},
    ], "overrides": [
        {"who": "jonas.becker", "from": f"{now - timedelta(hours=1):{stamp}}", "until": f"{now + timedelta(hours=1):{stamp}}", "level": 2},
    ]})
    cert = next(s for s in data["schedules"] if s["name"] == "cert")
    cert["overrides"] = [{"who": "priya.nair", "from": "2026-12-24 00:00", "until": "2026-12-27 09:00",
                          "level": 1, "reason": "holiday swap"}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return Context.create(path, redis_url=redis_url)


def ask(ctx, text, department):
    return commands.handle(ctx, commands.Request(text, "anna", department, "test"))


@pytest.fixture
def christmas_eve(monkeypatch):
    """The answers' clock at Thursday 2026-12-24 10:00 in Berlin."""
    monkeypatch.setattr(answers, "time", SimpleNamespace(time=lambda: local("2026-12-24 10:00")))


def test_who_is_on_call_answers_from_the_schedule_in_english(ctx, christmas_eve):
    # primary turns weekly from Mon 2026-01-05: week 50 is elif's; backup is one person further
    reply = ask(ctx, "who is on call?", "security")
    assert reply.lang == "en"
    assert reply.text.splitlines() == [
        "Security / CERT – schedule “cert” (Europe/Berlin):",
        "Level 1 (primary): priya.nair until Sun 09:00 – standing in for elif.yilmaz (holiday swap)",
        "Level 2 (backup): lukas.wagner until Mon 09:00",
    ]


def test_wer_hat_bereitschaft_answers_in_german_in_local_time(ctx, christmas_eve):
    reply = ask(ctx, "wer hat Bereitschaft?", "security")
    assert reply.lang == "de"
    assert reply.text.splitlines() == [
        "Security / CERT – Bereitschaftsplan „cert“ (Europe/Berlin):",
        "Stufe 1 (primary): priya.nair bis So 09:00 – Vertretung für elif.yilmaz (holiday swap)",
        "Stufe 2 (backup): lukas.wagner bis Mo 09:00",
    ]
    everyone = ask(ctx, "wer hat Bereitschaft?", None).text.splitlines()
    assert "Devices & Product Safety: sabine.krueger" in everyone  # plain lists answer as before
    assert everyone.index("Security / CERT – Bereitschaftsplan „cert“ (Europe/Berlin):") > 0


def test_times_more_than_a_week_ahead_carry_the_date():
    now = local("2026-12-24 10:00")
    assert answers.when(local("2027-01-04 09:00"), BERLIN, "de", now) == "Mo 04.01. 09:00"
    assert answers.when(local("2027-01-04 09:00"), BERLIN, "en", now) == "Mon 4 Jan 09:00"
    assert answers.when(local("2026-12-30 23:00"), BERLIN, "en", now) == "Wed 23:00"
    assert answers.when(local("2026-12-31 09:00"), BERLIN, "de", now) == "Do 31.12. 09:00"  # a week ahead: "Do" alone would mean today


@pytest.fixture
def paging(ctx):
    fake = FakeAdapter()
    ctx.adapters = {"slack": fake}
    return fake


def test_escalation_pages_whoever_the_schedule_names_now(ctx, drain, paging):
    ingest.accept(ctx, outage_posts())
    drain()
    [alert] = ctx.store.alerts()
    assert escalation.step(alert.id, 0) == "paged"  # level 1: today's turn of the day rotation
    drain()
    assert escalation.step(alert.id, 1) == "paged"  # level 2: the override, not markus
    drain()
    direct = [c[1] for c in paging.calls if c[0] == "send" and c[1] != "C1"]
    assert sorted(direct) == ["U0AYLIN", "U0JONAS"]
    room = [m["text"] for m in ctx.store.chat_history("network")[-2:]]
    assert room == [f"📟 Alarm #{alert.id}: aylin.demir (Bereitschaft, Stufe 1) wird benachrichtigt – slack.",
                    f"📟 Alarm #{alert.id}: jonas.becker (Bereitschaft, Stufe 2) wird benachrichtigt – slack."]
