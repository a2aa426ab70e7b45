"""The demo scenario: deterministic, realistic in volume and mix, incidents clearly where they belong."""

from __future__ import annotations

import math
import re
import statistics
import time
from pathlib import Path

import pytest

from bot import config
from bot.demo.scenario import generate, incident_at

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
# Each incident's vocabulary, written independently of config.yaml's keywords.
VOCAB = {
    "outage": r"kein(en)? (netz|lte|empfang)|netzausfall|totalausfall|st(ö|oe)rung|funkloch|no signal|no service|"
              r"no reception|outage|network down|\bsos\b",
    "recall": r"r(ü|ue)ckruf|zur(ü|ue)ckgerufen|aufgebl(ä|ae)ht|(ü|ue)berhitz|brandgefahr|recall|overheat|swell|swollen",
    "phishing": r"phishing|fake-sms|gef(ä|ae)lscht|betrug|scam|smishing|legit|angeblich von telvia|fake telvia",
}


@pytest.fixture(scope="module")
def day():
    return generate(seed=7, scale=1.0)


@pytest.fixture(scope="module")
def small():
    return generate(seed=7, scale=0.3)


def test_same_seed_same_posts(small):
    again = generate(seed=7, scale=0.3)
    assert [p.to_dict() for p in again.posts] == [p.to_dict() for p in small.posts]
    assert again.incidents == small.incidents
    other = generate(seed=8, scale=0.3)
    assert [p.text for p in other.posts] != [p.text for p in small.posts]


def test_volume_and_speed():
    t0 = time.perf_counter()
    full = generate()
    assert time.perf_counter() - t0 < 1.0
    assert 5500 <= len(full.posts) <= 6600
    hourly = [0] * 24
    for p in full.posts:
        hourly[int((p.created_at - full.start) // 3600)] += 1
    assert max(hourly[1:5]) * 4 < min(hourly[10:21])  # quiet night, busy day and evening


def test_scale_multiplies_volume_but_keeps_incidents(day, small):
    assert 0.25 * len(day.posts) < len(small.posts) < 0.4 * len(day.posts)
    for inc in small.incidents:
        assert sum(1 for p in small.posts if small._kind[p.id].startswith(inc.name)) >= 100


def test_language_mix(day):
    langs = list(day._lang.values())
    assert set(langs) == {"de", "en"}
    assert 0.55 <= langs.count("de") / len(langs) <= 0.66
    for p in day.posts:
        assert p.language in (None, day._lang[p.id])  # when the platform says, it is right
    assert 0.1 < sum(p.language is not None for p in day.posts) / len(day.posts) < 0.4


def test_posts_are_well_formed(day):
    cfg = config.load(CONFIG)
    channels = {s.name for s in cfg.sources}
    ids = [p.id for p in day.posts]
    assert len(set(ids)) == len(ids)
    times = [p.created_at for p in day.posts]
    assert times == sorted(times)
    assert day.start <= times[0] and times[-1] < day.end == day.start + 86400
    assert {p.channel for p in day.posts} == channels
    assert {p.source for p in day.posts} == {"generic"}
    assert all(p.text and p.author_id and p.author_name for p in day.posts)
    earlier: set[str] = set()
    for p in day.posts:  # replies on X point back at posts already seen that day
        if p.in_reply_to and p.channel != "fb_telvia":
            assert p.in_reply_to in earlier
        earlier.add(p.id)


def test_follower_distribution_is_long_tailed(day):
    followers = sorted(p.followers for p in day.posts if p.channel != "fb_telvia")
    median = statistics.median(followers)
    assert 30 < median < 500
    assert followers[-1] > 100_000 and followers[int(len(followers) * 0.9)] < 5_000


def test_incidents_at_known_times(day):
    by_name = {i.name: i for i in day.incidents}
    assert set(by_name) == {"outage", "recall", "phishing"}
    assert day.start == 1794783600.0  # 2026-11-16 00:00 Europe/Berlin
    assert by_name["outage"].start == day.start + 8.5 * 3600 and by_name["outage"].end == day.start + 11 * 3600
    assert by_name["outage"].department == "network" and by_name["outage"].region == "koeln_bonn"
    assert by_name["recall"].department == "devices" and by_name["recall"].topic == "device_recall"
    assert by_name["phishing"].department == "security" and by_name["phishing"].topic == "phishing"
    assert incident_at(day, by_name["recall"].start + 60) is by_name["recall"]
    assert incident_at(day, day.start + 3600) is None
    for p in day.posts:
        kind = day._kind[p.id]
        if kind.startswith(tuple(by_name)):
            inc = by_name[kind.split("_")[0]]
            assert inc.start <= p.created_at < inc.end
    cfg = config.load(CONFIG)
    for inc in day.incidents:
        assert cfg.department(inc.department) and cfg.topic(inc.topic)


@pytest.mark.parametrize("scale", [1.0, 0.3])
@pytest.mark.parametrize("name", ["outage", "recall", "phishing"])
def test_incident_vocabulary_stands_out(name, scale, day, small):
    scen = day if scale == 1.0 else small
    inc = next(i for i in scen.incidents if i.name == name)
    rx = re.compile(VOCAB[name], re.I)
    buckets = [0] * 96
    for p in scen.posts:
        if rx.search(p.text):
            buckets[int((p.created_at - scen.start) // 900)] += 1
    inside = [c for b, c in enumerate(buckets) if inc.start <= scen.start + b * 900 < inc.end]
    outside = [c for b, c in enumerate(buckets) if not inc.start - 900 < scen.start + b * 900 < inc.end]
    assert statistics.median(inside) >= 2 * max(outside)
    assert sum(inside) / len(inside) > 8 * sum(outside) / len(outside)
    assert sum(outside) >= 5  # the vocabulary does occur in calm times: rules must not fire on it


def test_outage_is_in_koeln_bonn(day):
    region = config.load(CONFIG).region("koeln_bonn")
    places = re.compile("|".join(re.escape(p) for p in region.places), re.I)
    outage = [p for p in day.posts if day._kind[p.id] == "outage"]
    assert sum(1 for p in outage if places.search(p.text)) / len(outage) > 0.95
    located = [p for p in outage if p.geo]
    assert len(located) > 20
    for p in located:
        assert _km(p.geo, (region.geo.lat, region.geo.lon)) <= region.geo.radius_km


def test_each_incident_has_viral_posts(day):
    for inc in day.incidents:
        shares = [p.shares for p in day.posts if inc.start <= p.created_at < inc.end]
        assert max(shares) >= 2000
    calm = [p.shares for p in day.posts if incident_at(day, p.created_at) is None]
    assert max(calm) < 1000


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))
