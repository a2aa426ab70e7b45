"""Properties that must hold for any sequence of events (hypothesis), on real Redis."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import alerting, clock
from bot.models import AlertStatus
from rules import engine, noise
from tests.test_noise import alert, fire, outage_rule, use

T0 = 1_750_000_000.0
REGIONS = ("koeln_bonn", "berlin", "hamburg")
SETTINGS = settings(max_examples=50, deadline=None, database=None,  # no example files in the repository
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# One step: a rule fires for a region, the rule engine resolves one, or the clock ticks.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("fire"), st.sampled_from(REGIONS), st.integers(8, 40)),
        st.tuples(st.just("resolve"), st.sampled_from(REGIONS), st.just(0)),
        st.tuples(st.just("tick"), st.just(""), st.integers(1, 600)),
    ),
    max_size=12,
)


@SETTINGS
@given(steps=steps, group_wait=st.sampled_from([0, 60, 300]))
def test_grouping_never_loses_an_alert(ctx, steps, group_wait):
    ctx.redis.flushdb()
    rule = outage_rule(ctx, group_wait=group_wait)
    use(ctx, rule)
    now, last = T0, {}
    for kind, region, value in steps:
        now += 30
        fp = engine.fingerprint(rule.name, {"region": region})
        if kind == "fire":
            alerting.apply(ctx, [fire(rule, value, now, region)], now=now)
            last[fp] = "fire"
        elif kind == "resolve" and (open_alert := ctx.store.open_alerts_by_fingerprint().get(fp)) is not None:
            alerting.apply(ctx, [engine.Resolve(open_alert, now)], now=now)
            last[fp] = "resolve"
        elif kind == "tick":
            now += value
            clock.work(ctx, now)
    open_alerts = ctx.store.alerts(open_only=True)
    fingerprints = [a.fingerprint for a in open_alerts]
    assert len(fingerprints) == len(set(fingerprints))  # never two open alerts for one group
    assert set(fingerprints) == {fp for fp, what in last.items() if what == "fire"}
    assert {fp: a.id for fp, a in ctx.store.open_alerts_by_fingerprint().items()} == {a.fingerprint: a.id for a in open_alerts}
    clock.work(ctx, now + group_wait)
    # Once group_wait has passed, every open alert has gone out to chat platforms.
    assert all(not a.held and a.notified_at is not None for a in ctx.store.alerts(open_only=True))


silence = st.tuples(st.integers(-3600, 3600), st.integers(1, 4 * 3600), st.booleans())  # (starts, length, from chat)


@SETTINGS
@given(silences=st.lists(silence, min_size=1, max_size=3), fired=st.integers(0, 3600),
       ticks=st.lists(st.integers(0, 5 * 3600), max_size=6))
def test_silences_never_outlive_their_end(ctx, silences, fired, ticks):
    from datetime import datetime, timezone

    from rules.model import Silence

    ctx.redis.flushdb()
    rule = outage_rule(ctx)
    written, ends = [], []
    for starts, length, from_chat in silences:
        end = T0 + starts + length
        ends.append((T0 + starts, end))
        if from_chat:  # chat silences start when they are said
            ctx.store.add_silence({"matchers": {"topic": "network_outage"}, "until": end, "by": "jonas.becker", "reason": "p"})
            ends[-1] = (float("-inf"), end)
        else:
            stamp = lambda t: datetime.fromtimestamp(t, timezone.utc)  # noqa: E731
            written.append(Silence(matchers={"region": "koeln_bonn"}, starts=stamp(T0 + starts), ends=stamp(end),
                                   by="ops", reason="p"))
    use(ctx, rule, silences=written)
    start = T0 + fired
    [new] = alerting.apply(ctx, [fire(rule, 12, start)], now=start)
    last_end = max(end for _, end in ends)
    for t in sorted({start + x for x in ticks} | {last_end}):
        if t < start:
            continue
        clock.work(ctx, t)
        stored = ctx.store.get_alert(new.id)
        in_force = [end for begin, end in ends if begin <= t < end]
        if stored.held:  # held by a silence: one that is in force at t and ends when the hold says
            assert stored.held_for == noise.SILENCE and stored.held_until in in_force and stored.held_until > t
    final = ctx.store.get_alert(new.id)
    assert final.status == AlertStatus.FIRING and not final.held
    # It went out the moment no silence held it any more: at once, or at the tick that released it.
    out = next((h["at"] for h in final.history if h["action"] == "released"), start)
    assert not any(begin <= out < end for begin, end in ends)
    assert out == start or any(out == t for t in {start + x for x in ticks} | {last_end})


def test_a_silence_alone_decides_nothing_after_its_end():
    window = noise.silence_windows([{"matchers": {"topic": "x"}, "until": T0, "by": "a"}], [])
    assert noise.silenced(alert(topic="x"), window, T0) is None
    assert noise.silenced(alert(topic="x"), window, T0 - 0.001) is not None
