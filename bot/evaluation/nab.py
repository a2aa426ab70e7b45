"""`sitroom eval nab PATH`: the anomaly detector on the Numenta Anomaly Benchmark.

PATH has NAB's layout: data/<category>/*.csv (timestamp,value), labels/combined_windows.json and,
optionally, config/profiles.json (else NAB's three default profiles). Every file is streamed row
by row through detectors.anomaly.Detector (the code the workers run) and scored with the NAB
rules (bot/evaluation/nabscore.py) at the detector's deployed threshold and at the
NAB-optimised one. The last line printed is JSON:
{"deployed": {profile: score}, "optimised": {profile: score}, "files": N}.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("path", help="NAB folder: data/<category>/*.csv and labels/combined_windows.json")
    parser.add_argument("--categories", help="comma-separated categories under data/ (default: all)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes (default 2)")
    parser.add_argument("--files", action="store_true", help="also print each file's standard-profile result")


def read_series(path: Path) -> tuple[list[str], list[float], list[float]]:
    """(timestamps as written, epoch seconds, values) of a NAB CSV file; bad lines raise InputError."""
    from datetime import datetime, timezone

    from bot.sources import InputError

    stamps, times, values = [], [], []
    with open(path, newline="") as f:
        header = f.readline().strip().split(",")
        if header[:2] != ["timestamp", "value"]:
            raise InputError([f"{path}:1: expected the header 'timestamp,value', found {','.join(header)!r}"])
        for number, line in enumerate(f, start=2):
            if not line.strip():
                continue
            parts = line.strip().split(",")
            try:
                stamp = parts[0]
                moment = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
                value = float(parts[1])
            except (ValueError, IndexError):
                raise InputError([f"{path}:{number}: expected 'timestamp,value', found {line.strip()!r}"]) from None
            stamps.append(stamp)
            times.append(moment.timestamp())
            values.append(value)
    return stamps, times, values


def _score_file(job: tuple[str, str, list]) -> tuple[str, list[float], list[tuple[int, int]], float]:
    """One file through a fresh detector, row by row: (name, scores, window rows, seconds)."""
    from bot.evaluation.nabscore import window_rows
    from detectors.anomaly import Detector

    name, path, windows = job
    started = time.perf_counter()
    stamps, times, values = read_series(Path(path))
    detector = Detector()
    scores = [detector.update(t, v) for t, v in zip(times, values)]
    return name, scores, window_rows(stamps, windows), time.perf_counter() - started


def _corpus(root: Path, categories: str | None) -> list[tuple[str, str, list]]:
    from bot.sources import InputError

    data = root / "data"
    labels_path = root / "labels" / "combined_windows.json"
    if not data.is_dir() or not labels_path.exists():
        raise InputError([f"{root}: expected NAB's layout, data/<category>/*.csv and labels/combined_windows.json"])
    try:
        labels = json.loads(labels_path.read_text())
    except json.JSONDecodeError as e:
        raise InputError([f"{labels_path}:{e.lineno}: not valid JSON: {e.msg}"]) from None
    wanted = set(categories.split(",")) if categories else None
    present = sorted(p.name for p in data.iterdir() if p.is_dir())
    if wanted:
        unknown = sorted(wanted - set(present))
        if unknown:
            raise InputError([f"--categories: no folder data/{c} (there are: {', '.join(present)})" for c in unknown])
    jobs = []
    for category in present:
        if wanted and category not in wanted:
            continue
        for csv in sorted((data / category).glob("*.csv")):
            name = f"{category}/{csv.name}"
            if name not in labels:
                raise InputError([f"{labels_path}: no windows for {name} (an empty list means none)"])
            jobs.append((name, str(csv), labels[name]))
    if not jobs:
        raise InputError([f"{data}: no CSV files to score"])
    return jobs


def run(args) -> int:
    import numpy as np

    from bot.evaluation import nabscore
    from detectors.anomaly import THRESHOLD

    root = Path(args.path)
    jobs = _corpus(root, args.categories)
    profiles_path = root / "config" / "profiles.json"
    profiles = nabscore.load_profiles(profiles_path) if profiles_path.exists() else dict(nabscore.PROFILES)

    started = time.perf_counter()
    if args.jobs > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(args.jobs) as pool:
            results = pool.map(_score_file, jobs, chunksize=1)
    else:
        results = [_score_file(job) for job in jobs]
    elapsed = time.perf_counter() - started

    scored = {name: (np.asarray(scores), windows) for name, scores, windows, _ in results}
    rows = sum(len(s) for s, _ in scored.values())
    categories = sorted({name.split("/")[0] for name in scored})
    n_windows = sum(len(w) for _, w in scored.values())
    optimum = {p: nabscore.sweep(list(scored.values()), profile) for p, profile in profiles.items()}

    def totals(names: list[str], thresholds: dict[str, float]) -> dict[str, float | None]:
        out = {}
        windows = sum(len(scored[n][1]) for n in names)
        for p, profile in profiles.items():
            raw = sum(nabscore.score_file(*scored[n], profile, thresholds[p]).raw for n in names)
            out[p] = round(nabscore.normalise(raw, windows, profile), 2) if windows else None
        return out

    deployed_at = {p: THRESHOLD for p in profiles}
    optimised_at = {p: optimum[p][0] for p in profiles}
    print(f"NAB: {len(scored)} files, {n_windows} windows, {rows:,} rows from {root}")
    print(f"scored online in {elapsed:.1f} s with {args.jobs} process(es)\n")
    short = {"standard": "standard", "reward_low_FP_rate": "low FP", "reward_low_FN_rate": "low FN"}
    names = [short.get(p, p) for p in profiles]
    print(f"{'':24s} {'':>5s} {'':>4s}  {'deployed (' + format(THRESHOLD, '.2f') + ')':^26s}  {'optimised':^26s}")
    print(f"{'category':24s} {'files':>5s} {'win':>4s}  " + " ".join(f"{n:>8s}" for n in names) + "  " + " ".join(f"{n:>8s}" for n in names))

    def line(label: str, members: list[str]) -> None:
        d, o = totals(members, deployed_at), totals(members, optimised_at)
        cells = [f"{v:8.2f}" if v is not None else f"{'—':>8s}" for v in list(d.values()) + list(o.values())]
        windows = sum(len(scored[n][1]) for n in members)
        k = len(profiles)
        print(f"{label:24s} {len(members):5d} {windows:4d}  " + " ".join(cells[:k]) + "  " + " ".join(cells[k:]))

    for category in categories:
        line(category, [n for n in scored if n.startswith(category + "/")])
    line("total", list(scored))
    print("\noptimised thresholds: " + ", ".join(f"{short.get(p, p)} {optimum[p][0]:.4f}" for p in profiles))
    print("(— : no windows, so no score on NAB's scale; false positives still count in the total)")

    if args.files:
        standard = "standard" if "standard" in profiles else next(iter(profiles))
        print(f"\nper file, {standard} profile, deployed threshold:")
        for name, (scores, windows) in scored.items():
            got = nabscore.score_file(scores, windows, profiles[standard], THRESHOLD)
            print(f"  {name:62s} raw {got.raw:7.3f}  windows hit {got.hit_windows}/{got.windows}  false-positive rows {got.fp}")

    result = {
        "deployed": {p: v for p, v in totals(list(scored), deployed_at).items()},
        "optimised": {p: v for p, v in totals(list(scored), optimised_at).items()},
        "files": len(scored),
    }
    sys.stdout.flush()
    print(json.dumps(result))
    return 0
