"""`sitroom rules backtest`: a recorded stream through the detectors and the rules on simulated time.

Scores are cached on disk (keyed by what the detectors read of a post and by the detector
set-up), so that trying changed rules on the same recording costs only the simulation.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import sqlite3
import sys
import time
from collections import Counter
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from bot import replay
from bot.config import Config
from bot.models import Post, Scores
from bot.simulate import TICK_OFFSET, Record, Simulation
from rules.model import TAGGED

BATCH = 256  # posts per scorer call: large enough for the transformer, small enough to save progress often
PEAK_BEFORE = 3600  # how far before an alert fired its incident's peak may lie
SMOOTH = 5  # minutes either side: the incident's peak is the busiest 11-minute stretch, not one lucky minute
SERIES_TYPES = ("spike", "threshold", "keyword", "sentiment_shift", "viral_post", "anomaly")  # rules that count posts


class ScoreCache:
    """Detector scores on disk (SQLite), keyed by the detector set-up and what detectors read of a post."""

    def __init__(self, path: str | Path, cfg: Config):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.version = detector_version(cfg)
        self.db = sqlite3.connect(self.path)
        self.db.execute("CREATE TABLE IF NOT EXISTS scores (version TEXT, post TEXT, scores TEXT, PRIMARY KEY (version, post))")

    def get(self, posts: list[Post]) -> list[Scores | None]:
        keys = [post_key(p) for p in posts]
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):  # SQLite limits the number of parameters per statement
            chunk = unique[i:i + 500]
            rows = self.db.execute(
                f"SELECT post, scores FROM scores WHERE version = ? AND post IN ({','.join('?' * len(chunk))})",
                [self.version, *chunk],
            )
            found.update(rows)
        return [Scores.from_dict(json.loads(found[k])) if k in found else None for k in keys]

    def put(self, posts: list[Post], scores: list[Scores]) -> None:
        rows = [(self.version, post_key(p), json.dumps(s.to_dict())) for p, s in zip(posts, scores)]
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self.db.close()


def post_key(post: Post) -> str:
    """Everything the detectors read of a post: equal keys get equal scores."""
    fields = [post.text, post.channel, post.language, post.geo, post.place,
              post.followers, post.likes, post.shares, post.replies]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def detector_version(cfg: Config) -> str:
    """Changes when anything that shapes scores changes: detector code, its settings, the model, the libraries."""
    from detectors import scorer
    from detectors.embedder import PACKAGED

    h = hashlib.sha256()
    setup = {
        "topics": [t.model_dump() for t in cfg.topics],
        "regions": [r.model_dump() for r in cfg.regions],
        "sources": [s.model_dump() for s in cfg.sources],
        "detectors": cfg.detectors.model_dump(),
    }
    h.update(json.dumps(setup, sort_keys=True, default=str).encode())
    for path in sorted(_scorer_code(scorer)):
        h.update(path.name.encode() + path.read_bytes())
    model = cfg.detectors.topics.model
    h.update(model.encode())
    if model == PACKAGED:
        h.update(metadata.version(PACKAGED).encode())
    elif Path(model).expanduser().is_dir():  # a local model: its files' sizes and times
        for f in sorted(Path(model).expanduser().rglob("*")):
            if f.is_file():
                h.update(f"{f.relative_to(Path(model).expanduser())}:{f.stat().st_size}:{f.stat().st_mtime_ns}".encode())
    for package in ("transformers", "torch", "lingua-language-detector"):
        h.update(f"{package}={metadata.version(package)}".encode())
    return h.hexdigest()[:16]


def _scorer_code(scorer_module) -> set[Path]:
    """The source files of the Scorer and of the detectors it imports (not the rest of the package)."""
    files = {Path(scorer_module.__file__), Path(sys.modules["detectors"].__file__)}
    for value in vars(scorer_module).values():
        module = inspect.getmodule(value)
        if module is not None and module.__name__.startswith("detectors.") and getattr(module, "__file__", None):
            files.add(Path(module.__file__))
    return files


def score(posts: list[Post], make_scorer: Callable[[], object], cache: ScoreCache | None) -> tuple[list[Scores], int, int]:
    """Scores for every post, from the cache where it has them; returns (scores, how many posts the
    detectors scored, how many came from the cache).

    Posts the detectors cannot tell apart (same post_key) are scored once.
    """
    found = cache.get(posts) if cache else [None] * len(posts)
    cached = sum(s is not None for s in found)
    alike: dict[str, list[int]] = {}
    for i, s in enumerate(found):
        if s is None:
            alike.setdefault(post_key(posts[i]), []).append(i)
    todo = [same[0] for same in alike.values()]
    if todo:
        scorer = make_scorer()  # loading the model is the slow part: only when something is missing
        for i in range(0, len(todo), BATCH):
            batch = [posts[k] for k in todo[i:i + BATCH]]
            scores = scorer.score(batch)
            for post, s in zip(batch, scores):
                for k in alike[post_key(post)]:
                    found[k] = s
            if cache:
                cache.put(batch, scores)
    return found, len(todo), cached


def run(cfg: Config, rules: list, path: str, make_scorer: Callable[[], object], cache: ScoreCache | None) -> dict:
    """Backtest the rules on a recorded stream; returns the report (see `format_report`)."""
    started = time.perf_counter()
    posts = replay.recorded(path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    scores, scored, cached = score(posts, make_scorer, cache)
    scoring_s = time.perf_counter() - started
    started = time.perf_counter()
    sim = Simulation(cfg, rules)
    if posts:
        sim.advance(posts[0].created_at - 60)  # the clock starts with the recording
        sim.feed(posts, scores)
        sim.advance(posts[-1].created_at // 60 * 60 + TICK_OFFSET)  # evaluate the last minute; the recording ends there
    simulation_s = time.perf_counter() - started
    tz = ZoneInfo(cfg.timezone)
    by_name = {r.name: r for r in rules}
    alerts = [_alert(sim, record, by_name[record.alert.rule], tz) for record in sim.records]
    return {
        "file": str(path),
        "posts": len(posts),
        "counted": sim.counted,
        "from": _iso(posts[0].created_at, tz) if posts else None,
        "to": _iso(posts[-1].created_at, tz) if posts else None,
        "rules": [r.name for r in rules],
        "alerts": alerts,
        "per_rule": dict(Counter(a["rule"] for a in alerts)),
        "per_day": dict(sorted(Counter(a["fired_at"][:10] for a in alerts).items())),
        "scored": scored,
        "cached": cached,
        "timings_s": {"read": round(read_s, 2), "scoring": round(scoring_s, 2), "simulation": round(simulation_s, 2)},
    }


def _alert(sim: Simulation, record: Record, rule, tz: ZoneInfo) -> dict:
    alert = record.alert
    out = {
        "rule": alert.rule,
        "labels": alert.labels,
        "departments": alert.departments,
        "severity": record.severities,
        "fired_at": _iso(record.fired_at, tz),
        "resolved_at": _iso(record.resolved_at, tz) if record.resolved_at else None,
        "peak_value": record.peak,
        "incident_peak_at": None,
        "lead_minutes": None,
    }
    peak = incident_peak(sim, record, rule)
    if peak is not None:
        out["incident_peak_at"] = _iso(peak * 60, tz)
        out["lead_minutes"] = peak - int(record.fired_at // 60)
    return out


def incident_peak(sim: Simulation, record: Record, rule) -> int | None:
    """The minute the alert's own series (the posts its rule counts, in its group) was busiest.

    Looked for from PEAK_BEFORE before the alert fired until it resolved (or the recording ended),
    smoothed over SMOOTH minutes either side. None for rules that do not count posts.
    """
    if rule.type not in SERIES_TYPES:
        return None
    dims = {**rule.match.dims(), **{g: record.alert.labels[g] for g in rule.group_by if g in record.alert.labels}}
    if isinstance(rule, TAGGED):
        dims["rule"] = rule.name
    first = int((record.fired_at - PEAK_BEFORE) // 60)
    last = int((record.resolved_at or sim.clock() or record.fired_at) // 60)
    values = sim.series(dims, first - SMOOTH, last + SMOOTH)
    sums = [sum(values[i - SMOOTH:i + SMOOTH + 1]) for i in range(SMOOTH, len(values) - SMOOTH)]
    if not sums or max(sums) == 0:
        return None
    busiest = [i for i, v in enumerate(sums) if v == max(sums)]
    return first + busiest[len(busiest) // 2]  # a plateau peaks in its middle


def _iso(t: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(t, tz).isoformat(timespec="minutes")


def format_report(report: dict) -> str:
    """The report for people: one line per alert, alerts per rule and day, timings; then one JSON line."""
    out = [
        f"backtest of {report['file']}: {report['posts']:,} posts ({report['counted']:,} from customers), "
        f"{report['from'] or '-'} to {report['to'] or '-'}, {len(report['rules'])} rules",
        "when the rule engine fires; noise control (group_wait, inhibition, silences, maintenance) is not applied",
        "",
    ]
    rows = [("rule", "fired", "resolved", "labels", "departments", "severity", "peak", "incident peak", "lead")]
    for a in report["alerts"]:
        rows.append((
            a["rule"], _short(a["fired_at"]), _short(a["resolved_at"]) if a["resolved_at"] else "open",
            ",".join(f"{k}={v}" for k, v in a["labels"].items()) or "-", ",".join(a["departments"]),
            "→".join(a["severity"]), _number(a["peak_value"]),
            _short(a["incident_peak_at"]) if a["incident_peak_at"] else "-",
            f"{a['lead_minutes']:+d}m" if a["lead_minutes"] is not None else "-",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {6, 8}  # numbers
    for row in rows:
        out.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    if not report["alerts"]:
        out.append("(no alerts)")
    out.append("")
    quiet = [r for r in report["rules"] if r not in report["per_rule"]]
    out.append("alerts per rule: " + (", ".join(f"{r} {n}" for r, n in report["per_rule"].items()) or "none")
               + (f"; never fired: {', '.join(quiet)}" if quiet else ""))
    out.append("alerts per day: " + (", ".join(f"{d} {n}" for d, n in report["per_day"].items()) or "none"))
    t = report["timings_s"]
    alike = report["posts"] - report["scored"] - report["cached"]
    out.append(f"scoring: {report['scored']:,} posts scored" + (f" ({alike:,} more alike)" if alike else "")
               + f", {report['cached']:,} from the cache, {t['scoring']:.1f} s; "
               f"simulation: {t['simulation']:.2f} s; reading: {t['read']:.2f} s")
    out.append(json.dumps(report, ensure_ascii=False))
    return "\n".join(out)


def _number(value: float) -> str:
    """1503085 -> '1.5M', 75.0 -> '75', 0.413 -> '0.41'."""
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:.2f}" if value != int(value) else f"{value:.0f}"


def _short(iso: str) -> str:
    """'2026-11-16T08:52+01:00' -> '16 08:52' (day of month and time)."""
    return f"{iso[8:10]} {iso[11:16]}"
