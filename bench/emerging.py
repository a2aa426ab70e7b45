"""Emerging topics on public data: CrisisLexT6 events mixed into customer-support tweets.

    .venv/bin/python -m bench.emerging ../shared/eval-data [--rate 30] [--hours 4] [--seed 1]

Background: the customers' tweets of the TWCS sample (Customer Support on Twitter, first 5,000
rows) in their order, spread evenly over two days; the first day is the detector's history.
Event: on-topic tweets of one CrisisLexT6 event, drawn at random, arriving as a Poisson stream
of `--rate` tweets per hour from 12:00 on day two for `--hours`. The detector is the one the
workers run (detectors.emerging with its default settings), in memory, evaluated every minute.

Reports per event the minutes from its first tweet until a topic is named whose representative
posts are mostly the event's, and spurious topics per day: topics named on day two whose
representative posts are mostly background (without any event, and within each event's run).
The data is read where it lies, never copied; without it the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot.models import Post, Scores
from detectors import emerging

log = logging.getLogger("bench.emerging")
DAY = 86400
T0 = 1_700_000_000 // DAY * DAY  # a midnight (UTC); only differences matter
EVENT_START = T0 + DAY + 12 * 3600


def main() -> int:
    p = argparse.ArgumentParser(prog="bench.emerging", description=__doc__.split("\n\n")[0])
    p.add_argument("data", help="the eval-data folder (holding TWCS_sample/ and CrisisLex/CrisisLexT6/)")
    p.add_argument("--rate", type=float, default=30, help="event tweets per hour")
    p.add_argument("--hours", type=float, default=4, help="how long the event's tweets keep coming")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-v", "--verbose", action="store_true", help="name every spurious topic")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    root = Path(args.data)
    twcs = root / "TWCS_sample" / "twcs_first5000.csv"
    events_dir = root / "CrisisLex" / "CrisisLexT6"
    if not twcs.is_file() or not events_dir.is_dir():
        print(f"skipped: no TWCS_sample/twcs_first5000.csv or CrisisLex/CrisisLexT6 under {root}")
        return 0
    background, brands = read_background(twcs)
    known = emerging.KnownTerms(names=brands)
    quiet = run(background, known)
    print(f"background: {len(background)} customer tweets over 2 days; spurious topics on day 2 without an event: "
          f"{quiet['spurious']}")
    rows, result = [], {"background_spurious_per_day": quiet["spurious"], "events": {}}
    rng = random.Random(args.seed)
    for folder in sorted(events_dir.iterdir()):
        tweets = read_event(folder)
        event = place(tweets, args.rate, args.hours, rng)
        found = run(sorted(background + event, key=lambda p: p.created_at), known)
        minutes = None if found["named_at"] is None else round((found["named_at"] - event[0].created_at) / 60, 1)
        rows.append((folder.name, len(event), minutes, found["name"], found["spurious"]))
        result["events"][folder.name] = {"minutes_to_name": minutes, "name": found["name"], "spurious": found["spurious"]}
    print(f"\nevent tweets at {args.rate:g}/h for {args.hours:g} h from 12:00 on day 2 (background ≈ "
          f"{len(background) / 48:.0f}/h)")
    print(f"{'event':28} {'tweets':>6} {'min to name':>11}  {'spurious':>8}  name")
    for name, n, minutes, label, spurious in rows:
        print(f"{name:28} {n:>6} {'—' if minutes is None else minutes:>11}  {spurious:>8}  {label or ''}")
    named = [r[2] for r in rows if r[2] is not None]
    result["named"] = f"{len(named)}/{len(rows)}"
    result["median_minutes_to_name"] = sorted(named)[len(named) // 2] if named else None
    print(json.dumps(result, ensure_ascii=False))
    return 0


def read_background(path: Path) -> tuple[list[Post], list[str]]:
    """Customers' tweets in time order, spread evenly over two days; and the brands' account names."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("created_at") and r.get("text")]
    brands = sorted({r["author_id"] for r in rows if r["inbound"] == "False"})
    inbound = [r for r in rows if r["inbound"] == "True"]
    inbound.sort(key=lambda r: datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y"))
    step = 2 * DAY / len(inbound)
    posts = [Post("twcs", r["tweet_id"], "x_support", r["text"], T0 + i * step, author_id=r["author_id"])
             for i, r in enumerate(inbound)]
    return posts, brands


def read_event(folder: Path) -> list[tuple[str, str]]:
    """(tweet id, text) of the event's on-topic tweets."""
    [path] = folder.glob("*.csv")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return [(row[0].strip("'"), row[1]) for row in reader if len(row) >= 3 and row[2].strip() == "on-topic"]


def place(tweets: list[tuple[str, str]], rate: float, hours: float, rng: random.Random) -> list[Post]:
    """Random on-topic tweets as a Poisson stream from EVENT_START."""
    out, t = [], EVENT_START
    pool = tweets[:]
    rng.shuffle(pool)
    for tweet_id, text in pool:
        out.append(Post("event", tweet_id, "x_support", text, t, author_id="e" + tweet_id))
        t += rng.expovariate(rate / 3600)
        if t >= EVENT_START + hours * 3600:
            break
    return out


def run(posts: list[Post], known) -> dict:
    """Every minute of the two days through the detector: when the event was named, what else was."""
    detector = emerging.Detector(known)
    seen: set[str] = set()
    named_at, label, spurious = None, None, 0
    i = 0
    for minute in range(T0 // 60 + 1, (T0 + 2 * DAY) // 60 + 1):
        now = minute * 60.0
        j = i
        while j < len(posts) and posts[j].created_at < now:
            j += 1
        batch = posts[i:j]
        detector.observe(batch, [Scores(language="en") for _ in batch])
        i = j
        for topic in detector.current(now):
            if topic.id in seen:
                continue
            seen.add(topic.id)
            from_event = sum(k.startswith("event:") for k in topic.post_keys) * 2 > len(topic.post_keys)
            if from_event and named_at is None:
                named_at, label = now, topic.name
            elif not from_event and now >= T0 + DAY:
                spurious += 1
                log.debug("spurious at %s: %s %s", datetime.fromtimestamp(now, timezone.utc).strftime("%H:%M"), topic.name, topic.count)
    return {"named_at": named_at, "name": label, "spurious": spurious}


if __name__ == "__main__":
    sys.exit(main())
