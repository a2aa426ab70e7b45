"""The Numenta Anomaly Benchmark's scoring rules, written from their description (SCORING.md).

A file is scored on row indices: rows before the probationary period count for nothing; inside
an anomaly window the earliest detection earns up to A_TP (a scaled sigmoid of its position),
a window without any detection costs A_FN, and every detection outside the windows costs up to
A_FP (less right after a window). Corpus totals are normalised so that the null detector (never
fires) scores 0 and the perfect one (fires on each window's first row) scores 100. The optimised
threshold is the one, shared by all files, that maximises the corpus raw score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROBATION_FRACTION = 0.15
PROBATION_CAP_ROWS = 0.15 * 5000  # = 750 rows


@dataclass(frozen=True)
class Profile:
    """Cost weights of one application profile."""

    tp: float
    fp: float
    fn: float


PROFILES = {
    "standard": Profile(tp=1.0, fp=0.11, fn=1.0),
    "reward_low_FP_rate": Profile(tp=1.0, fp=0.22, fn=1.0),
    "reward_low_FN_rate": Profile(tp=1.0, fp=0.11, fn=2.0),
}


def load_profiles(path: str | Path) -> dict[str, Profile]:
    """Profiles from NAB's config/profiles.json (`{name: {"CostMatrix": {tpWeight, fpWeight, fnWeight}}}`)."""
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}:{e.lineno}: not valid JSON: {e.msg}") from None
    profiles = {}
    for name, body in raw.items():
        try:
            cost = body["CostMatrix"]
            profiles[name] = Profile(tp=float(cost["tpWeight"]), fp=float(cost["fpWeight"]), fn=float(cost["fnWeight"]))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}: profile {name!r}: field CostMatrix.{{tpWeight,fpWeight,fnWeight}} missing or not a number ({e})") from None
    return profiles


def sigma(y: float) -> float:
    """NAB's scaled sigmoid: 2/(1+e^(5y)) - 1 up to y = 3, -1 beyond."""
    if y > 3:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation(n: int) -> int:
    """Rows at the start of an n-row file that are not scored."""
    return int(min(math.floor(PROBATION_FRACTION * n), PROBATION_CAP_ROWS))


def window_rows(timestamps: list[str], windows: list[list[str]]) -> list[tuple[int, int]]:
    """Anomaly windows given as (start, end) timestamps, as inclusive row-index ranges.

    Timestamps are compared as datetimes; a window starts at the first row at or after its start
    and ends at the last row at or before its end (both are existing timestamps in NAB's labels).
    """
    from datetime import datetime

    parsed = [datetime.fromisoformat(t) for t in timestamps]
    out = []
    for start, end in windows:
        lo, hi = datetime.fromisoformat(start), datetime.fromisoformat(end)
        inside = [i for i, t in enumerate(parsed) if lo <= t <= hi]
        if inside:
            out.append((inside[0], inside[-1]))
    return out


def _sigmas(y: np.ndarray) -> np.ndarray:
    """`sigma` on an array."""
    with np.errstate(over="ignore"):
        out = 2.0 / (1.0 + np.exp(5.0 * y)) - 1.0
    return np.where(y > 3, -1.0, out)


def row_weights(n: int, windows: list[tuple[int, int]], profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """What a detection on each row is worth (S_i), and each row's window number (-1 outside)."""
    weight = np.full(n, -profile.fp)
    which = np.full(n, -1, dtype=np.int64)
    top = sigma(-1.0)
    ordered = sorted(windows)
    for k, (left, right) in enumerate(ordered):
        width = right - left + 1
        rows = np.arange(left, right + 1)
        weight[left : right + 1] = profile.tp * _sigmas(-(right - rows + 1) / width) / top
        which[left : right + 1] = k
        following = ordered[k + 1][0] if k + 1 < len(ordered) else n
        after = np.arange(right + 1, following)
        y = (after - right) / (width - 1) if width > 1 else np.full(len(after), np.inf)
        weight[right + 1 : following] = profile.fp * _sigmas(y)
    return weight, which


@dataclass
class FileScore:
    """One file's raw score at one threshold, with NAB's row counts."""

    raw: float
    tp: int  # detected rows inside windows
    fp: int  # detected rows outside windows
    fn: int  # undetected rows inside windows
    windows: int
    hit_windows: int


def score_file(scores, windows: list[tuple[int, int]], profile: Profile, threshold: float) -> FileScore:
    """A file's raw NAB score: best detection per window (or -A_FN), plus every detection outside."""
    scores = np.asarray(scores, dtype=float)
    n = len(scores)
    weight, which = row_weights(n, windows, profile)
    scored = np.arange(n) >= probation(n)
    detected = scored & (scores >= threshold)
    raw = float(weight[detected & (which < 0)].sum())
    hits = 0
    for k in range(len(windows)):
        rows = detected & (which == k)
        if rows.any():
            raw += float(weight[rows].max())
            hits += 1
        else:
            raw -= profile.fn
    inside = scored & (which >= 0)
    return FileScore(
        raw=raw,
        tp=int((detected & inside).sum()),
        fp=int((detected & ~inside).sum()),
        fn=int((inside & ~detected).sum()),
        windows=len(windows),
        hit_windows=hits,
    )


def normalise(raw: float, n_windows: int, profile: Profile) -> float:
    """A corpus raw score on NAB's scale: null detector 0, perfect detector 100."""
    null = -profile.fn * n_windows
    perfect = profile.tp * n_windows
    if perfect == null:
        return 0.0
    return 100.0 * (raw - null) / (perfect - null)


def sweep(files: list[tuple[np.ndarray, list[tuple[int, int]]]], profile: Profile) -> tuple[float, float]:
    """The threshold shared by all files that maximises the corpus raw score: (threshold, raw).

    Candidates are every distinct score (detections are rows with score >= threshold) and "fire
    never" (threshold +inf); on ties the higher threshold wins.
    """
    values, deltas, groups = [], [], []
    n_windows = 0
    for scores, windows in files:
        scores = np.asarray(scores, dtype=float)
        n = len(scores)
        weight, which = row_weights(n, windows, profile)
        keep = np.arange(n) >= probation(n)
        values.append(scores[keep])
        deltas.append(weight[keep])
        groups.append(np.where(which[keep] >= 0, which[keep] + n_windows, -1))
        n_windows += len(windows)
    null = -profile.fn * n_windows
    if not values or sum(len(v) for v in values) == 0:
        return math.inf, null
    value = np.concatenate(values)
    weight = np.concatenate(deltas)
    group = np.concatenate(groups)
    order = np.argsort(-value, kind="stable")
    value, weight, group = value[order], weight[order], group[order]
    # Inside a window only the best detection so far counts: a row adds the rise of the
    # window's running maximum (starting from the miss penalty -A_FN), often nothing.
    gain = weight.copy()
    inside = np.flatnonzero(group >= 0)
    if len(inside):
        by_window = inside[np.argsort(group[inside], kind="stable")]
        g = group[by_window]
        w = weight[by_window]
        starts = np.r_[True, g[1:] != g[:-1]]
        best = np.empty_like(w)
        for s, e in zip(np.flatnonzero(starts), np.r_[np.flatnonzero(starts)[1:], len(w)]):
            best[s:e] = np.maximum.accumulate(np.maximum(w[s:e], -profile.fn))
        before = np.where(starts, -profile.fn, np.r_[-profile.fn, best[:-1]])
        gain[by_window] = best - before
    total = null + np.cumsum(gain)
    last_of_tie = np.r_[value[1:] != value[:-1], True]
    candidates = np.r_[null, total[last_of_tie]]
    thresholds = np.r_[math.inf, value[last_of_tie]]
    k = int(np.argmax(candidates))  # first maximum = highest threshold among ties
    return float(thresholds[k]), float(candidates[k])
