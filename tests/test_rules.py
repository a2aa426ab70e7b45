"""The rule engine as a pure function of rules, aggregates, open alerts and a clock; at the end,
the same engine behind the real scoring worker and Redis (hourly aggregates, flatline)."""

from pathlib import Path

import pytest

from bot import aggregates, config
from bot.aggregates import Window
from bot.models import Alert, Post, Scores, Severity
from bot.yamlfile import YamlError
from rules import engine, loader
from rules.model import RuleFile

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_800_000_000 - 1_800_000_000 % 3600  # an hour boundary, as event time


def rules_from(text):
    from bot import yamlfile

    return list(yamlfile.load_text(text, "test.yaml", RuleFile).rules)


SPIKE = """
rules:
  - name: outage
    type: spike
    match: {topic: network_outage}
    group_by: [region]
    window: 10m
    baseline: 1h
    factor: 3
    min_count: 5
    severity: critical
    departments: [network]
"""


def window_of(posts_scores, tags=None):
    posts = [p for p, _ in posts_scores]
    scores = [s for _, s in posts_scores]
    minutes = {}
    for (m, f), v in aggregates.increments(posts, scores, tags or [[] for _ in posts]).items():
        minutes.setdefault(m, {})[f] = minutes.get(m, {}).get(f, 0) + v
    return Window(minutes)


def post(i, t, topic="network_outage", region="koeln_bonn", sentiment="negative", reach=10.0, text="kein netz"):
    return Post("generic", str(i), "x_support", text, t), Scores(
        language="de", sentiment=sentiment, topic=topic, region=region, reach=reach
    )


def test_spike_fires_per_region_against_the_windows_before():
    rules = rules_from(SPIKE)
    calm = [post(i, T0 + i * 600) for i in range(6)]  # one per 10 minutes for an hour
    burst = [post(100 + i, T0 + 3600 + i * 30, region="koeln_bonn") for i in range(12)]
    elsewhere = [post(200 + i, T0 + 3600 + i * 30, region="berlin") for i in range(3)]
    now = T0 + 3600 + 12 * 30
    actions = engine.evaluate(rules, window_of(calm + burst + elsewhere), {}, now)
    assert len(actions) == 1
    fire = actions[0]
    assert fire.labels == {"topic": "network_outage", "region": "koeln_bonn"}
    assert fire.current == 12 and fire.baseline == pytest.approx(1.0)
    assert fire.fingerprint == "outage|region=koeln_bonn"


def test_spike_needs_factor_over_baseline():
    rules = rules_from(SPIKE)
    steady = [post(i, T0 + i * 60) for i in range(80)]  # one a minute, for 80 minutes
    assert engine.evaluate(rules, window_of(steady), {}, T0 + 79 * 60) == []


def test_threshold_on_negative_share_needs_min_count():
    rules = rules_from("""
rules:
  - name: angry
    type: threshold
    metric: negative_share
    above: 0.6
    min_count: 5
    window: 15m
    departments: [care]
""")
    few = [post(i, T0 + i * 60) for i in range(4)]
    assert engine.evaluate(rules, window_of(few), {}, T0 + 5 * 60) == []
    many = few + [post(10 + i, T0 + 300 + i, sentiment="neutral" if i == 0 else "negative") for i in range(4)]
    [fire] = engine.evaluate(rules, window_of(many), {}, T0 + 6 * 60)
    assert fire.current == pytest.approx(7 / 8)


def test_keyword_any_all_none():
    [rule] = rules_from("""
rules:
  - name: phish
    type: keyword
    any: [phishing, "fake sms"]
    all: [telvia]
    none: [test]
    min_count: 2
    departments: [security]
""")
    assert rule.matches("Telvia FAKE SMS again")
    assert not rule.matches("fake sms again")  # missing 'telvia'
    assert not rule.matches("Telvia phishing test")  # has 'test'
    assert rule.matches("Telvia phishingmail")  # a term may start a word
    texts = ["Telvia phishing!", "telvia fake sms", "hello telvia"]
    pairs = [post(i, T0 + i, text=t) for i, t in enumerate(texts)]
    tags = [engine.tag([rule], p, sc) for p, sc in pairs]
    [fire] = engine.evaluate([rule], window_of(pairs, tags), {}, T0 + 60)
    assert fire.current == 2 and fire.baseline is None


def test_open_alert_resolves_after_quiet_time():
    rules = rules_from(SPIKE)
    alert = Alert(1, "outage|region=koeln_bonn", "outage", Severity.CRITICAL, ["network"], {}, {}, updated_at=T0)
    quiet = Window({})
    assert engine.evaluate(rules, quiet, {alert.fingerprint: alert}, T0 + 1799) == []
    [resolve] = engine.evaluate(rules, quiet, {alert.fingerprint: alert}, T0 + 1800)
    assert isinstance(resolve, engine.Resolve) and resolve.alert is alert


def test_shipped_rules_load_against_shipped_config():
    cfg = config.load(ROOT / "config.yaml")
    rules = loader.load(ROOT / "rules", cfg)
    kinds = {r.type for r in rules}
    assert kinds == {"spike", "threshold", "keyword", "composite", "new_topic", "flatline"}
    assert len(rules.inhibit) == 1 and rules.escalations["default"].repeat


def test_rule_file_errors_name_file_and_line(tmp_path):
    cfg = config.load(ROOT / "config.yaml")
    (tmp_path / "a.yaml").write_text(SPIKE.replace("window: 10m", "window: 10 minutes").replace("factor: 3", "factr: 3"))
    (tmp_path / "b.yaml").write_text(SPIKE.replace("departments: [network]", "departments: [nowhere]"))
    with pytest.raises(YamlError) as err:
        loader.load(tmp_path, cfg)
    found = "\n".join(err.value.problems)
    assert f"{tmp_path / 'a.yaml'}:7: rules[0].window: '10 minutes' is not a duration" in found
    assert f"{tmp_path / 'a.yaml'}:9: rules[0].factr: unknown key 'factr' (did you mean 'factor'?)" in found
    assert f"{tmp_path / 'b.yaml'}:3: rules[0]: departments: unknown department 'nowhere'" in found


def test_unknown_rule_type_is_explained(tmp_path):
    (tmp_path / "a.yaml").write_text(SPIKE.replace("type: spike", "type: spiky"))
    with pytest.raises(YamlError) as err:
        loader.load(tmp_path)
    assert ":4: rules[0].type: unknown type 'spiky'; expected one of: 'spike'" in err.value.problems[0]


def test_sentiment_shift_compares_the_negative_share_with_the_hours_before():
    [rule] = rules_from("""
rules:
  - name: mood
    type: sentiment_shift
    match: {channel: x_support}
    window: 15m
    baseline: 2h
    min_increase: 0.3
    min_count: 8
    departments: [care]
""")
    calm = [post(i, T0 + i * 300, sentiment="negative" if i % 5 == 0 else "neutral") for i in range(22)]  # 5 of 22 negative
    angry = [post(100 + i, T0 + 7200 + i * 60, sentiment="negative" if i < 7 else "neutral") for i in range(10)]
    [fire] = engine.evaluate([rule], window_of(calm + angry), {}, T0 + 7200 + 9 * 60)
    assert (fire.current, fire.baseline) == (0.7, pytest.approx(5 / 22, abs=0.001))
    mild = [post(200 + i, T0 + 7200 + i * 60, sentiment="negative" if i < 4 else "neutral") for i in range(10)]
    assert engine.evaluate([rule], window_of(calm + mild), {}, T0 + 7200 + 9 * 60) == []


def test_viral_post_counts_single_posts_above_a_reach():
    [rule] = rules_from("""
rules:
  - name: viral
    type: viral_post
    match: {topic: network_outage}
    reach_above: 100000
    window: 30m
    departments: [social]
""")
    pairs = [post(1, T0, reach=5_000), post(2, T0 + 60, reach=250_000), post(3, T0 + 120, reach=300_000, topic="billing")]
    tags = [engine.tag([rule], p, sc) for p, sc in pairs]
    assert tags == [[], ["viral"], ["viral"]]
    [fire] = engine.evaluate([rule], window_of(pairs, tags), {}, T0 + 180)
    assert fire.current == 1 and fire.labels == {"topic": "network_outage"}  # the billing post is filtered out


# --- through the real worker and Redis -----------------------------------------------------


def outage(i, t, text="Kein Netz in Köln, Totalausfall!"):
    return Post("generic", f"o{i}", "x_support", text, t)


def test_hourly_aggregates_are_written_and_seasonal_spikes_use_them(ctx, drain):
    from bot import ingest, store

    t0 = 1763283600.0  # Sunday 2025-11-16 09:00 in Berlin
    week_ago = t0 - 7 * 86400
    # A week ago the same hour had 20 outage reports (never 8 within 20 minutes: no alert then).
    ingest.accept(ctx, [outage(i, week_ago + i * 175) for i in range(20)])
    drain()
    hour = int(week_ago // 3600)
    [stored] = ctx.store.load_hours([hour]).values()
    assert stored["n|region=koeln_bonn|topic=network_outage"] == 20 and stored["n"] == 20
    assert not any("|rule=" in f for f in stored)  # keyword tags stay per minute
    assert 62 * 86400 < ctx.redis.ttl(store.HOUR.format(hour=hour)) <= ctx.cfg.retention.hourly
    assert ctx.store.alerts() == []
    # Today 20 reports in 20 minutes: with no history that would be a surge (baseline 0 before it),
    # against a week ago (20 an hour = 6.7 per 20 minutes, x4 = 26.7) it is not.
    ingest.accept(ctx, [outage(100 + i, t0 + 1500 + i * 50) for i in range(20)])
    drain()
    assert ctx.store.alerts() == []
    ingest.accept(ctx, [outage(200 + i, t0 + 1500 + i * 50 + 25) for i in range(10)])
    drain()
    [alert] = ctx.store.alerts()
    assert alert.rule == "network-outage-surge" and alert.current == 30
    assert alert.baseline == pytest.approx(20 / 3)  # "normally 6.7" on the card


def test_a_silent_busy_channel_raises_a_flatline_alert_on_the_wall_clock(ctx, drain):
    import time

    from bot import ingest, scoring, store

    ctx.rules = list(ctx.rules) + rules_from("""
rules:
  - name: channel-silent
    type: flatline
    match: {channel: x_support}
    silent_for: 30m
    baseline: 3h
    min_rate: 6
    departments: [social]
""")
    start = (time.time() // 3600 - 3) * 3600  # the last three complete hours, as event time
    ingest.accept(ctx, [outage(i, start + i * 360) for i in range(30)])  # 10 an hour
    before = time.time()
    drain()
    seen = ctx.store.last_seen()
    assert set(seen) == {"x_support"} and before - 60 < seen["x_support"] <= time.time()
    evaluator = scoring.Evaluator(ctx)
    assert evaluator.evaluate(set()) == []  # it posted a moment ago
    ctx.redis.hset(store.CHANNELS, "x_support", time.time() - 45 * 60)  # as if 45 minutes had passed
    [alert] = [a for a in evaluator.evaluate(set()) if a.rule == "channel-silent"]
    assert alert.labels["channel"] == "x_support" and alert.current == 45 and alert.baseline == 10.0
    ingest.accept(ctx, [outage(99, time.time() - 5)])
    drain()
    assert ctx.store.get_alert(alert.id).status == "resolved"
