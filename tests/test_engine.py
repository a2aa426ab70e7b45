"""The rule engine's newer rule types as a pure function of Window + rules + open alerts + clock:
seasonal spikes, per-language keywords, composites, flatline, critical_above."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import aggregates, yamlfile
from bot.aggregates import Window, field
from bot.models import Alert, Post, Scores, Severity
from rules import engine
from rules.model import RuleFile

BERLIN = ZoneInfo("Europe/Berlin")
# Tuesday 2026-11-17 10:00 in Berlin; the tests evaluate just before it (event time), so that a
# 10-minute window is 09:50-09:59, inside the 09:00 hour.
T = datetime(2026, 11, 17, 10, 0, tzinfo=BERLIN).timestamp()
NOW = T - 1
HOUR = int(T // 3600)
WEEK_H, DAY_H = 7 * 24, 24


def at(days: int, hour: int = 9) -> int:
    """The hour (unix s // 3600) of `hour` o'clock in Berlin, `days` days before T's day (26 October
    2026 was a change of the clocks: four weeks back is 673 hours, not 672)."""
    return int((datetime(2026, 11, 17, hour, tzinfo=BERLIN) - timedelta(days=days)).timestamp() // 3600)


def rules_from(text):
    return list(yamlfile.load_text(text, "test.yaml", RuleFile).rules)


def post(i, t, topic="network_outage", region="koeln_bonn", language="de", sentiment="neutral",
         text="kein netz", channel="x_support", reach=10.0):
    return Post("generic", str(i), channel, text, t), Scores(
        language=language, sentiment=sentiment, topic=topic, region=region, reach=reach
    )


def minutes_of(pairs, rules=()):
    """Per-minute aggregates of scored posts, exactly as the scoring step counts them."""
    tags = [engine.tag(list(rules), p, s) for p, s in pairs]
    out: dict[int, dict[str, float]] = {}
    for (m, f), v in aggregates.increments([p for p, _ in pairs], [s for _, s in pairs], tags).items():
        out.setdefault(m, {})[f] = out.get(m, {}).get(f, 0) + v
    return out


def history(hours: dict[int, float], dims=None, other: float = 5.0) -> dict[int, dict[str, float]]:
    """Hourly aggregates: `hours[h]` posts with `dims` in hour h, plus `other` posts of anything else
    (so the hour has history even when the counted value is zero)."""
    dims = dims if dims is not None else {"topic": "network_outage"}
    return {h: {field("n", dims): n, "n": n + other} for h, n in hours.items()}


def burst(n, end=NOW, **kw):
    """n posts in the 10 whole minutes up to `end` (event time), as the engine's window sees them."""
    start = (int(end // 60) - 9) * 60
    return [post(1000 + i, start + i * (599 / n), **kw) for i in range(n)]


SPIKE = """
rules:
  - name: outage
    type: spike
    match: {topic: network_outage}
    window: 10m
    baseline: 1h
    factor: 3
    min_count: 5
    departments: [network]
"""


def fires(rules, window, now=NOW, open_alerts=None):
    return [a for a in engine.evaluate(rules, window, open_alerts or {}, now) if isinstance(a, engine.Fire)]


# --- seasonal spikes ------------------------------------------------------------------------


def test_spike_expects_the_mean_of_past_weeks_that_have_history():
    rules = rules_from(SPIKE)
    # The 10 minutes before 10:00 lie in the 09:00 hour: prorated, a week's value is its hour / 6.
    past = history({at(7): 60, at(21): 120, at(28): 0})
    # Week 2: sitroom was not running (no hour at all) -> left out, not counted as zero.
    busy = Window(minutes_of(burst(40)), hours=past, tz="Europe/Berlin")
    [fire] = fires(rules, busy)
    assert fire.baseline == pytest.approx((10 + 20 + 0) / 3) and fire.current == 40
    normal = Window(minutes_of(burst(25)), hours=past, tz="Europe/Berlin")
    assert fires(rules, normal) == []  # 25 is below 3 x 10: a normal Tuesday morning
    assert fires(rules, Window(minutes_of(burst(25)), tz="Europe/Berlin")) != []  # without history it would fire


def test_a_window_across_the_hour_is_prorated_over_both_hours():
    rules = rules_from(SPIKE)
    now = T + 4 * 60  # window 09:55..10:04: 5 minutes of the 09:00 hour, 5 of the 10:00 hour
    past = history({at(7): 60, at(7, 10): 120})
    [fire] = fires(rules, Window(minutes_of(burst(50, end=now)), hours=past, tz="Europe/Berlin"), now)
    assert fire.baseline == pytest.approx(60 * 5 / 60 + 120 * 5 / 60)


def test_an_hour_without_history_in_the_window_leaves_that_week_out():
    rules = rules_from(SPIKE)
    now = T + 4 * 60
    past = history({at(7, 10): 120, at(14): 30, at(14, 10): 60})
    [fire] = fires(rules, Window(minutes_of(burst(50, end=now)), hours=past, tz="Europe/Berlin"), now)
    assert fire.baseline == pytest.approx(30 * 5 / 60 + 60 * 5 / 60)  # week 1 misses its 09:00 hour


def test_without_weekly_history_the_same_time_on_previous_days_counts():
    rules = rules_from(SPIKE)
    past = history({at(1): 36, at(2): 48, at(9): 600})
    [fire] = fires(rules, Window(minutes_of(burst(30)), hours=past, tz="Europe/Berlin"))
    assert fire.baseline == pytest.approx((6 + 8) / 2)  # day 9 is neither a past week nor within 6 days


def test_without_any_history_the_hours_before_are_the_baseline():
    rules = rules_from(SPIKE)
    calm = [post(i, T - 4200 + i * 600) for i in range(6)]  # one per 10 minutes in the hour before
    window = Window(minutes_of(calm + burst(12)), hours={}, tz="Europe/Berlin")
    [fire] = fires(rules, window)
    assert fire.baseline == pytest.approx(1.0) and fire.current == 12


def test_seasonal_weeks_zero_compares_with_the_hours_before_only():
    [rule] = rules_from(SPIKE.replace("min_count: 5", "min_count: 5\n    seasonal_weeks: 0"))
    past = history({at(7): 600})
    [fire] = fires([rule], Window(minutes_of(burst(12)), hours=past, tz="Europe/Berlin"))
    assert fire.baseline == 0.0


def test_seasonal_time_of_day_is_local_across_a_dst_change():
    rules = rules_from(SPIKE)
    now = datetime(2026, 3, 31, 10, 0, tzinfo=BERLIN).timestamp() - 1  # a week after the clocks went forward
    hour = int(now // 3600) + 1
    week_before_9am = hour - 1 - WEEK_H + 1  # 09:00 CET a week before is 167 hours earlier, not 168
    past = history({week_before_9am: 60, hour - 1 - WEEK_H: 600})
    window = Window(minutes_of(burst(40, end=now)), hours=past, tz="Europe/Berlin")
    [fire] = fires(rules, window, now)
    assert fire.baseline == pytest.approx(10)
    assert week_before_9am in engine.hours_needed(rules, now, "Europe/Berlin")


def test_hours_needed_covers_weeks_and_days_only_for_rules_that_use_them():
    rules = rules_from(SPIKE)
    needed = engine.hours_needed(rules, NOW, "Europe/Berlin")
    assert {at(7 * w) for w in range(1, 5)} <= needed and {at(d) for d in range(1, 7)} <= needed
    assert at(35) not in needed and at(7, 10) not in needed
    off = rules_from(SPIKE.replace("min_count: 5", "min_count: 5\n    seasonal_weeks: 0"))
    assert engine.hours_needed(off, NOW, "Europe/Berlin") == set()


# --- per-language keywords ------------------------------------------------------------------

KEYWORDS = """
rules:
  - name: outage-words
    type: keyword
    any: {de: [kein netz, störung], en: [no signal, outage]}
    none: [test]
    min_count: 2
    departments: [network]
"""


def test_keyword_terms_per_language():
    [rule] = rules_from(KEYWORDS)
    assert rule.matches("Kein Netz seit heute", "de") and not rule.matches("Kein Netz seit heute", "en")
    assert rule.matches("outage again", "en") and not rule.matches("outage again", "de")
    assert not rule.matches("Störung, nur ein test", "de")  # a plain list applies to every language
    assert rule.matches("kein netz", "und") and rule.matches("outage", None)  # undetected: any language's terms
    pairs = [post(1, T - 100, text="kein netz"), post(2, T - 90, text="outage", language="en"),
             post(3, T - 80, text="outage", language="de"), post(4, T - 70, text="no signal", language="en")]
    assert [engine.tag([rule], p, s) for p, s in pairs] == [["outage-words"], ["outage-words"], [], ["outage-words"]]
    [fire] = fires([rule], Window(minutes_of(pairs, [rule])))
    assert fire.current == 3


def test_keyword_all_per_language_leaves_other_languages_out():
    [rule] = rules_from("""
rules:
  - name: recall
    type: keyword
    all: {de: [akku, rückruf]}
    departments: [devices]
""")
    assert rule.matches("Rückruf für den Akku?", "de")
    assert not rule.matches("Akku recall", "en") and not rule.matches("Rückruf", "de")
    assert rule.patterns["en"] is None  # compiled once: English posts cannot count


@pytest.mark.parametrize("terms, problem", [
    ("{de: [netz], en: []}", "no terms for 'en'"),
    ("{}", "name at least one language"),
    ("{fr: [réseau]}", "rules[0].any: unknown language 'fr'; expected one of: de, en"),
    ("netz", "rules[0].any: must be a list of terms, or one list per language"),
])
def test_keyword_language_lists_are_checked(terms, problem):
    with pytest.raises(yamlfile.YamlError) as err:
        rules_from(f"rules:\n  - name: k\n    type: keyword\n    any: {terms}\n    departments: [network]\n")
    assert problem in str(err.value) and "test.yaml:4" in str(err.value)


# --- composites -----------------------------------------------------------------------------

COMPONENTS = """
rules:
  - name: crisis
    type: composite
    all: [many, angry]
    group_by: [region]
    window: 15m
    departments: [network]
  - name: many
    type: threshold
    above: 4
    group_by: [region]
    window: 10m
    departments: [network]
  - name: angry
    type: threshold
    metric: negative_share
    above: 0.5
    min_count: 3
    group_by: [region]
    window: 10m
    departments: [care]
  - name: loud
    type: viral_post
    reach_above: 10000
    window: 10m
    departments: [social]
"""


def crisis_window():
    koeln = [post(i, T - 300 + i, sentiment="negative") for i in range(6)]  # many and angry
    berlin = [post(100 + i, T - 300 + i, region="berlin") for i in range(6)]  # many, calm
    return koeln + berlin


def test_composite_fires_where_all_components_agree_on_the_group():
    rules = rules_from(COMPONENTS)
    found = fires(rules, Window(minutes_of(crisis_window(), rules)))
    assert [f.rule.name for f in found] == ["many", "many", "angry", "crisis"]  # composites last
    crisis = found[-1]
    assert crisis.labels == {"region": "koeln_bonn"} and crisis.fingerprint == "crisis|region=koeln_bonn"
    assert crisis.current == 2 and crisis.baseline is None


def test_composite_component_without_the_label_counts_for_every_group():
    rules = rules_from(COMPONENTS.replace("all: [many, angry]", "all: [many, loud]"))
    pairs = crisis_window() + [post(9, T - 60, reach=50_000, region=None, topic=None)]
    crisis = [f for f in fires(rules, Window(minutes_of(pairs, rules))) if f.rule.name == "crisis"]
    assert sorted(f.labels["region"] for f in crisis) == ["berlin", "koeln_bonn"]
    assert fires(rules, Window(minutes_of(crisis_window(), rules)))[-1].rule.name != "crisis"  # loud is needed


def test_composite_any_needs_one_component():
    rules = rules_from(COMPONENTS.replace("all: [many, angry]", "any: [angry, loud]"))
    crisis = [f for f in fires(rules, Window(minutes_of(crisis_window(), rules))) if f.rule.name == "crisis"]
    assert [(f.labels, f.current) for f in crisis] == [({"region": "koeln_bonn"}, 1)]


def test_composite_counts_open_alerts_updated_within_its_window():
    rules = rules_from(COMPONENTS)
    only_many = [post(100 + i, T - 300 + i, region="berlin") for i in range(6)]
    angry = Alert(7, "angry|region=berlin", "angry", Severity.WARNING, ["care"], {"region": "berlin"}, {},
                  updated_at=T - 14 * 60)
    found = fires(rules, Window(minutes_of(only_many, rules)), open_alerts={angry.fingerprint: angry})
    assert [f.labels for f in found if f.rule.name == "crisis"] == [{"region": "berlin"}]
    angry.updated_at = T - 16 * 60  # older than the composite's 15 minutes: expired
    found = fires(rules, Window(minutes_of(only_many, rules)), open_alerts={angry.fingerprint: angry})
    assert [f for f in found if f.rule.name == "crisis"] == []


def test_composite_of_composites_runs_after_its_components():
    rules = rules_from(COMPONENTS + """
  - name: outer
    type: composite
    all: [crisis]
    departments: [network]
""")
    rules = rules[-1:] + rules[:-1]  # listed first, still evaluated last
    found = fires(rules, Window(minutes_of(crisis_window(), rules)))
    assert [f.rule.name for f in found][-2:] == ["crisis", "outer"]
    assert found[-1].labels == {}


def test_composite_resolves_after_quiet_time():
    rules = rules_from(COMPONENTS)
    alert = Alert(3, "crisis|region=koeln_bonn", "crisis", Severity.WARNING, ["network"], {"region": "koeln_bonn"},
                  {}, updated_at=T - 1800)
    [resolve] = engine.evaluate(rules, Window({}), {alert.fingerprint: alert}, T)
    assert isinstance(resolve, engine.Resolve) and resolve.alert is alert


# --- flatline -------------------------------------------------------------------------------

FLATLINE = """
rules:
  - name: silent-channel
    type: flatline
    silent_for: 30m
    baseline: 24h
    min_rate: 6
    departments: [social]
"""


def channel_history(rates: dict[str, float], hours=range(HOUR - 24, HOUR)) -> dict[int, dict[str, float]]:
    out = {}
    for h in hours:
        out[h] = {field("n", {"channel": c}): r for c, r in rates.items()}
        out[h]["n"] = sum(rates.values())
    return out


def flatline_window(last_seen, wall=T + 3600 * 10, hours=None):
    # wall and last_seen on their own clock (wall time in production): only their difference counts.
    return Window({}, hours=hours if hours is not None else channel_history({"x_support": 20, "fb_telvia": 2}),
                  wall=wall, last_seen=last_seen)


def test_flatline_fires_for_a_busy_channel_silent_for_long_enough():
    rules = rules_from(FLATLINE)
    wall = T + 36_000
    [fire] = fires(rules, flatline_window({"x_support": wall - 40 * 60, "fb_telvia": wall - 3 * 3600}, wall))
    assert fire.labels == {"channel": "x_support"} and fire.fingerprint == "silent-channel|channel=x_support"
    assert (fire.current, fire.baseline) == (40, 20.0)  # fb_telvia, 2 posts an hour, may be quiet for hours
    assert fires(rules, flatline_window({"x_support": wall - 29 * 60}, wall)) == []  # not silent long enough


def test_flatline_usual_rate_leaves_out_hours_without_any_history():
    rules = rules_from(FLATLINE)
    wall = T + 36_000
    three_hours = channel_history({"x_support": 20}, hours=range(HOUR - 3, HOUR))  # sitroom started 3 h ago
    [fire] = fires(rules, flatline_window({"x_support": wall - 3600}, wall, hours=three_hours))
    assert fire.baseline == 20.0
    assert fires(rules, flatline_window({"x_support": wall - 3600}, wall, hours={})) == []  # no history: no usual


def test_flatline_stays_while_silent_and_resolves_when_the_channel_posts_again():
    rules = rules_from(FLATLINE)
    wall = T + 36_000
    alert = Alert(5, "silent-channel|channel=x_support", "silent-channel", Severity.WARNING, ["social"],
                  {"channel": "x_support"}, {}, updated_at=T)
    open_alerts = {alert.fingerprint: alert}
    silent_day = channel_history({"x_support": 0, "fb_telvia": 2})  # its usual rate has faded meanwhile
    [fire] = fires(rules, flatline_window({"x_support": wall - 26 * 3600}, wall, hours=silent_day), T, open_alerts)
    assert fire.current == 26 * 60
    [resolve] = engine.evaluate(rules, flatline_window({"x_support": wall - 60}, wall), open_alerts, T)
    assert isinstance(resolve, engine.Resolve) and resolve.alert is alert  # at once: no quiet time to wait for


def test_flatline_watches_only_the_matched_channel():
    [rule] = rules_from(FLATLINE.replace("min_rate: 6", "min_rate: 1\n    match: {channel: fb_telvia}"))
    wall = T + 36_000
    found = fires([rule], flatline_window({"x_support": wall - 7200, "fb_telvia": wall - 7200}, wall))
    assert [f.labels for f in found] == [{"channel": "fb_telvia"}]


def test_flatline_on_event_time_as_simulations_run_it():
    rules = rules_from(FLATLINE)
    window = Window({}, hours=channel_history({"x_support": 20}), wall=None, last_seen={"x_support": T - 45 * 60})
    [fire] = fires(rules, window, T)  # no wall clock: the evaluation's event time is the clock
    assert fire.current == 45


@pytest.mark.parametrize("extra, problem", [
    ("match: {topic: billing}", "its match may only name a channel"),
    ("group_by: [region]", "grouped by channel, and only by channel"),
    ("baseline: 90m", "whole number of hours"),
])
def test_flatline_settings_are_checked(extra, problem):
    with pytest.raises(yamlfile.YamlError) as err:
        rules_from(FLATLINE.replace("baseline: 24h", extra))
    assert problem in str(err.value)


# --- severity -------------------------------------------------------------------------------


def test_critical_above_raises_the_severity_of_a_fire():
    [rule] = rules_from("""
rules:
  - name: many
    type: threshold
    above: 4
    critical_above: 10
    window: 10m
    severity: warning
    departments: [network]
""")
    [warning] = fires([rule], Window(minutes_of(burst(8))))
    [critical] = fires([rule], Window(minutes_of(burst(10))))
    assert (warning.severity, critical.severity) == (Severity.WARNING, Severity.CRITICAL)
    assert engine.severity_of(rule, 9.99) == Severity.WARNING and engine.severity_of(rule, 10) == Severity.CRITICAL
