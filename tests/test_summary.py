"""Summaries: numbers exactly the store's, "normal" from the right history, representative posts
that are central and never near-duplicates, local times, German and English wording."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot import aggregates, commands, ingest, representative, store, summary, summary_text
from bot.models import Post, Scores
from tests.test_pipeline import T0, outage_posts

BERLIN = ZoneInfo("Europe/Berlin")


def ask(ctx, text, department="network", platform="test", user="anna"):
    return commands.handle(ctx, commands.Request(text, user, department, platform))


def local(text: str, tz=BERLIN) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz).timestamp()


def write(ctx, items):
    """Scored posts straight into the store, as the scoring step writes them (no model needed)."""
    posts, scores = [p for p, _ in items], [s for _, s in items]
    ctx.store.accept(posts, 86400 * 60)
    incs = aggregates.increments(posts, scores, [[] for _ in posts])
    keys = [store.POST.format(key=p.key) for p in posts]
    tops = [(int(p.created_at // 60), k, s.reach) for p, k, s in zip(posts, keys, scores)]
    ctx.store.save_scored(keys, scores, incs, tops, max(p.created_at for p in posts), 86400 * 60, 86400 * 60,
                          hourly=aggregates.hourly(incs))


def outage(prefix: str, start: float, n: int, spacing: float = 60, region="koeln_bonn", negative=True):
    """n scored outage posts from `start`, one every `spacing` seconds."""
    return [(Post("generic", f"{prefix}{i}", "x_support", f"{prefix}: kein Netz, Störung Nummer {i}", start + i * spacing,
                  url=f"https://x.com/kunde/status/{prefix}{i}"),
             Scores(language="de", sentiment="negative" if negative else "neutral", topic="network_outage",
                    region=region, reach=10.0 + i))
            for i in range(n)]


def minute_sums(ctx, dims, first_ts, end_ts):
    """metric -> sum over the per-minute aggregates in [first_ts, end_ts): the independent reading."""
    found = ctx.store.load_aggregates(range(int(first_ts // 60), int(end_ts // 60)))
    name = {m: aggregates.field(m, dims) for m in aggregates.METRICS}
    return {m: sum(counters.get(name[m], 0.0) for counters in found.values()) for m in aggregates.METRICS}


# --- numbers ---------------------------------------------------------------------------------

MIXED = [
    "Kein Netz in Köln seit heute Morgen, Totalausfall!",
    "Mobilfunk in Bonn komplett weg, was ist da los?",
    "Internet in Berlin ist tot, schon wieder ein Netzausfall",
    "No signal in Cologne since this morning, is there an outage?",
    "Meine Rechnung ist viel zu hoch, das ist Abzocke",
    "Netzausfall in Hamburg Altona, kein LTE",
    "Danke für die schnelle Hilfe gestern!",
    "Störung in Leverkusen, kein Empfang mehr",
]


def test_numbers_in_the_answer_are_the_stores(ctx, drain):
    posts = outage_posts(16, start=T0 - 1800)
    posts += [Post("generic", f"m{i}", "fb_telvia" if i % 2 else "x_support", MIXED[i % len(MIXED)], T0 - 3000 + i * 160,
                   followers=5 * i, url=f"https://x.com/kunde/status/{i}") for i in range(24)]
    posts.append(Post("generic", "own", "x_support", "Wir arbeiten an der Störung in Köln", T0 - 60, author_id="u_telviahilfe"))
    ingest.accept(ctx, posts)
    drain()
    # sentence vectors, stored at scoring time for customer posts: 384 float16 values of a unit vector
    raw = ctx.store.post_vectors([store.POST.format(key=f"generic:{i}") for i in ("o0", "m1", "own")])
    assert [len(v) if v else None for v in raw] == [768, 768, None]  # the company's own posts are never summarised
    assert abs(np.linalg.norm(np.frombuffer(raw[0], dtype=np.float16).astype(np.float32)) - 1) < 0.01
    reply = ask(ctx, "Zusammenfassung Netzausfall letzte 2 Stunden")
    lines = reply.text.splitlines()
    s = reply.summary
    assert reply.lang == "de" and s.topic == "network_outage" and s.window_s == 7200
    dims = {"topic": "network_outage"}
    expected = minute_sums(ctx, dims, s.start, s.end)
    assert expected["n"] >= 16 and len(lines) <= 8
    assert lines[1].startswith(f"{int(expected['n'])} Beiträge")
    assert f"Stimmung: {round(100 * expected['neg'] / expected['n'])} % negativ" in reply.text
    assert f"Reichweite: ≈ {summary_text.render.number(expected['reach'], 'de')} Menschen" in reply.text
    # Where: every region's count is its aggregate
    where = dict(re.findall(r"([^,:·]+?) \((\d+)\)", re.search(r"Wo: (.*?)( · |$)", reply.text, re.M).group(1)))
    for region in ctx.cfg.regions:
        if region.title in where:
            assert int(where[region.title]) == minute_sums(ctx, {**dims, "region": region.name}, s.start, s.end)["n"]
    # "mehr" right after: the per-hour table adds up to the same numbers, hour by hour
    more = ask(ctx, "mehr")
    assert more.lang == "de" and more.text.splitlines()[:2] == lines[:2]
    rows = re.findall(r"^(\d\d):(\d\d)  (\d+) · (\d+) · ", more.text, re.M)
    assert sum(int(r[2]) for r in rows) == expected["n"] and sum(int(r[3]) for r in rows) == expected["neg"]
    for hh, mm, n, neg in rows:
        start = datetime.fromtimestamp(s.start, BERLIN).replace(hour=int(hh), minute=int(mm)).timestamp()
        end = min(s.end, (start // 3600 + 1) * 3600)
        assert int(n) == minute_sums(ctx, dims, start, end)["n"]
    assert sum(i.n for i in s.series) == s.n and sum(i.neg for i in s.series) == s.neg


def test_a_long_window_reads_whole_hours_and_counts_the_same(ctx):
    start = local("2025-11-17 08:20")
    write(ctx, outage("a", start, 30 * 12, spacing=300))  # 30 hours, one post every 5 minutes
    s = summary.build(ctx, "network_outage", None, 24 * 3600)
    expected = minute_sums(ctx, {"topic": "network_outage"}, s.start, s.end)
    assert (s.n, s.neg, s.reach) == (expected["n"], expected["neg"], expected["reach"]) == (288, 288, expected["reach"])
    assert s.step_s == 3600 and sum(i.n for i in s.series) == s.n
    for i in s.series:
        assert i.n == minute_sums(ctx, {"topic": "network_outage"}, i.start, i.end)["n"]
    assert s.regions == [["koeln_bonn", 288, 288]]


# --- normal ----------------------------------------------------------------------------------

TUESDAY = "2025-11-18"  # the window: Tuesday 09:00-10:00 in Berlin


def current_hour(ctx, n=10):
    write(ctx, outage("now", local(f"{TUESDAY} 09:00") + 30, n, spacing=390))  # the last at 09:59: the window is 09:00-10:00


def test_normal_is_the_same_weekday_and_time_in_past_weeks_across_daylight_saving(ctx):
    for day, n in (("2025-11-11", 2), ("2025-11-04", 2), ("2025-10-28", 2), ("2025-10-21", 6)):  # 21 Oct: summer time
        write(ctx, outage(f"w{day}", local(f"{day} 09:05"), n, spacing=300))
    current_hour(ctx)
    s = summary.build(ctx, "network_outage", None, 3600)
    assert s.normal.method == "weekly" and s.normal.days == [7, 14, 21, 28] and s.normal.expected == pytest.approx(3.0)
    assert sum(i.normal for i in s.series) == pytest.approx(3.0, abs=0.01)
    assert all(i.low <= i.normal <= i.high for i in s.series)
    de, en = summary_text.text(ctx.cfg, s, "de"), summary_text.text(ctx.cfg, s, "en")
    assert "10 Beiträge – 3,3× so viele wie an einem Dienstagvormittag üblich (sonst ≈ 3)" in de
    assert "10 posts – 3.3× the usual volume for a Tuesday morning (usually about 3)" in en
    assert de.startswith("🟡 Erhöht – Netzstörung, letzte 1h (09:00–10:00)")  # local time, winter
    assert en.startswith("🟡 Elevated – Network outage, last 1h (09:00–10:00)")
    full = summary_text.text(ctx.cfg, s, "en", full=True)
    assert "Normal: the mean of the same time 7, 14, 21, 28 days before" in full
    assert "Why elevated: at least 2× the normal volume" in full


def test_normal_falls_back_to_past_days_then_to_the_hours_before(ctx):
    write(ctx, outage("mon", local("2025-11-17 09:10"), 1))
    current_hour(ctx)
    s = summary.build(ctx, "network_outage", None, 3600)
    assert (s.normal.method, s.normal.days, s.normal.expected) == ("daily", [1], pytest.approx(1.0))
    assert "10× so viele wie an einem Vormittag üblich" in summary_text.text(ctx.cfg, s, "de")
    assert "10× the usual volume for a morning" in summary_text.text(ctx.cfg, s, "en")
    assert s.status == "elevated" and s.reasons == ["volume"]  # 10×, but 10 posts are no crisis yet


def test_normal_from_the_hours_before_when_there_is_no_history_at_this_time(ctx):
    write(ctx, outage("early", local(f"{TUESDAY} 06:30"), 6, spacing=900))  # 06:30-07:45: in the 3 hours before
    current_hour(ctx)
    s = summary.build(ctx, "network_outage", None, 3600)
    assert s.normal.method == "before" and s.normal.before_s == 3 * 3600 and s.normal.expected == pytest.approx(2.0)
    assert "10 posts – 5× the rate of the 3h before (about 2 per 1h then)" in summary_text.text(ctx.cfg, s, "en")
    assert "10 Beiträge – 5× so viele wie in den 3h davor (dort ≈ 2 je 1h)" in summary_text.text(ctx.cfg, s, "de")


def test_nothing_to_compare_with_on_a_new_installation(ctx):
    current_hour(ctx)
    s = summary.build(ctx, "network_outage", None, 3600)
    assert s.normal.method == "none" and s.ratio is None and s.status == "normal"
    assert "10 posts – nothing to compare with yet" in summary_text.text(ctx.cfg, s, "en")


@pytest.mark.parametrize("when, de, en", [
    ("2025-11-19 02:40", "in einer Dienstagnacht", "a Tuesday night"),  # before 5:00 the night belongs to the day before
    ("2025-11-22 19:10", "an einem Samstagabend", "a Saturday evening"),
    ("2025-11-20 15:00", "an einem Donnerstagnachmittag", "a Thursday afternoon"),
    ("2025-07-15 10:00", "an einem Dienstagvormittag", "a Tuesday morning"),  # summer time
])
def test_the_comparison_slot_is_named_in_local_time(ctx, when, de, en):
    end = local(when)
    write(ctx, outage("before", end - 7 * 86400 - 2 * 3600, 16, spacing=900))  # history: every hour it spans has posts
    write(ctx, outage("now", end - 1800, 12, spacing=120))
    s = summary.build(ctx, "network_outage", None, 3600)
    assert s.normal.method == "weekly"
    assert summary_text.slot(s, "de", BERLIN) == de and summary_text.slot(s, "en", BERLIN) == en
    assert f"{datetime.fromtimestamp(s.end, BERLIN):%H:%M})" in summary_text.text(ctx.cfg, s, "de").splitlines()[0]


def test_times_follow_the_configured_time_zone(ctx):
    ctx.cfg = ctx.cfg.model_copy(update={"timezone": "America/New_York"})
    current_hour(ctx)
    s = summary.build(ctx, "network_outage", None, 3600)
    assert s.tz == "America/New_York"
    assert "(03:00–04:00)" in summary_text.text(ctx.cfg, s, "en").splitlines()[0]  # 09:00-10:00 in Berlin


def test_long_windows_name_the_weekday_or_the_weeks_before(ctx):
    for weeks in (1, 2):  # posts every hour for 4 days before the same time 1 and 2 weeks ago
        write(ctx, outage(f"w{weeks}", local(f"{TUESDAY} 10:00") - weeks * 7 * 86400 - 4 * 86400, 96, spacing=3600))
    current_hour(ctx)
    day = summary.build(ctx, "network_outage", None, 12 * 3600)
    assert summary_text.slot(day, "de", BERLIN) == "an einem Dienstag" and summary_text.slot(day, "en", BERLIN) == "a Tuesday"
    week = summary.build(ctx, "network_outage", None, 3 * 86400)
    assert summary_text.slot(week, "en", BERLIN) == "this time in the weeks before"
    assert "Per day (posts · negative · normal):" in summary_text.text(ctx.cfg, week, "en", full=True)


# --- status ----------------------------------------------------------------------------------

def _summary(n=20, neg=2, expected=20.0, neg_share=0.1, halves=None, alerts=()):
    return summary.Summary(
        topic="network_outage", region=None, start=0.0, end=3600.0, step_s=300, tz="Europe/Berlin", n=n, neg=neg,
        reach=0.0, halves=halves or [[n // 2, neg // 2], [n - n // 2, neg - neg // 2]], middle=1800.0,
        normal=summary.Normal("weekly", expected, neg_share, [7]), series=[], regions=[], topics=[], channels=[], terms=[],
        widest=[], representative=[], similarity="none", matched=0, pool=0,
        alerts=[summary.AlertRef(i, sev, st, {}, ["network"], 0.0) for i, (sev, st) in enumerate(alerts, 1)])


@pytest.mark.parametrize("kwargs, light, reasons", [
    ({}, "normal", []),
    ({"n": 45}, "elevated", ["volume"]),  # 2.25× normal
    ({"n": 110}, "critical", ["volume_critical"]),
    ({"n": 8, "expected": 1.0}, "normal", []),  # 8× but too few posts to mean anything
    ({"n": 15, "expected": 1.0}, "elevated", ["volume"]),  # 15×, but too few posts for a crisis
    ({"neg": 12}, "elevated", ["mood"]),  # 60 % negative, usually 10 %
    ({"neg": 12, "neg_share": 0.55}, "normal", []),  # as negative as usual
    ({"neg": 11, "neg_share": 0.55, "halves": [[10, 1], [10, 10]]}, "elevated", ["mood"]),  # rising within the window
    ({"alerts": [("warning", "acknowledged")]}, "elevated", ["alert"]),
    ({"alerts": [("critical", "firing")]}, "critical", ["alert_critical"]),
    ({"alerts": [("critical", "resolved")]}, "normal", []),
])
def test_traffic_light(kwargs, light, reasons):
    assert summary.status(_summary(**kwargs)) == (light, reasons)


# --- alerts, follow-ups, chats ---------------------------------------------------------------

def test_who_has_the_alert_and_more_in_the_same_chat_only(ctx, drain):
    ingest.accept(ctx, outage_posts())
    drain()
    first = ask(ctx, "was ist los in Bonn?").text.splitlines()
    since = datetime.fromtimestamp(ctx.store.get_alert(1).started_at, BERLIN).strftime("%H:%M")
    assert first[-1] == f"Alarm #1 (KRITISCH) seit {since} offen, noch nicht bestätigt – Bereitschaft: markus.hoffmann · Mehr: „mehr“"
    commands.act(ctx, 1, "ack", "room", "aylin.demir", "aylin.demir")
    en = ask(ctx, "what's happening in Cologne?", "security", platform="slack").text.splitlines()
    acked = datetime.fromtimestamp(ctx.store.get_alert(1).acked_at, BERLIN).strftime("%H:%M")
    assert en[-1] == f"Alert #1 (CRITICAL) – acknowledged by aylin.demir at {acked} · More: “more”"
    assert ask(ctx, "more", "devices").text.startswith("More of what?")  # another chat
    assert ask(ctx, "mehr", "network", platform="slack").text.startswith("Wovon mehr?")  # another platform
    more = ask(ctx, "more", "security", platform="slack").text
    assert "Largest audience:" in more and "Typical posts (by meaning, chosen from 30 of 30 posts):" in more
    assert more.splitlines()[-1] == f"• Alert #1 (CRITICAL) – acknowledged by aylin.demir at {acked}"
    details = ask(ctx, "mehr", "network").text  # the network channel's own summary
    assert "Verlauf je Stunde" in details and "Themen: Netzstörung (30)" in details
    ttl = ctx.redis.ttl(store.SUMMARY.format(chat=summary.chat_key("test", "network", "anna")))
    assert 0 < ttl <= summary.TTL_S
    cli = commands.handle(ctx, commands.Request("summary outage", "ops", None, "cli"))  # `sitroom ask`
    assert cli.text.startswith("🔴 Critical – Network outage") and cli.summary.n == 30
    assert commands.handle(ctx, commands.Request("details", "ops", None, "cli")).text.startswith("🔴 Critical")


def test_subjects_topics_regions_and_both(ctx):
    write(ctx, outage("k", T0, 12) + outage("b", T0, 3, region="berlin"))
    both = ask(ctx, "Zusammenfassung Netzausfall in Köln").summary
    assert (both.topic, both.region, both.n) == ("network_outage", "koeln_bonn", 12)
    assert ask(ctx, "summary outage", "security").summary.regions == [["koeln_bonn", 12, 12], ["berlin", 3, 3]]
    assert ask(ctx, "summary Cologne", "security").summary.region == "koeln_bonn"
    unknown = ask(ctx, "summary of unicorns", "security").text
    assert unknown.startswith("I don't know the topic or region “unicorns”. Topics: Network outage,")
    assert ask(ctx, "was ist los in Atlantis?").text.startswith("Die Region „Atlantis“ kenne ich nicht.")


# --- posts -----------------------------------------------------------------------------------

def test_representative_posts_are_central_and_never_near_duplicates(embedder):
    texts = [
        "Kein Netz in Köln seit heute Morgen",
        "Kein Netz in Köln seit heute Morgen!!",  # the same, slightly edited
        "kein netz in köln seit heute morgen https://t.co/x",
        "Mobile network down in Cologne, no signal at all",
        "No mobile signal in Cologne since this morning",
        "Is the network down in Cologne? My phone shows no signal",
        "When will the network outage in Cologne be fixed?",
        "My invoice is far too high this month",
        "Great service in the shop today, thanks!",
    ]
    vectors = list(embedder.encode(texts).astype(np.float16).astype(np.float32))
    chosen, kind = representative.choose(texts, vectors, 5)
    assert kind == "embedding" and len(chosen) == 5
    assert len({0, 1, 2} & set(chosen)) <= 1  # near-duplicates never both
    sim = np.stack(vectors) @ np.stack(vectors).T
    for a in chosen:
        for b in chosen:
            assert a == b or sim[a, b] < representative.DUPLICATE_COSINE
    centrality = (sim.sum(1) - 1) / (len(texts) - 1)
    assert chosen[0] == int(np.argmax(centrality))  # the most central post first
    assert chosen[0] in {3, 4, 5, 6}  # ... which is about the outage, the subject most posts share
    # without vectors: the same promises on character shingles
    chosen, kind = representative.choose(texts, [None] * len(texts), 5)
    assert kind == "shingles" and len({0, 1, 2} & set(chosen)) == 1


def test_the_most_central_post_comes_first_and_the_next_is_diverse():
    # a cluster of three around one centre, and one post apart
    vectors = [np.array(v, dtype=np.float32) for v in ([1, 0, 0], [0.8, 0.6, 0], [0.8, -0.6, 0], [0.6, 0, 0.8])]
    chosen, _ = representative.choose(["a", "b", "c", "d"], vectors, 2)
    assert chosen[0] == 0  # closest to everything
    assert chosen[1] == 3  # the post apart, not another from the cluster
    same = [np.array([1, 0], dtype=np.float32)] * 3
    assert representative.choose(["x", "y", "z"], same, 3)[0] == [0]  # identical meaning: one post only


def test_key_terms_leave_out_the_organisation_and_prefer_phrases():
    texts = ["Telvia kein Netz in Köln, Totalausfall", "@TelviaHilfe Totalausfall in Köln", "Köln: Totalausfall seit 9",
             "Rechnung zu hoch"]
    terms = representative.key_terms(texts, {"telvia", "telviahilfe"})
    assert terms[:2] == ["köln", "totalausfall"] and not any("telvia" in t for t in terms)
    assert representative.key_terms(["a b", "c d"], set()) == []


def test_quiet_summary_and_summary_round_trip(ctx):
    s = summary.build(ctx, "device_recall", None, 7200, now=local(f"{TUESDAY} 10:00"))
    assert s.n == 0 and s.status == "normal"
    assert summary.Summary.from_dict(s.to_dict()) == s
    assert summary_text.text(ctx.cfg, s, "de").splitlines()[1:] == ["Keine Beiträge in diesem Zeitraum.", "Kein offener Alarm dazu."]
