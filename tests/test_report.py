"""Department reports: numbers exactly the store's, filters, German and English, time zones and
daylight saving, sending on the clock exactly once, the page at /reports/<id>, and the CLI."""

from __future__ import annotations

import os
import re
import secrets
import struct
from datetime import datetime, timezone

import httpx
import pytest

from bot import clock, config, report, report_schedule, report_text, store
from bot.models import Alert, AlertStatus, Post, Scores, Severity
from bot.yamlfile import YamlError
from tests.conftest import ROOT
from tests.test_slack import fake, sctx, slack_env  # noqa: F401 (fixtures)
from tests.test_summary import local, minute_sums, outage, write

END = "2025-11-18 08:00"  # a Tuesday: the report covers Monday 08:00 to Tuesday 08:00 in Berlin


def posts(prefix, start, n, topic, region, negative, spacing=600.0, reach=10.0):
    """n scored posts of a topic in a region from `start`; `negative` of them negative."""
    return [(Post("generic", f"{prefix}{i}", "x_support" if i % 2 else "fb_telvia", f"{prefix} Beitrag {i} über {topic}",
                  start + i * spacing, url=f"https://x.com/kunde/status/{prefix}{i}"),
             Scores(language="de", sentiment="negative" if i < negative else "neutral", topic=topic, region=region,
                    reach=reach + i))
            for i in range(n)]


@pytest.fixture
def day(ctx):
    """Four weeks of quiet history (one post an hour, a few outage posts on past Mondays/Tuesdays),
    the day before, and the report's day."""
    end = local(END)
    hourly = [(Post("generic", f"bg{h}", "x_support", f"Hallo Telvia {h}", end - 30 * 86400 + h * 3600),
               Scores(language="de", sentiment="neutral", reach=1.0)) for h in range(30 * 24)]
    items = list(hourly)
    for weeks in (1, 2, 3, 4):  # 3 outage posts in each past week's window: normal is 3
        items += posts(f"w{weeks}-", end - 86400 - weeks * 7 * 86400 + 3600, 3, "network_outage", "koeln_bonn", 0)
    items += posts("prev", end - 2 * 86400 + 1800, 6, "network_outage", "koeln_bonn", 2)  # the day before
    start = end - 86400
    items += posts("out", start + 3600, 30, "network_outage", "koeln_bonn", 30, spacing=300)
    items += posts("bill", start + 7200, 10, "billing", "berlin", 5, reach=500.0)
    items += posts("mue", start + 7300, 3, "network_outage", "muenchen", 1)
    items += posts("phi", start + 9000, 4, "phishing", "hamburg", 4)
    write(ctx, items)
    return start, end


def sums(ctx, dims, start, end):
    return minute_sums(ctx, dims, start, end)


# --- numbers ---------------------------------------------------------------------------------

def test_numbers_are_the_aggregates(ctx, day):
    start, end = day
    r = report.build(ctx, "social", start, end)
    everything = sums(ctx, {}, start, end)
    assert (r.n, r.neg, r.reach) == (everything["n"], everything["neg"], pytest.approx(everything["reach"]))
    assert r.n == 24 + 30 + 10 + 3 + 4  # the hourly background, outage, billing, München, phishing
    assert sum(i.n for i in r.series) == r.n and sum(i.neg for i in r.series) == r.neg
    for row in r.by_topic:
        if row.value is not None:
            assert (row.n, row.neg) == tuple(sums(ctx, {"topic": row.value}, start, end)[m] for m in ("n", "neg"))
    no_topic = next(row for row in r.by_topic if row.value is None)
    assert no_topic.n == r.n - sum(row.n for row in r.by_topic if row.value is not None) == 24
    assert [row.value for row in r.by_topic][:2] == ["network_outage", None]  # most posts first
    for row in r.by_region:
        if row.value is not None:
            assert row.n == sums(ctx, {"region": row.value}, start, end)["n"]
    before = sums(ctx, {}, start - 86400, start)
    assert r.previous == [before["n"], before["neg"]] == [24 + 6, 2]
    assert r.normal.method == "weekly" and r.normal.days == [7, 14, 21, 28]
    outage_row = r.by_topic[0]
    assert outage_row.expected == pytest.approx(3.0)  # the same Monday-to-Tuesday in the past weeks
    assert [p.key for p in r.widest][:1] == ["generic:bill9"]  # reach 509: the widest post of the day
    assert all(p.at >= start and p.at < end for p in r.widest + r.representative)


def test_topic_and_region_filters(ctx, day):
    start, end = day
    r = report.build(ctx, "network", start, end, topics=["network_outage"])
    assert (r.n, r.neg) == (33, 31) == tuple(sums(ctx, {"topic": "network_outage"}, start, end)[m] for m in ("n", "neg"))
    assert r.normal.expected == pytest.approx(3.0) and r.previous == [6, 2]
    assert [(row.value, row.n) for row in r.by_topic] == [("network_outage", 33)]
    assert [(row.value, row.n, row.neg) for row in r.by_region] == [("koeln_bonn", 30, 30), ("muenchen", 3, 1)]
    assert {p.topic for p in r.widest + r.representative} == {"network_outage"}

    both = report.build(ctx, "care", start, end, topics=["network_outage", "billing"], regions=["koeln_bonn", "berlin"])
    expected = sum(sums(ctx, {"topic": t, "region": g}, start, end)["n"]
                   for t in ("network_outage", "billing") for g in ("koeln_bonn", "berlin"))
    assert both.n == expected == 40  # München's outage posts and Hamburg's phishing are left out
    assert [(row.value, row.n) for row in both.by_topic] == [("network_outage", 30), ("billing", 10)]
    assert [(row.value, row.n) for row in both.by_region] == [("koeln_bonn", 30), ("berlin", 10)]
    assert {(p.topic, p.region) for p in both.widest} <= {("network_outage", "koeln_bonn"), ("billing", "berlin")}
    assert both.widest[0].key == "generic:bill9"
    assert {p.topic for p in both.representative} == {"network_outage", "billing"}  # each scope has its say

    nothing = report.build(ctx, "devices", start, end, topics=["device_recall"])
    assert (nothing.n, nothing.by_topic[0].n, nothing.widest) == (0, 0, [])


# --- alerts ----------------------------------------------------------------------------------

def alert(ctx, id_, told, dept="network", acked=None, resolved=None, by="aylin.demir", held=False):
    history = [{"at": told - (300 if held else 0), "action": "fired", "event_time": told}]
    if held:
        history += [{"at": told - 300, "action": "held", "for": "maintenance"}, {"at": told, "action": "released"}]
    if acked is not None:
        history.append({"at": told + acked, "action": "acknowledged", "by": by, "via": "room"})
    if resolved is not None:
        history.append({"at": told + resolved, "action": "resolved", "by": by, "via": "room"})
    a = Alert(id_, f"fp{id_}", "outage_spike", Severity.WARNING, [dept], {"topic": "network_outage", "region": "koeln_bonn"},
              {"de": "Netzstörung in {region}", "en": "Network outage in {region}"},
              status=AlertStatus.RESOLVED if resolved is not None else AlertStatus.ACKNOWLEDGED if acked else AlertStatus.FIRING,
              created_wall=history[0]["at"], started_at=told, history=history,
              acked_by=by if acked else None, acked_at=told + acked if acked else None,
              resolved_at=told + resolved if resolved is not None else None)
    ctx.store.save_alert(a, 86400 * 90)


def test_alerts_opened_and_closed_with_the_time_to_acknowledge(ctx, day):
    start, end = day
    alert(ctx, 1, start + 3600, acked=240, resolved=7200)  # acknowledged after 4 min, resolved in the period
    alert(ctx, 2, start + 5 * 3600, acked=720, by="markus.hoffmann", held=True)  # held 5 min: counted from release
    alert(ctx, 3, start + 6 * 3600)  # nobody acknowledged it
    alert(ctx, 4, start - 7200, acked=60, resolved=3 * 3600)  # opened the day before, resolved in the period
    alert(ctx, 5, start - 7200, acked=60, resolved=3600)  # both before: not in the report
    alert(ctx, 6, start + 3600, dept="security", acked=30)  # another department's
    r = report.build(ctx, "network", start, end, topics=["network_outage"])
    assert [a.id for a in r.alerts] == [4, 1, 2, 3]
    assert [a.id for a in r.opened] == [1, 2, 3] and [a.id for a in r.closed] == [4, 1]
    assert [(a.ack_s, a.acked_by) for a in r.opened] == [(240, "aylin.demir"), (720, "markus.hoffmann"), (None, None)]
    assert r.median_ack_s == 480
    assert r.alerts[1].titles == {"de": "Netzstörung in Köln/Bonn", "en": "Network outage in Köln/Bonn"}
    assert report_text.alerts_line(r, "de") == "Alarme: 3 neu, 2 erledigt · bestätigt nach 8 Min. (Median), 1 unbestätigt"
    assert report_text.alerts_line(r, "en") == ("Alerts: 3 new, 2 resolved · acknowledged after 8 min (median), "
                                                "1 not acknowledged")
    page = report_text.page(ctx.cfg, r, {})
    assert "markus.hoffmann" in page and "12 Min." in page and "nicht bestätigt" in page and "noch offen" in page


# --- words -----------------------------------------------------------------------------------

def test_german_and_english_wording(ctx, day):
    start, end = day
    de = report.build(ctx, "network", start, end, topics=["network_outage"])
    en = report.build(ctx, "network", start, end, topics=["network_outage"], lang="en")
    assert de.lang == "de"  # the department's language
    link = "https://sitroom.example/reports/abc"
    german, english = report_text.text(ctx.cfg, de, link), report_text.text(ctx.cfg, en, link)
    assert german.splitlines() == [
        "📋 Bericht Network Operations – Netzstörung · alle Regionen – Mo 17.11. 08:00 – Di 18.11. 08:00",
        "33 Beiträge – 11× so viele wie üblich (sonst ≈ 3); am Vortag: 6",
        "Negativ: 94 % (am Vortag: 33 %), üblich 0 % – Stimmung schlechter",
        "Regionen: Köln/Bonn (30), München (3)",
        "Alarme: keine",
        "Meistgesehen: „out Beitrag 29 über network_outage“ (≈ 39 Menschen) https://x.com/kunde/status/out29",
        f"Bericht mit Diagrammen: {link}",
    ]
    assert english.splitlines() == [
        "📋 Report Network Operations – Network outage · all regions – Mon 17 Nov 08:00 – Tue 18 Nov 08:00",
        "33 posts – 11× the usual number (usually about 3); the day before: 6",
        "Negative: 94% (the day before: 33%), usually 0% – mood getting worse",
        "Regions: Köln/Bonn (30), München (3)",
        "Alerts: none",
        "Seen most: “out Beitrag 29 über network_outage” (≈ 39 people) https://x.com/kunde/status/out29",
        f"Full report with charts: {link}",
    ]
    page_de, page_en = report_text.page(ctx.cfg, de, {}), report_text.page(ctx.cfg, en, {})
    assert '<html lang="de">' in page_de and "Auf einen Blick" in page_de and "Typische Beiträge" in page_de
    assert '<html lang="en">' in page_en and "At a glance" in page_en and "Typical posts" in page_en
    assert "11× so viele wie üblich" in page_de and "11× the usual number" in page_en
    quiet = report.build(ctx, "devices", start, end, topics=["device_recall"], lang="en")
    assert report_text.text(ctx.cfg, quiet, link).splitlines()[1] == "No posts in this period – usually almost none."


def test_post_texts_cannot_inject_markup(ctx):
    end = local(END)
    evil = Post("generic", "evil", "x_support", '<script>alert(1)</script><img src=x onerror=alert(2)>', end - 600,
                url="javascript:alert(3)")
    write(ctx, [(evil, Scores(language="de", sentiment="negative", topic="phishing", reach=5.0))])
    page = report_text.page(ctx.cfg, report.build(ctx, "security", end - 86400, end), {})
    assert "<script>" not in page and "<img src=x" not in page and "javascript:" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- time zones ------------------------------------------------------------------------------

def utc(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc).timestamp()


def test_a_daily_period_is_local_days_across_daylight_saving():
    spring = local("2026-03-29 08:00")  # clocks went forward at 02:00 that night
    assert spring - report.back(spring, 86400, "Europe/Berlin") == 23 * 3600
    assert report.back(spring, 86400, "Europe/Berlin") == local("2026-03-28 08:00")
    autumn = local("2026-10-25 08:00")
    assert autumn - report.back(autumn, 86400, "Europe/Berlin") == 25 * 3600
    assert report.back(autumn, 7 * 86400, "Europe/Berlin") == local("2026-10-18 08:00")
    assert report.back(spring, 6 * 3600, "Europe/Berlin") == spring - 6 * 3600  # hours are hours
    assert report.back(spring, 86400, "UTC") == spring - 86400


def test_cron_runs_on_the_local_clock_across_daylight_saving():
    weekdays = "0 8 * * 1-5"
    assert report_schedule.last_run(weekdays, "Europe/Berlin", utc("2026-03-27 07:00") + 30) == utc("2026-03-27 07:00")  # CET
    assert report_schedule.last_run(weekdays, "Europe/Berlin", utc("2026-03-30 06:00") + 30) == utc("2026-03-30 06:00")  # CEST
    assert report_schedule.last_run(weekdays, "Europe/Berlin", utc("2026-03-30 05:59")) == utc("2026-03-27 07:00")  # weekend
    assert report_schedule.last_run(weekdays, "America/New_York", utc("2026-03-30 12:00") + 30) == utc("2026-03-30 12:00")
    skipped = "30 2 * * *"  # 02:30 does not exist on 29 March: it runs when the clock resumes at 03:00
    assert report_schedule.last_run(skipped, "Europe/Berlin", utc("2026-03-29 01:00") + 30) == utc("2026-03-29 01:00")
    # 02:30 happens twice on 25 October: the run is at the first, and the second is no new run
    assert report_schedule.last_run(skipped, "Europe/Berlin", utc("2026-10-25 00:30") + 30) == utc("2026-10-25 00:30")
    assert report_schedule.last_run(skipped, "Europe/Berlin", utc("2026-10-25 01:30") + 30) == utc("2026-10-25 00:30")


def test_a_scheduled_report_covers_its_local_day(ctx):
    spec = config.Report(department="network", cron="0 8 * * *", timezone="Europe/Berlin")
    write(ctx, outage("dst", local("2026-03-28 07:59"), 3, spacing=60))  # 07:59, 08:00, 08:01 on Saturday
    r = report.build(ctx, "network", report.back(local("2026-03-29 08:00"), spec.since, "Europe/Berlin"),
                     local("2026-03-29 08:00"), topics=["network_outage"])
    assert r.n == 2 and r.end - r.start == 23 * 3600
    assert report_text.span(r, "de") == "Sa 28.03. 08:00 – So 29.03. 08:00"
    elsewhere = report.build(ctx, "network", r.start, r.end, topics=["network_outage"], tz="America/New_York", lang="en")
    assert elsewhere.n == 2 and report_text.span(elsewhere, "en") == "Sat 28 Mar 03:00 – Sun 29 Mar 02:00"  # New York was on summer time already


# --- the page, the clock, the platforms ------------------------------------------------------

def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_a_made_report_keeps_its_page_and_charts(ctx, day):
    start, end = day
    made = report.make(ctx, "network", start, end, topics=["network_outage"])
    assert re.fullmatch(r"/reports/[0-9a-f]{32}", made.path)
    assert made.text.endswith(f"http://127.0.0.1:8080{made.path}")  # server.public_url unset: host and port
    assert ctx.store.report_page(made.path.rsplit("/", 1)[1]) == made.html
    # The page quotes posts: it lives as long as posts do (7 days in config.yaml), the charts 30 days.
    assert 7 * 86400 - 60 < ctx.redis.ttl(store.REPORT.format(id=made.path.rsplit("/", 1)[1])) <= 7 * 86400
    assert "stays available for 7 days" in made.html or "7 Tage abrufbar" in made.html
    assert list(made.charts) == ["volume", "region"]  # one topic: no topic bars; Köln/Bonn and München
    for name, chart in made.charts.items():
        width, height = png_size(chart.png)
        assert width >= 600 and height >= 250 and len(chart.png) > 5000
        url = made.images[name]["url"]
        assert ctx.store.chart_png(url.removeprefix("/charts/").removesuffix(".png")) == chart.png
        assert f'src="{url}"' in made.html and chart.alt
    assert "data:image/png;base64," in report.standalone(ctx.cfg, made)


@pytest.fixture
def public(ctx, monkeypatch):
    """The shipped config, with the address people reach the server at."""
    server = ctx.cfg.server.model_copy(update={"public_url": "https://sitroom.telvia.example/"})
    monkeypatch.setattr(ctx, "cfg", ctx.cfg.model_copy(update={"server": server}))
    return ctx


def test_the_page_is_served_to_anyone_with_the_link_and_only_to_them(public, day):
    from bot.web import create_app
    from tests.test_web import serve

    made = report.make(public, "social", *day)
    assert "https://sitroom.telvia.example/reports/" in made.text
    with serve(create_app(public)) as base, httpx.Client(base_url=base, trust_env=False, timeout=10) as http:
        page = http.get(made.path)  # no room token, no cookie: the id is the key
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.text == made.html and page.headers["referrer-policy"] == "no-referrer"
        for image in made.images.values():
            chart = http.get(image["url"])
            assert chart.status_code == 200 and chart.content[:4] == b"\x89PNG"
        assert http.get(f"/reports/{secrets.token_hex(16)}").status_code == 404
        assert http.get("/reports/nothing").status_code == 404
        assert http.get(made.path[:-1]).status_code == 404


def test_the_clock_sends_a_due_report_exactly_once(ctx, day, drain):
    start, end = day  # Tuesday 08:00 in Berlin
    done = clock.work(ctx, end + 20)
    assert done["reports"] == 4  # network, devices, care (weekdays 08:00) and social (daily 08:00)
    assert clock.work(ctx, end + 40)["reports"] == 0  # a second worker's tick in the same minute
    assert clock.work(ctx, end + 300)["reports"] == 0
    assert ctx.store.chat_history("network") == []  # a delivery job builds it, not the tick
    drain()
    [message] = ctx.store.chat_history("network")
    assert message["bot"] and message["text"].startswith("📋 Bericht Network Operations – Netzstörung")
    assert "33 Beiträge" in message["text"] and message["link"] in message["text"]
    assert [i["url"].startswith("/charts/") for i in message["images"]] == [True, True]
    assert len(ctx.store.chat_history("social")) == 1 and ctx.store.chat_history("security") == []
    assert "Report Social Media Team – all topics · all regions" in ctx.store.chat_history("social")[0]["text"]


def test_a_run_missed_during_a_restart_is_caught_up_within_ten_minutes(ctx, day):
    start, end = day
    assert [(spec.department, run) for spec, run in report_schedule.due(ctx, end + 9 * 60 + 30)][:1] == [("network", end)]
    assert report_schedule.due(ctx, end + 9 * 60 + 50) == []  # already sent
    ctx.redis.flushdb()
    assert report_schedule.due(ctx, end + 10 * 60 + 30) == []  # too late: the next run is tomorrow's


class Recorder:
    """A platform adapter that records report messages; it can ask to wait once, like a 429."""

    name = "slack"

    def __init__(self, wait: float | None = None):
        self.posts, self.wait = [], wait

    def post(self, destination, text, charts=()):
        from bot.platforms import RateLimited

        if self.wait is not None:
            wait, self.wait = self.wait, None
            raise RateLimited(wait)
        self.posts.append((destination, text, [c.name for c in charts]))
        return {"channel": destination}


def test_reports_go_to_each_platform_channel_and_wait_when_asked(sctx, day, monkeypatch):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from bot import delivery, jobs
    from bot.worker import BurstWorker
    from tests.test_slack import NOC

    recorder = Recorder(wait=30)
    sctx.adapters = {"slack": recorder}  # the Slack channels of the config, this adapter's post()
    monkeypatch.setattr(jobs, "_state", None)  # a worker of an earlier test may have left its context
    monkeypatch.setattr(jobs, "_ctx", sctx)
    queue = Queue(delivery.QUEUE, connection=sctx.redis)
    made = report.make(sctx, "network", *day, topics=["network_outage"])
    report_schedule.send(sctx, "network", made)
    BurstWorker([queue], connection=sctx.redis).work(burst=True)
    assert recorder.posts == []  # the platform asked to wait: the message waits, scheduled 30 s later
    [waiting] = ScheduledJobRegistry(queue=queue).get_job_ids()
    queue.enqueue_job(queue.fetch_job(waiting))  # as RQ's scheduler does when the time has come
    BurstWorker([queue], connection=sctx.redis).work(burst=True)
    assert recorder.posts == [(NOC, made.text, ["volume.png", "bars.png"])]
    assert len(sctx.store.chat_history("network")) == 1 and sctx.store.chat_history("security") == []


# --- configuration and the command line ------------------------------------------------------

def broken(tmp_path, old: str, new: str) -> list[str]:
    text = open(os.path.join(ROOT, "config.yaml"), encoding="utf-8").read()
    assert old in text
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(old, new, 1).replace("rules: rules", f"rules: {ROOT}/rules"), encoding="utf-8")
    with pytest.raises(YamlError) as e:
        config.load(path)
    return e.value.problems


def test_report_configuration_is_checked_with_file_and_line(tmp_path):
    [problem] = broken(tmp_path, "    topics: [network_outage]\n", "    topics: [network_outge]\n")
    assert re.match(r".*config.yaml:\d+: reports\[0\]\.topics\[0\]: unknown topic 'network_outge' "
                    r"\(did you mean 'network_outage'\?\)", problem)
    [problem] = broken(tmp_path, "  - department: care\n", "  - department: kare\n")
    assert "reports[3].department: unknown department 'kare' (did you mean 'care'?)" in problem
    [problem] = broken(tmp_path, 'cron: "30 7 * * *"', 'cron: "30 7 * * daily"')
    assert "reports[2].cron: '30 7 * * daily' is not a cron expression" in problem
    [problem] = broken(tmp_path, "    since: 7d\n", "    since: 7d\n    regions: [bonn]\n")
    assert "reports[5].regions[0]: unknown region 'bonn'" in problem
    [problem] = broken(tmp_path, "    timezone: Europe/Berlin\n    topics: [network_outage]",
                       "    timezone: Europe/Berln\n    topics: [network_outage]")
    assert "reports[0].timezone: " in problem and "did you mean 'Europe/Berlin'" in problem


def test_the_command_line_prints_the_report_and_refuses_unknown_departments(ctx, redis_url, monkeypatch, tmp_path, capsys):
    from bot import cli

    monkeypatch.setenv("REDIS_URL", redis_url)
    end = local(END)
    write(ctx, outage("cli", end - 3600, 12, spacing=120))
    monkeypatch.setattr("time.time", lambda: end)  # the command reports up to now
    out = tmp_path / "report.html"
    assert cli.main(["--config", f"{ROOT}/config.yaml", "report", "network", "--since", "6h", "--html", str(out),
                     "--lang", "en"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("📋 Report Network Operations – Network outage · all regions – Tue 18 Nov 02:00")
    assert printed[1].startswith("12 posts") and re.fullmatch(r"/reports/[0-9a-f]{32}", printed[-1])
    assert ctx.store.report_page(printed[-1].rsplit("/", 1)[1]) is not None
    html = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and html.count("data:image/png;base64,") == 1  # one region

    assert cli.main(["--config", f"{ROOT}/config.yaml", "report", "network", "--since", "2025-11-18T07:00"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("12 Beiträge")  # 07:00-08:00 Berlin, in German

    assert cli.main(["--config", f"{ROOT}/config.yaml", "report", "press"]) == 2
    err = capsys.readouterr().err
    assert "unknown department 'press'; known: network, devices, security, care, social" in err
    assert cli.main(["--config", f"{ROOT}/config.yaml", "report", "network", "--since", "yesterday"]) == 2
    assert "--since" in capsys.readouterr().err
