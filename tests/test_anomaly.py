"""The online anomaly detector (detectors/anomaly.py) on synthetic series with known events."""

import json
import math

import numpy as np
import pytest

from detectors.anomaly import LEVEL_SHIFT, OFFSETS, RARITY, SILENCE, THRESHOLD, Detector, score_series

START = 1_699_920_000  # a midnight (UTC), so row offsets map to hours of the day
FIVE_MINUTES = 288  # rows per day


def seasonal(days=10, seed=0):
    """5-minute samples: a daily cycle (amplitude 20) plus unit Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = START + np.arange(days * FIVE_MINUTES) * 300
    hour = (t % 86400) / 3600
    return t, 50 + 20 * np.sin(2 * np.pi * hour / 24) + rng.normal(0, 1, len(t))


def counts(days, base, seed):
    """Per-minute Poisson counts with a daily cycle, quieter weekends, and a few hours missing each day."""
    rng = np.random.default_rng(seed)
    t = START + np.arange(days * 1440) * 60
    hour = (t % 86400) / 3600
    weekday = (t // 86400 + 3) % 7
    rate = base * (0.2 + np.clip(np.sin((hour - 6) / 24 * 2 * np.pi), 0, None) * 1.6) * np.where(weekday >= 5, 0.5, 1.0)
    x = rng.poisson(rate).astype(float)
    keep = np.ones(len(t), dtype=bool)
    for gap in rng.integers(0, len(t) - 240, size=days):
        keep[gap : gap + int(rng.integers(30, 240))] = False
    return t, x, keep


def alarms(t, x):
    return np.flatnonzero(np.asarray(score_series(t, x)) >= THRESHOLD)


def test_scores_use_only_the_rows_before():
    t, x = seasonal()
    x[2500:] += 12
    full = score_series(t, x)
    assert score_series(t[:2000], x[:2000]) == full[:2000]
    changed = x.copy()
    changed[2200] += 40  # a different future leaves the past alone
    assert score_series(t, changed)[:2200] == full[:2200]
    assert all(0.0 <= s <= 1.0 for s in full)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quiet_on_a_noisy_daily_cycle(seed):
    t, x = seasonal(seed=seed)
    late = alarms(t, x)
    assert list(late[late >= 2 * FIVE_MINUTES]) == []  # after two days of learning: nothing


@pytest.mark.parametrize("jump", [15, -15])
def test_finds_a_spike_and_a_dip(jump):
    t, x = seasonal(seed=3)
    row = 7 * FIVE_MINUTES + 100  # 08:20 on day 7, inside the usual range of values
    x[row] += jump
    found = alarms(t, x)
    assert list(found[found >= 2 * FIVE_MINUTES]) == [row]


@pytest.mark.parametrize("row", [8 * FIVE_MINUTES + 102, 8 * FIVE_MINUTES + 144])
def test_finds_a_level_shift_when_it_starts(row):
    t, x = seasonal(seed=4)
    x[row:] += 12  # every value after it stays within the range seen, only the time of day is wrong
    found = alarms(t, x)
    late = found[found >= 2 * FIVE_MINUTES]
    before, after = late[late < row], late[late >= row]
    assert len(before) <= 1  # at most one record of the noise (seed 4 has a record row-to-row change)
    assert after[0] == row
    assert all(r - row > SILENCE for r in after[1:])  # no repeats right after: one event, one alert


def test_a_jump_inside_the_usual_range_is_a_novel_change():
    t, x = seasonal(seed=3)
    row = 6 * FIVE_MINUTES + 216  # 18:00, the bottom of the cycle (about 30)
    x[row] += 25  # about 55: a common value, reached in one row instead of six hours
    d = Detector()
    for a, b in zip(t[:row], x[:row]):
        d.update(a, b)
    assert d.update(t[row], x[row]) >= THRESHOLD
    assert d.last["value"] < 0.5  # the value itself is nothing new (one row in three is as new)
    assert d.last["change"] >= OFFSETS["change"] + 1  # the change alone would raise the alarm


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("base", [0.2, 2.0])
def test_quiet_on_low_counts_with_gaps_but_finds_a_burst(seed, base):
    t, x, keep = counts(7, base, seed)
    quiet = alarms(t[keep], x[keep])
    assert not any(t[keep][quiet] >= START + 2 * 86400)
    burst = 5 * 1440 + 720
    keep[burst : burst + 10] = True
    x[burst : burst + 10] += 6
    rows = np.flatnonzero(keep)
    found = [rows[i] - burst for i in alarms(t[keep], x[keep]) if 0 <= rows[i] - burst < 30]
    assert found and found[0] <= 12


def test_an_alarm_must_also_be_rare_among_the_series_own_levels():
    t, x = seasonal(seed=3)
    row = 7 * FIVE_MINUTES + 100
    x[row] += 15
    d = Detector()
    for a, b in zip(t[:row], x[:row]):
        d.update(a, b)
    often = Detector.from_state(d.state())
    assert d.update(t[row], x[row]) >= THRESHOLD
    assert d.last["rarity"] >= RARITY + 1
    # the same row in a series that has often been this surprising (here: one row in ten) is no alarm
    for _ in range(row // 10):
        often.overall.add(LEVEL_SHIFT + 6.0)
    assert often.update(t[row], x[row]) < THRESHOLD
    assert often.last["rarity"] < RARITY + 1


def test_a_flat_series_that_starts_moving_is_an_anomaly():
    t = START + np.arange(2000) * 300
    x = np.full(2000, 7.5)
    x[1500:] = 7.5 + np.cos(np.arange(500))
    found = alarms(t, x)
    assert list(found) == [1500]


def test_state_round_trips_through_json():
    t, x = seasonal(seed=5)
    x[2600:2610] += 20
    first = Detector()
    for a, b in zip(t[:2400], x[:2400]):
        first.update(a, b)
    text = json.dumps(first.state())
    assert len(text) < 40_000
    second = Detector.from_state(json.loads(text))
    assert second.state() == first.state()
    ahead = [first.update(a, b) for a, b in zip(t[2400:], x[2400:])]
    restored = [second.update(a, b) for a, b in zip(t[2400:], x[2400:])]
    assert ahead == restored
    assert max(ahead) >= THRESHOLD


def test_missing_values_score_zero_and_teach_nothing():
    t, x = seasonal(days=3)
    d = Detector()
    for a, b in zip(t[:500], x[:500]):
        d.update(a, b)
    before = json.dumps(d.state())
    assert d.update(t[500], math.nan) == 0.0
    assert json.dumps(d.state()) == before


def test_unknown_state_versions_are_refused():
    with pytest.raises(ValueError, match="version"):
        Detector.from_state({"version": 99})
