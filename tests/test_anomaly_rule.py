"""Rule type `anomaly`: detectors.anomaly per series, fed by the rule evaluation (workers) and by
the simulation (`sitroom rules test`) through the same code, rules/anomaly.py."""

import json
import os
import random
from pathlib import Path

import pytest

from bot import config, scoring, store, worker
from bot.aggregates import Window
from bot.context import Context
from bot.models import AlertStatus, Post
from bot.yamlfile import YamlError
from detectors.anomaly import Detector
from rules import anomaly, engine, loader
from rules.model import Anomaly

ROOT = Path(__file__).resolve().parent.parent
T0 = 1763247600.0  # 2025-11-16 00:00 Europe/Berlin (a Sunday)

RULE = """
rules:
  - name: outage-anomaly
    type: anomaly
    match: {topic: network_outage}
    group_by: [region]
    step: 1h
    departments: [network]
"""


@pytest.fixture
def cfg():
    return config.load(ROOT / "config.yaml")


def rules_from(text: str, tmp_path: Path, cfg=None) -> list:
    path = tmp_path / "anomaly.yaml"
    path.write_text(text)
    return loader.load_files([path], cfg)


# --- the rule file ----------------------------------------------------------------------------
def test_the_loader_accepts_an_anomaly_rule_with_its_defaults(tmp_path, cfg):
    [rule] = rules_from("""
rules:
  - {name: quiet-anomaly, type: anomaly, departments: [network]}
  - {name: hourly, type: anomaly, step: 1h, metric: negative_share, min_count: 20, score_above: 0.7, departments: [social]}
""", tmp_path, cfg)[:1]
    assert isinstance(rule, Anomaly)
    assert (rule.metric, rule.step, rule.window, rule.min_count, rule.learn_for) == ("count", 300, 300, 5, 86400)
    assert rule.score_above == 0.5
    hourly = rules_from("rules:\n  - {name: h, type: anomaly, step: 1h, window: 1h, departments: [social]}\n", tmp_path)[0]
    assert hourly.window == hourly.step == 3600


@pytest.mark.parametrize("line, expected", [
    ("step: 7m", "step: must be whole minutes that divide an hour"),
    ("step: 90s", "step: must be whole minutes that divide an hour"),
    ("step: 2h", "step: must be whole minutes that divide an hour"),
    ("metric: mood", "metric: Input should be 'count', 'negative_count', 'negative_share' or 'reach'"),
    ("score_above: 1.5", "score_above"),
    ("window: 15m", "window is its step"),
])
def test_the_loader_rejects_bad_anomaly_rules_with_file_and_line(tmp_path, line, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(f"rules:\n  - name: a\n    type: anomaly\n    departments: [network]\n    {line}\n")
    with pytest.raises(YamlError) as e:
        loader.load_files([path])
    [problem] = e.value.problems
    assert expected in problem
    where = 5 if not line.startswith("window") else 2  # the field's line; the rule's for a whole-rule problem
    assert problem.startswith(f"{path}:{where}:"), problem


# --- the engine (pure) ------------------------------------------------------------------------
def _rule(**kw) -> Anomaly:
    return Anomaly(type="anomaly", name="a", match={"topic": "network_outage"}, group_by=["region"],
                   departments=["network"], **kw)


def _window(rule, entries: dict) -> Window:
    return Window({}, anomalies={rule.name: entries})


def test_the_engine_fires_on_a_high_score_with_enough_posts_in_the_newest_step():
    rule = _rule()  # step 5m
    now = 1763290000.0
    newest = anomaly.latest_step(rule.step, int(now // 60)) * rule.step
    assert newest + rule.step + 60 <= now < newest + 2 * rule.step + 60  # complete, and the newest one that is
    entry = {"t": newest, "score": 0.8, "value": 42.0, "count": 42.0, "expected": 4.26, "rows": 1000}
    [fire] = engine.evaluate([rule], _window(rule, {("koeln_bonn",): entry}), {}, now)
    assert fire.labels == {"topic": "network_outage", "region": "koeln_bonn"}
    assert (fire.current, fire.baseline) == (42.0, 4.3)
    quiet = [
        {**entry, "count": 4.0, "value": 4.0},  # too few posts: low counts never fire
        {**entry, "score": 0.49},  # below score_above
        {**entry, "t": newest - rule.step},  # not the newest step (the feed is behind)
        {**entry, "rows": 200},  # the detector has learnt less than a day
        {**entry, "expected": 50.0},  # a drop, not a rise
        {**entry, "value": None},  # a gap
    ]
    for e in quiet:
        assert engine.evaluate([rule], _window(rule, {("koeln_bonn",): e}), {}, now) == [], e


def test_a_share_fires_with_enough_posts_in_the_step():
    rule = _rule(metric="negative_share", min_count=20, score_above=0.6)
    now = 1763290000.0
    newest = anomaly.latest_step(rule.step, int(now // 60)) * rule.step
    entry = {"t": newest, "score": 0.7, "value": 0.81234, "count": 25.0, "expected": 0.21, "rows": 500}
    [fire] = engine.evaluate([rule], _window(rule, {("berlin",): entry}), {}, now)
    assert (fire.current, fire.baseline) == (0.812, 0.21)
    assert engine.evaluate([rule], _window(rule, {("berlin",): {**entry, "count": 19.0}}), {}, now) == []


# --- feeding (pure) ---------------------------------------------------------------------------
def _minutes(posts_per_minute: dict[int, int], region="koeln_bonn") -> dict[int, dict[str, float]]:
    """Per-minute aggregates as the scoring step writes them, for outage posts in one region."""
    out = {}
    for m, n in posts_per_minute.items():
        out[m] = {"n": n, f"n|region={region}|topic=network_outage": n, "n|topic=network_outage": n}
    return out


def test_each_complete_step_is_fed_once_in_order_and_catch_up_is_bounded():
    rule = _rule()  # 5-minute steps
    start = int(T0 // 60)
    minutes = _minutes({m: 2 for m in range(start, start + 3 * 1440)})
    window = Window(minutes)
    book = anomaly.Book()
    assert anomaly.feed(rule, book, window, start + 61, "Europe/Berlin")  # a new rule reads back up to a day
    [series] = book.series.values()
    assert series.detector.rows == 12 and book.fed == (start + 55) // 5  # steps 00:00 .. 00:55
    assert series.t == (start + 55) * 60 and series.value == 10.0 and series.count == 10.0
    assert not anomaly.feed(rule, book, window, start + 61, "Europe/Berlin")  # the same minute: nothing new
    assert not anomaly.feed(rule, book, window, start + 65, "Europe/Berlin")  # 01:00-01:05 needs a minute of grace
    assert anomaly.feed(rule, book, window, start + 66, "Europe/Berlin") and series.detector.rows == 13
    # Two days later: one day of steps is fed, the older ones are skipped.
    assert anomaly.feed(rule, book, window, start + 2 * 1440 + 66, "Europe/Berlin")
    assert series.detector.rows == 13 + 288


def test_steps_without_any_post_are_gaps_and_a_quiet_series_is_zero():
    rule = _rule()
    start = int(T0 // 60)
    minutes = _minutes({m: 1 for m in range(start, start + 10)})  # 00:00-00:10 outage posts in Köln
    minutes.update(_minutes({m: 1 for m in range(start + 10, start + 15)}, region="berlin"))  # 00:10-00:15 Berlin only
    book = anomaly.Book()
    anomaly.feed(rule, book, Window(minutes), start + 25, "UTC")  # steps up to 00:15-00:20 are complete
    koeln, berlin = book.series[("koeln_bonn",)], book.series[("berlin",)]
    assert koeln.detector.rows == 3 and berlin.detector.rows == 1  # 00:15-00:20 had no post at all: a gap
    assert (koeln.value, koeln.score, koeln.count) == (None, 0.0, 0.0)
    assert list(koeln.detector.recent) == [5.0, 5.0, 0.0]  # 00:10: Berlin posted, Köln did not
    assert koeln.seen == (start + 5) * 60


def test_the_local_offset_follows_daylight_saving_time():
    rule = _rule(step="1h")
    spring = 1774746000  # 2026-03-29 01:00 UTC: Berlin goes from +1 h to +2 h
    first = spring // 60 - 120
    book = anomaly.Book()
    anomaly.feed(rule, book, Window(_minutes({m: 1 for m in range(first, first + 240)})), first + 241, "Europe/Berlin")
    [series] = book.series.values()
    assert series.detector.rows == 4 and series.detector.utc_offset == 7200


# --- through the real pipeline ----------------------------------------------------------------
def _outage(i: int, t: float, prefix="o") -> Post:
    return Post("generic", f"{prefix}{i}", "x_support", f"Kein Netz in Köln seit {i % 50} Minuten, Totalausfall!", t)


def _steady(first_hour: float, hours: int, rng: random.Random, prefix: str) -> list[Post]:
    """4-8 outage reports from Köln every hour: what the region usually says."""
    times = []
    for h in range(hours):
        times += [first_hour + h * 3600 + rng.random() * 3600 for _ in range(rng.randint(4, 8))]
    return [_outage(i, t, prefix) for i, t in enumerate(sorted(times))]


def _series(ctx) -> dict:
    raw = ctx.redis.hgetall(store.ANOMALY.format(rule="outage-anomaly"))
    return {k.decode(): json.loads(v) for k, v in raw.items()}


def test_days_of_steady_traffic_then_a_burst_alert_once_and_survive_a_restart(ctx, drain, scorer, redis_url, tmp_path):
    from bot import ingest

    rules = rules_from(RULE, tmp_path, ctx.cfg)
    ctx.rules = rules
    rng = random.Random(3)
    ingest.accept(ctx, _steady(T0, 3 * 24, rng, "d"))  # three days
    drain()
    assert ctx.store.alerts() == []
    head = _series(ctx)["#head"]
    assert head["fed"] == int(T0 // 3600) + 70  # 23:00-24:00 of the third day needs a post after it
    assert 0 < ctx.redis.ttl(store.ANOMALY.format(rule="outage-anomaly")) <= ctx.cfg.retention.hourly
    # Six hours without a single post (sitroom was down), then the usual traffic again: no alert.
    back = T0 + 3 * 86400 + 6 * 3600
    ingest.accept(ctx, _steady(back, 3, rng, "b"))
    drain()
    assert ctx.store.alerts() == []
    rows = _series(ctx)['["koeln_bonn"]']["rows"]
    assert rows == 72 + 2  # the six silent hours taught the detector nothing; the third hour is not complete
    # Two evaluations in the same minute feed nothing.
    for _ in range(2):
        scoring.Evaluator(ctx).evaluate(set())
    assert _series(ctx)['["koeln_bonn"]']["rows"] == rows
    # The burst: 40 reports in an hour, then the usual traffic goes on.
    burst = back + 3 * 3600
    ingest.accept(ctx, [_outage(i, burst + 30 + i * 80, "x") for i in range(40)] + [_outage(0, burst + 3720, "y")])
    drain()
    [alert] = ctx.store.alerts()
    assert alert.rule == "outage-anomaly" and alert.departments == ["network"]
    assert alert.labels == {"topic": "network_outage", "region": "koeln_bonn"}
    assert alert.current >= 40 and 3 <= alert.baseline <= 9 and alert.measure == "count"
    saved = _series(ctx)
    assert saved['["koeln_bonn"]']["score"] >= 0.5 and saved['["koeln_bonn"]']["t"] == burst

    # A restart: a new Context and worker find the same detectors, send no second alert, no flood.
    again = Context.create(os.path.join(ROOT, "config.yaml"), redis_url=redis_url)
    again.rules = rules
    scoring.Evaluator(again).evaluate(set())
    assert _series(again) == saved  # the same step is not fed again
    expected = Detector.from_state(saved['["koeln_bonn"]']["state"])
    later = burst + 3600 + 3720
    ingest.accept(again, [_outage(i, burst + 3600 + 60 + i * 600, "z") for i in range(6)] + [_outage(9, later, "z")])
    worker.run(again, burst=True, scorer=scorer)
    after = _series(again)['["koeln_bonn"]']
    assert after["t"] == burst + 3600 and after["value"] == 7.0  # the hour after the burst: one post + six
    assert after["score"] == expected.update(burst + 3600, 7.0)  # exactly what the saved detector says
    ingest.accept(again, _steady(later + 600, 4, rng, "e"))
    worker.run(again, burst=True, scorer=scorer)
    [alert] = again.store.alerts()
    assert alert.status == AlertStatus.RESOLVED


def test_explanations_say_what_an_anomaly_rule_measures(ctx, tmp_path):
    from bot import answers, explanation
    from bot.models import Alert, Severity

    [rule] = rules_from(RULE, tmp_path, ctx.cfg)
    ctx.rules = [rule]
    assert explanation.condition(rule, "en") == (
        "Rule “outage-anomaly”: posts per 1h far from what this series usually does at this time "
        "(anomaly score from 0.5, from 5 posts)")
    assert "Beiträge je 1h" in explanation.condition(rule, "de")
    alert = Alert(1, "fp", rule.name, Severity.WARNING, ["network"], {"region": "koeln_bonn"}, {}, current=42,
                  baseline=4.3, window_s=3600)
    ctx.store.save_alert(alert, 3600)
    text, _ = answers.explain(ctx, 1, "en")
    assert "Measured: posts = 42 in the last 1h, expected ≈ 4.3. It fires at an anomaly score of 0.5" in text


# --- `sitroom rules test` ---------------------------------------------------------------------
TEST_FILE = """
rule_files: [../anomaly.yaml]
start: 2026-01-05T00:00:00+01:00
tests:
  - name: three calm days, then an outage hour in Köln/Bonn
    posts:
      - {at: 0m, every: 10m, until: 3d6h, text: "Kein Netz", topic: network_outage, region: koeln_bonn, sentiment: negative, language: de}
      - {at: 3d2h, every: 1m, repeat: 40, text: "Totalausfall", topic: network_outage, region: koeln_bonn, sentiment: negative, language: de}
    expect:
      - {at: 3d2h, firing: []}
      - at: 3d3h5m
        firing: [{rule: outage-anomaly, labels: {region: koeln_bonn}, departments: [network]}]
      - {at: 3d4h, firing: [{rule: outage-anomaly}]}  # newest until 3d4h1m, then resolve_after
      - {at: 3d5h, firing: []}
"""


def test_rules_test_runs_anomaly_rules_through_the_simulation(tmp_path, monkeypatch, capsys):
    from bot import cli

    (tmp_path / "anomaly.yaml").write_text(RULE.replace("step: 1h", "step: 1h\n    resolve_after: 30m"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "anomaly_test.yaml").write_text(TEST_FILE)
    monkeypatch.setenv("SITROOM_CONFIG", str(ROOT / "config.yaml"))
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path / "data"))
    code = cli.main(["rules", "test", str(tmp_path / "tests")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 passed, 0 failed" in out
    # and it does fail when the burst is missing
    (tmp_path / "tests" / "anomaly_test.yaml").write_text(TEST_FILE.replace("repeat: 40", "repeat: 5"))
    assert cli.main(["rules", "test", str(tmp_path / "tests")]) == 1


def test_a_series_quiet_for_two_weeks_is_forgotten():
    rule = _rule(step="1h")
    start = int(T0 // 60)
    book = anomaly.Book()
    minutes = _minutes({start: 3})
    anomaly.feed(rule, book, Window(minutes), start + 61, "UTC")
    assert list(book.series) == [("koeln_bonn",)]
    # Others keep posting; Köln/Bonn says nothing for 14 days and an hour.
    for day in range(15):
        first = start + day * 1440
        minutes.update(_minutes({m: 1 for m in range(first, first + 1440, 60)}, region="berlin"))
        anomaly.feed(rule, book, Window(minutes), first + 1440 + 1, "UTC")
        assert (("koeln_bonn",) in book.series) == (day < 14), day  # day 14 reaches 14 days and an hour
    assert ("koeln_bonn",) not in book.series and ("berlin",) in book.series
