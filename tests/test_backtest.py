"""`sitroom rules backtest`: a recorded stream through the real detectors and the rules, on simulated time."""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bot import backtest, config
from bot.models import Post
from bot.sources import replayfile
from rules import loader

ROOT = Path(__file__).resolve().parent.parent
T0 = 1794783600.0  # 2026-11-16 00:00 in Europe/Berlin, config.yaml's time zone
EVERYDAY = ["Wo finde ich meine Rechnung in der App?", "Danke für die schnelle Hilfe im Shop!",
            "Can I upgrade my plan before the contract ends?", "Der Techniker für Glasfaser kam nicht.",
            "Seit 30 Minuten in der Warteschleife.", "How do I cancel my contract?"]
OUTAGE = ["Kein Netz in Köln seit einer Stunde, nur SOS", "Netzausfall in Bonn, kann nicht telefonieren",
          "No signal in Cologne, is the network down?", "Störung in Ehrenfeld? Kein LTE, kein 5G"]


def recording() -> list[Post]:
    """Two hours of everyday posts, and an outage in Köln/Bonn from 01:00 that peaks at 01:20 and is over by 01:40."""
    rng = random.Random(3)
    posts = [Post("generic", f"e{i}", rng.choice(["x_support", "fb_telvia"]), rng.choice(EVERYDAY),
                  T0 + i * 120 + rng.random() * 100, author_id=f"a{i}") for i in range(60)]
    n = 0
    for minute in range(60, 100):
        rate = round(max(0.0, 4 - abs(minute - 80) / 5))  # posts per minute: 0 at 01:00, 4 at 01:20
        for k in range(rate):
            posts.append(Post("generic", f"o{n}", "x_support", OUTAGE[n % 4], T0 + minute * 60 + k * 60 / rate,
                              author_id=f"o{n}"))
            n += 1
    return sorted(posts, key=lambda p: p.created_at)


class Counting:
    """The real scorer, counting the posts it is asked to score."""

    def __init__(self, scorer):
        self.scorer, self.posts = scorer, 0

    def score(self, posts):
        self.posts += len(posts)
        return self.scorer.score(posts)


@pytest.fixture(scope="module")
def cold(tmp_path_factory, scorer):
    """The recording on disk and a first backtest on an empty score cache."""
    folder = tmp_path_factory.mktemp("backtest")
    path = folder / "stream.jsonl"
    replayfile.write_jsonl(recording(), path)
    cfg = config.load(ROOT / "config.yaml")
    rules = loader.load(ROOT / "rules", cfg)
    counting = Counting(scorer)
    cache = backtest.ScoreCache(folder / "cache.sqlite", cfg)
    report = backtest.run(cfg, rules, str(path), lambda: counting, cache)
    cache.close()
    return folder, cfg, rules, counting, report


def test_an_outage_is_alerted_to_the_network_team_before_its_peak(cold):
    _, _, _, counting, report = cold
    assert report["posts"] == 60 + 80
    # Posts the detectors cannot tell apart (same text, channel, counts, ...) are scored once.
    assert counting.posts == report["scored"] == len({backtest.post_key(p) for p in recording()}) < 60
    (alert,) = report["alerts"]
    assert (alert["rule"], alert["departments"], alert["severity"]) == ("network-outage-surge", ["network"], ["critical"])
    assert alert["labels"]["region"] == "koeln_bonn"
    # 8 reports (min_count) in 20 minutes: by 01:10 at the ramp's rate; the peak is at 01:20.
    assert "2026-11-16T01:07+01:00" <= alert["fired_at"] <= "2026-11-16T01:11+01:00"
    assert alert["incident_peak_at"] == "2026-11-16T01:20+01:00"
    assert 9 <= alert["lead_minutes"] <= 13
    assert alert["resolved_at"] is None  # the recording ends before resolve_after has passed
    assert report["per_day"] == {"2026-11-16": 1}


def test_a_warm_cache_skips_the_detectors(cold):
    folder, cfg, rules, _, first = cold
    counting = Counting(None)
    made = []
    cache = backtest.ScoreCache(folder / "cache.sqlite", cfg)
    report = backtest.run(cfg, rules, str(folder / "stream.jsonl"), lambda: made.append(1) or counting, cache)
    assert (made, counting.posts, report["scored"], report["cached"]) == ([], 0, 0, first["posts"])
    assert report["alerts"] == first["alerts"]


def test_the_command_reports_changed_rules_from_the_cache(cold):
    folder, *_ = cold
    strict = folder / "strict.yaml"
    text = (ROOT / "rules" / "incidents.yaml").read_text()
    strict.write_text(text.replace("min_count: 8\n", "min_count: 100\n"))  # the outage rule now needs 100 reports
    env = {**os.environ, "SITROOM_CONFIG": str(ROOT / "config.yaml"), "SITROOM_DATA_DIR": str(folder)}
    runs = [
        subprocess.run([sys.executable, "-m", "bot", "rules", "backtest", str(folder / "stream.jsonl"),
                        "--cache", str(folder / "cache.sqlite"), *extra],
                       capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
        for extra in ([], ["--rules", str(strict)])
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    shipped, changed = (json.loads(run.stdout.splitlines()[-1]) for run in runs)
    assert shipped["scored"] == changed["scored"] == 0
    assert [a["rule"] for a in shipped["alerts"]] == ["network-outage-surge"]
    assert "\nnetwork-outage-surge  16 01:" in runs[0].stdout  # the table: one line per alert
    assert "noise control (group_wait, inhibition, silences, maintenance) is not applied" in runs[0].stdout
    assert changed["alerts"] == [] and "never fired: network-outage-surge" in runs[1].stdout


def test_a_changed_detector_setup_is_a_different_cache_key():
    cfg = config.load(ROOT / "config.yaml")
    other = cfg.model_copy(update={"detectors": cfg.detectors.model_copy(
        update={"topics": cfg.detectors.topics.model_copy(update={"threshold": 0.6})})})
    assert backtest.detector_version(cfg) == backtest.detector_version(config.load(ROOT / "config.yaml"))
    assert backtest.detector_version(cfg) != backtest.detector_version(other)
    a = Post("generic", "1", "x_support", "Kein Netz", T0)
    assert backtest.post_key(a) == backtest.post_key(Post("generic", "2", "x_support", "Kein Netz", T0 + 60))
    assert backtest.post_key(a) != backtest.post_key(Post("generic", "1", "x_support", "Kein Netz", T0, followers=9))
