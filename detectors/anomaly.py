"""Online anomaly detection for one time series (counts, shares, any metric).

`Detector.update(t, value) -> score` takes one row at a time (t in epoch seconds) and returns an
anomaly score in 0..1 computed only from the rows before it and the current row. At or above
`THRESHOLD` (0.5) a row is an anomaly. The state is a small JSON-able dict (`state()` /
`Detector.from_state()`, 3–52 KB as JSON), so a worker can keep one detector per series in Redis.

How a score is made (docs/anomaly.md explains it at length):
1. Novelty of the current value: the distance from the value to the nearest value seen before,
   in units of the series' spread, widened in the tails (a value histogram whose resolution
   adapts to the spread).
2. Novelty of the change from the last row: the distance to the nearest change seen before.
3. Novelty of the recent shape: the last 16 and the last 48 rows, each reduced to four segment
   means, compared with a bounded memory of the shapes seen before (up to the previous window).
4. Seasonal residual (only when the sampling resolves a day and a weekday/hour-of-day profile
   explains the series much better than its recent median): how far the value is from what this
   time of day and this kind of day usually bring.
5. Every feature is calibrated against its own history (a decayed histogram): its surprise is
   log10 of how many rows, on average, pass for each row at least this extreme, plus a bonus for
   going far beyond the feature's top 0.05 %. The level is the largest surprise minus a
   per-feature offset.
6. Second stage: the level is calibrated the same way against the series' own past levels; a row
   counts only as far as its level is also rare there (a series that keeps looking surprising,
   e.g. during and after an event, needs more). The result is mapped to 0..1; a detection
   silences the next rows so one event gives one alert.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

THRESHOLD = 0.5  # the deployed threshold: a row scoring at least this is an anomaly
STATE_VERSION = 3  # of state(): a detector that learns differently cannot continue an older state

DAY = 86400.0

# One global parameter set (chosen on NAB as docs/anomaly.md describes; not tuned per series).
VALUE_RESOLUTION = 0.02  # value memory: values closer than this many spreads are the same value
VALUE_CAP = 256  # at most this many remembered values; beyond it the resolution doubles
VALUE_RELATIVE = 0.1  # far from the median, a distance counts relative to 10 % of the distance from it
SHAPES = ((16, 4), (48, 4))  # (rows, segments): the shapes remembered
SHAPE_RESOLUTION = 0.1  # shapes closer than this (RMS, in spreads) are the same shape
NOVELTY_FLOOR = 0.02  # distances (in spreads) up to this much beyond a memory's resolution count as nothing
SHAPE_CAP = 256  # remembered shapes per span; beyond it the resolution grows
OFFSETS = {"value": 1.0, "change": 3.0, "shape16": 1.75, "shape48": 0.75, "seasonal": 2.375}  # surprise (log10) an alarm needs, minus 1
RARITY = 0.5  # the combined level must also be among the series' rarest 10^-(1 + this) of rows (second stage)
LEVEL_SHIFT = 3.0  # the second stage calibrates level + this (levels are above -3: every offset is below 3)
SILENCE = 40  # rows after a detection whose score is damped
SILENCE_DAMPING = 0.25  # how much of the score a silenced row keeps
WARM_ROWS = 32  # rows before any score
HALF_LIFE = 20000  # rows: how fast the calibration forgets
RECORD_QUANTILE = 0.0005  # a feature beyond its top 0.05 % gets a bonus for how far beyond it goes
COUNT_NOISE = 3.0  # for counts, a value this many sqrt(count + 1) from a count seen before is not new
LOW_COUNT = 30  # counts below this get that allowance
SEASON_BUCKETS = 48  # buckets per day of the seasonal profile (at most; fewer for coarse sampling)
SEASON_RATE = 0.1  # per-visit learning rate of a seasonal bucket
SEASON_NOISE = 5.0  # seasonal residuals up to this many mean absolute residuals are noise
SEASON_GAIN = 0.6  # the seasonal profile is used when its error is below this share of the median's


class Calibration:
    """Decayed log-histogram of a non-negative feature; `surprise(f)` = log10(rows per row at least as extreme)."""

    FLOOR = 1e-3  # features are binned on log2(f + FLOOR): fine for small distances, wide for big ones
    WIDTH = 0.2  # bin width in log2 units (about 15 %)
    BINS = 160

    def __init__(self):
        self.counts: dict[int, float] = {}
        self.total = 0.0
        self.weight = 1.0  # weight of the next value (grows instead of decaying the counts)
        self.seen = 0

    def _position(self, f: float) -> float:
        return (math.log2(f + self.FLOOR) - math.log2(self.FLOOR)) / self.WIDTH

    def surprise(self, f: float) -> float:
        if self.seen < WARM_ROWS:
            return 0.0
        u = self._position(f)
        b = min(int(u), self.BINS - 1)
        above = sum(c for k, c in self.counts.items() if k > b)
        above += self.counts.get(b, 0.0) * (1.0 - min(max(u - b, 0.0), 1.0))
        rate = (above + 0.5 * self.weight) / (self.total + self.weight)
        s = -math.log10(min(rate, 1.0))
        # The rate alone cannot tell "a little beyond the usual extremes" from "far beyond them"
        # (both are about one row in all seen). A bonus for how far f goes past the top 0.05 % does;
        # the top quantile rather than the maximum, so one wild row early on does not mute it for ever.
        edge = self._upper(RECORD_QUANTILE)
        if f > edge > 0:
            s += min(1.0, math.log2(f / edge))
        return s

    def _upper(self, q: float) -> float:
        """The upper edge of the bin holding the top q of the (decayed) history."""
        need, seen = q * self.total, 0.0
        for k in sorted(self.counts, reverse=True):
            seen += self.counts[k]
            if seen >= need:
                return 2.0 ** ((k + 1) * self.WIDTH + math.log2(self.FLOOR)) - self.FLOOR
        return 0.0

    def add(self, f: float) -> None:
        self.weight /= 0.5 ** (1.0 / HALF_LIFE)
        self.seen += 1
        if self.weight > 1e100:
            self.counts = {k: c / self.weight for k, c in self.counts.items()}
            self.total /= self.weight
            self.weight = 1.0
        b = min(int(self._position(f)), self.BINS - 1)
        self.counts[b] = self.counts.get(b, 0.0) + self.weight
        self.total += self.weight

    def state(self) -> dict:
        return {
            "counts": {str(k): c for k, c in self.counts.items()},
            "total": self.total,
            "weight": self.weight,
            "seen": self.seen,
        }

    @classmethod
    def from_state(cls, s: dict) -> Calibration:
        c = cls()
        c.counts = {int(k): float(v) for k, v in s["counts"].items()}
        c.total, c.weight, c.seen = float(s["total"]), float(s["weight"]), int(s["seen"])
        return c


class ValueMemory:
    """The values seen so far, at a resolution tied to the series' spread, with counts."""

    def __init__(self):
        self.values: list[float] = []
        self.counts: list[float] = []
        self.step = 0.0  # resolution in value units (0 until the spread is known)

    def nearest(self, x: float) -> tuple[float, float]:
        """The remembered value closest to x and its distance (x, 0 when nothing is remembered)."""
        if not self.values:
            return x, 0.0
        d = np.abs(np.asarray(self.values) - x)
        k = int(d.argmin())
        return self.values[k], float(d[k])

    def add(self, x: float, spread: float) -> None:
        """Remember x (or count it on the remembered value within the resolution)."""
        want = VALUE_RESOLUTION * spread
        if want > 2 * self.step:
            self.step = want
            self._coarsen()
        if self.values:
            v = np.asarray(self.values)
            k = int(np.abs(v - x).argmin())
            if abs(self.values[k] - x) <= self.step:
                self.counts[k] += 1
                return
        self.values.append(x)
        self.counts.append(1.0)
        while len(self.values) > VALUE_CAP:
            self.step *= 2
            self._coarsen()

    def _coarsen(self) -> None:
        """Merge remembered values closer than the resolution (count-weighted)."""
        if len(self.values) < 2:
            return
        order = np.argsort(self.values)
        vals, cnts = [], []
        for i in order:
            x, c = self.values[i], self.counts[i]
            if vals and x - vals[-1] <= self.step:
                total = cnts[-1] + c
                vals[-1] = (vals[-1] * cnts[-1] + x * c) / total
                cnts[-1] = total
            else:
                vals.append(x)
                cnts.append(c)
        self.values, self.counts = vals, cnts

    def median(self) -> float:
        """The count-weighted median of the remembered values (0 when none)."""
        if not self.values:
            return 0.0
        v = np.asarray(self.values)
        c = np.asarray(self.counts)
        order = np.argsort(v)
        cum = np.cumsum(c[order]) / c.sum()
        return float(v[order][min(int(np.searchsorted(cum, 0.5)), len(v) - 1)])

    def spread(self) -> float:
        """A robust spread of the remembered values: the 10–90 % range, or the mean absolute deviation."""
        if not self.values:
            return 0.0
        v = np.asarray(self.values)
        c = np.asarray(self.counts)
        order = np.argsort(v)
        v, c = v[order], c[order]
        cum = np.cumsum(c) / c.sum()
        lo = v[min(int(np.searchsorted(cum, 0.1)), len(v) - 1)]
        hi = v[min(int(np.searchsorted(cum, 0.9)), len(v) - 1)]
        med = v[min(int(np.searchsorted(cum, 0.5)), len(v) - 1)]
        mad = float((np.abs(v - med) * c).sum() / c.sum())
        return max(hi - lo, mad)

    def state(self) -> dict:
        return {"values": self.values, "counts": self.counts, "step": self.step}

    @classmethod
    def from_state(cls, s: dict) -> ValueMemory:
        m = cls()
        m.values, m.counts, m.step = list(map(float, s["values"])), list(map(float, s["counts"])), float(s["step"])
        return m


class ShapeMemory:
    """Recent shapes (segment means of the last `rows` values) seen so far, merged when close.

    Two shapes closer than `resolution` spreads (RMS over the segments) are one; when more than
    SHAPE_CAP are remembered, the resolution grows by half and close shapes merge (count-weighted).
    """

    def __init__(self, rows: int, segments: int):
        self.rows, self.segments = rows, segments
        self.protos = np.zeros((0, segments))
        self.counts = np.zeros(0)
        self.resolution = SHAPE_RESOLUTION

    def embed(self, recent: list[float]) -> np.ndarray:
        """The last `rows` values as `segments` segment means."""
        return np.asarray(recent[-self.rows :], dtype=float).reshape(self.segments, -1).mean(axis=1)

    def nearest(self, e: np.ndarray) -> tuple[int, float]:
        """Index of and RMS distance to the closest remembered shape (-1, 0 when none)."""
        if not len(self.protos):
            return -1, 0.0
        d = ((self.protos - e) ** 2).mean(axis=1)
        k = int(d.argmin())
        return k, math.sqrt(d[k])

    def add(self, e: np.ndarray, spread: float, nearest: tuple[int, float]) -> None:
        """Remember shape e (or count it on the nearest remembered shape within the resolution)."""
        k, d = nearest
        if k >= 0 and d <= self.resolution * spread:
            self.counts[k] += 1
            return
        self.protos = np.vstack([self.protos, e])
        self.counts = np.append(self.counts, 1.0)
        while len(self.protos) > SHAPE_CAP:
            self.resolution *= 1.5
            self._merge(self.resolution * spread)

    def _merge(self, radius: float) -> None:
        """Greedy re-clustering: the most seen shapes first, each absorbing the others within radius."""
        order = np.argsort(-self.counts, kind="stable")
        protos, counts = self.protos[order], self.counts[order]
        keep = np.ones(len(protos), dtype=bool)
        for i in range(len(protos)):
            if not keep[i]:
                continue
            near = keep & (np.sqrt(((protos - protos[i]) ** 2).mean(axis=1)) <= radius)
            near[i] = False
            if near.any():
                w = np.r_[counts[i], counts[near]]
                protos[i] = (np.vstack([protos[i], protos[near]]) * w[:, None]).sum(axis=0) / w.sum()
                counts[i] = w.sum()
                keep[near] = False
        self.protos, self.counts = protos[keep], counts[keep]

    def state(self) -> dict:
        return {"protos": self.protos.tolist(), "counts": self.counts.tolist(), "resolution": self.resolution}

    def load(self, s: dict) -> None:
        self.protos = np.asarray(s["protos"], dtype=float).reshape(-1, self.segments)
        self.counts = np.asarray(s["counts"], dtype=float)
        self.resolution = float(s["resolution"])


class Season:
    """Hour-of-day profile (per kind of day: weekday, Saturday, Sunday) learnt with per-bucket rates."""

    def __init__(self, buckets: int, utc_offset: float = 0.0):
        self.buckets = buckets
        self.utc_offset = utc_offset  # seconds added to UTC for the day's hours and the weekday
        self.level = [[0.0] * buckets for _ in range(3)]
        self.visits = [[0] * buckets for _ in range(3)]
        self.err_season = 0.0  # mean absolute error of the profile, and of the recent median
        self.err_median = 0.0
        self.scale = 0.0  # mean absolute seasonal residual
        self.since: float | None = None  # the first time seen (the profile needs two days)
        self.checked = 0  # rows compared with a learnt profile

    def _slot(self, t: float) -> tuple[int, int]:
        t += self.utc_offset
        day = int(t // DAY + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
        kind = 0 if day < 5 else day - 4
        return kind, int((t % DAY) / DAY * self.buckets)

    def residual(self, t: float) -> tuple[float, bool]:
        """(profile level at t, whether it is learnt); tries the weekday profile when the day's own is young."""
        if self.since is None or t - self.since < 2 * DAY:
            return 0.0, False
        kind, b = self._slot(t)
        if self.visits[kind][b] >= 2:
            return self.level[kind][b], True
        if self.visits[0][b] >= 2:
            return self.level[0][b], True
        return 0.0, False

    def learn(self, t: float, x: float, median: float) -> None:
        """Move the bucket of t towards x (clipped); track the profile's and the median's errors."""
        if self.since is None:
            self.since = t
        expected, ready = self.residual(t)
        if ready:
            r = x - expected
            self.checked += 1
            rate = max(1.0 / self.checked, 0.01)  # a plain mean at first, then recent rows count more
            self.err_season += rate * (abs(r) - self.err_season)
            self.err_median += rate * (abs(x - median) - self.err_median)
            self.scale += rate * (abs(r) - self.scale)
        kind, b = self._slot(t)
        n = self.visits[kind][b]
        if n == 0:
            self.level[kind][b] = x
        else:
            rate = max(1.0 / (n + 1), SEASON_RATE)
            d = x - self.level[kind][b]
            if self.scale > 0:
                d = max(-5 * self.scale, min(5 * self.scale, d))
            self.level[kind][b] += rate * d
        self.visits[kind][b] = n + 1

    def useful(self) -> bool:
        """Whether the profile predicts the series clearly better than its recent median."""
        return self.scale > 0 and self.err_season < SEASON_GAIN * self.err_median

    def state(self) -> dict:
        return {
            "buckets": self.buckets,
            "utc_offset": self.utc_offset,
            "level": self.level,
            "visits": self.visits,
            "err": [self.err_season, self.err_median, self.scale],
            "since": self.since,
            "checked": self.checked,
        }

    @classmethod
    def from_state(cls, s: dict) -> Season:
        z = cls(int(s["buckets"]), float(s["utc_offset"]))
        z.level = [list(map(float, row)) for row in s["level"]]
        z.visits = [list(map(int, row)) for row in s["visits"]]
        z.err_season, z.err_median, z.scale = map(float, s["err"])
        z.since = s["since"]
        z.checked = int(s["checked"])
        return z


SHAPE_NAMES = tuple(f"shape{rows}" for rows, _ in SHAPES)
FEATURES = ("value", "change") + SHAPE_NAMES + ("seasonal",)


class Detector:
    """Anomaly scores for one series, one row at a time; see the module docstring."""

    def __init__(self, utc_offset: float = 0.0):
        self.utc_offset = utc_offset  # local time = UTC + this (s): which hours and days are alike
        self.rows = 0
        self.recent: deque[float] = deque(maxlen=2 * max(r for r, _ in SHAPES))
        self.steps: deque[float] = deque(maxlen=16)  # recent sampling intervals (s)
        self.last_t: float | None = None
        self.spread = 0.0
        self.median = 0.0
        self.values = ValueMemory()
        self.changes = ValueMemory()  # the row-to-row changes seen so far
        self.change_spread = 0.0
        self.shapes = [ShapeMemory(r, s) for r, s in SHAPES]
        self.season: Season | None = None
        self.season_checked = False
        self.calibration = {name: Calibration() for name in FEATURES}
        self.overall = Calibration()  # second stage: the history of the combined level
        self.silenced = 0  # rows still silenced after a detection
        self.counting = True  # every value so far was a non-negative integer (a count)
        self.last: dict[str, float] = {}  # the last row's surprise per feature (for explanations)
        self.features: dict[str, float] = {}  # the last row's raw features

    # --- scoring -------------------------------------------------------------------------
    def set_utc_offset(self, seconds: float) -> None:
        """Local time = UTC + `seconds` from now on (a time zone's offset changes with daylight saving)."""
        self.utc_offset = seconds
        if self.season is not None:
            self.season.utc_offset = seconds

    def update(self, t: float, value: float) -> float:
        """Score the row (t, value) with what came before, then learn it. NaN or ±inf: 0, nothing learnt."""
        t, x = float(t), float(value)
        if not math.isfinite(x):
            return 0.0
        if self.last_t is not None and t > self.last_t:
            self.steps.append(t - self.last_t)
        self.last_t = t
        if self.rows % (16 if self.rows < 1024 else 64) == 0 or self.spread <= 0:
            self.spread = self.values.spread()
            self.median = self.values.median()
        if self.counting and (x < 0 or x != int(x)):
            self.counting = False
        spread = self.spread if self.spread > 0 else max(abs(x), 1.0) * 1e-6
        if self.counting:
            spread = max(spread, 1.0)
        features = self._features(t, x, spread)
        self.features = features
        self._learn(t, x, spread)
        self.rows += 1
        if self.rows <= WARM_ROWS:  # the spread and the memories are still settling
            self.last = {}
            return 0.0
        surprise = {k: self.calibration[k].surprise(f) for k, f in features.items()}
        for k, f in features.items():
            self.calibration[k].add(f)
        self.last = surprise
        level = max((surprise[k] - OFFSETS[k] for k in surprise), default=0.0)
        # Second stage: the level against this series' own levels. A series whose features often
        # look surprising (drifting, spiky, irregular) has many high levels; there a row must also
        # be rare among them (its rarity, the calibrated surprise of the level, above RARITY + 1).
        shifted = max(level + LEVEL_SHIFT, 0.0)
        rarity = self.overall.surprise(shifted)
        self.overall.add(shifted)
        self.last["rarity"] = rarity
        level = min(level, rarity - RARITY)
        score = level / (1.0 + level) if level > 0 else 0.0  # surprise 1 above its offset -> 0.5
        if self.silenced > 0:
            self.silenced -= 1
            return score * SILENCE_DAMPING
        if score >= THRESHOLD:
            self.silenced = SILENCE
        return score

    def _features(self, t: float, x: float, spread: float) -> dict[str, float]:
        # distances within a memory's resolution are noise of the memory, not novelty
        near, d = self.values.nearest(x)
        d -= self.values.step
        if self.counting and near < LOW_COUNT:  # low counts: a few more than a count seen before is noise
            d -= COUNT_NOISE * math.sqrt(max(near, 0.0) + 1.0)
        # In a tail (spikes, bursts) values are sparse: a spike 3 % off an earlier one is the same
        # spike, however small the spread of the bulk. So the unit grows with the distance from the median.
        f = {"value": max(0.0, d / (spread + VALUE_RELATIVE * abs(near - self.median)) - NOVELTY_FLOOR)}
        if self.recent:  # a change from the last row unlike any change before (a jump, a sudden drop)
            if self.rows % 16 == 0 or self.change_spread <= 0:
                self.change_spread = self.changes.spread()
            if self.changes.values:
                unit = self.change_spread if self.change_spread > 0 else spread
                d = self.changes.nearest(x - self.recent[-1])[1] - self.changes.step
                f["change"] = max(0.0, d / unit - NOVELTY_FLOOR)
        recent = list(self.recent) + [x]
        for name, memory in zip(SHAPE_NAMES, self.shapes):
            if len(recent) >= memory.rows and len(memory.protos):
                e = memory.embed(recent)
                d = memory.nearest(e)[1]
                level = float(e.mean())
                if self.counting and level < LOW_COUNT:
                    # Poisson noise: one segment's mean count off by COUNT_NOISE standard deviations
                    noise = math.sqrt((max(level, 0.0) + 1.0) / (memory.rows / memory.segments))
                    d -= COUNT_NOISE * noise / math.sqrt(memory.segments)
                f[name] = max(0.0, d / spread - memory.resolution - NOVELTY_FLOOR)
        season = self._season()
        if season is not None and season.useful():
            expected, ready = season.residual(t)
            if ready:
                f["seasonal"] = max(0.0, abs(x - expected) / max(season.scale, 1e-12) - SEASON_NOISE)
        return f

    def _learn(self, t: float, x: float, spread: float) -> None:
        recent = list(self.recent) + [x]
        for memory in self.shapes:
            # a shape is remembered once it no longer overlaps the current one: compared with the
            # shape one row earlier, every shape would look familiar
            if len(recent) >= 2 * memory.rows:
                e = memory.embed(recent[: -memory.rows])
                memory.add(e, spread, memory.nearest(e))
        self.values.add(x, spread)
        if self.recent:
            self.changes.add(x - self.recent[-1], self.change_spread if self.change_spread > 0 else spread)
        season = self._season()
        if season is not None:
            window = sorted(self.recent) if self.recent else [x]
            season.learn(t, x, window[len(window) // 2])
        self.recent.append(x)

    def _season(self) -> Season | None:
        """The seasonal profile, created once the sampling interval is known to resolve a day."""
        if self.season is None and not self.season_checked and len(self.steps) == self.steps.maxlen:
            self.season_checked = True
            step = sorted(self.steps)[len(self.steps) // 2]
            if 0 < step and DAY / step >= 12:
                self.season = Season(int(min(SEASON_BUCKETS, DAY // step)), self.utc_offset)
        return self.season

    # --- state ---------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything the detector knows, as plain JSON types."""
        return {
            "version": STATE_VERSION,
            "utc_offset": self.utc_offset,
            "rows": self.rows,
            "recent": list(self.recent),
            "steps": list(self.steps),
            "last_t": self.last_t,
            "spread": self.spread,
            "median": self.median,
            "values": self.values.state(),
            "changes": self.changes.state(),
            "change_spread": self.change_spread,
            "shapes": [m.state() for m in self.shapes],
            "season": self.season.state() if self.season else None,
            "season_checked": self.season_checked,
            "calibration": {k: c.state() for k, c in self.calibration.items()},
            "overall": self.overall.state(),
            "silenced": self.silenced,
            "counting": self.counting,
        }

    @classmethod
    def from_state(cls, s: dict) -> Detector:
        if s.get("version") != STATE_VERSION:
            raise ValueError(f"anomaly detector state: version {s.get('version')!r} is not {STATE_VERSION}")
        d = cls(float(s["utc_offset"]))
        d.rows = int(s["rows"])
        d.recent.extend(float(v) for v in s["recent"])
        d.steps.extend(float(v) for v in s["steps"])
        d.last_t = s["last_t"]
        d.spread = float(s["spread"])
        d.median = float(s["median"])
        d.values = ValueMemory.from_state(s["values"])
        d.changes = ValueMemory.from_state(s["changes"])
        d.change_spread = float(s["change_spread"])
        for memory, ms in zip(d.shapes, s["shapes"]):
            memory.load(ms)
        d.season = Season.from_state(s["season"]) if s["season"] else None
        d.season_checked = bool(s["season_checked"])
        d.calibration = {k: Calibration.from_state(c) for k, c in s["calibration"].items()}
        d.overall = Calibration.from_state(s["overall"])
        d.silenced = int(s["silenced"])
        d.counting = bool(s["counting"])
        return d


def score_series(times, values) -> list[float]:
    """Scores of a whole series, row by row (the same online updates a worker makes)."""
    d = Detector()
    return [d.update(float(t), float(v)) for t, v in zip(times, values)]
