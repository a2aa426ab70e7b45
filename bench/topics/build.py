"""Build labelled topic sets (text, label) from eval-data into a temporary folder, never into the repo.

    python -m bench.topics.build EVAL_DATA [--out DIR]

- germeval_aspects.tsv: GermEval 2017 dev documents with exactly one aspect category (CC BY-NC 4.0),
  the category as label, written as a topic name (Atmosphäre → atmosphaere); categories with fewer
  than MIN_DOCS such documents are left out, and so is "Allgemein" (general remarks: no topic).
- germeval_none.tsv: the same plus the "Allgemein" documents labelled "none" (nothing to route).
- crisislex6.tsv: CrisisLexT6 on-topic tweets (MIT), labelled by event; retweets and duplicate
  texts dropped, PER_EVENT per event chosen evenly by tweet id.
- crisislex6_none.tsv: the same plus OFF_TOPIC off-topic tweets per event labelled "none".

Without eval-data (no path, or the path does not exist) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

MIN_DOCS = 8
PER_EVENT = 300
OFF_TOPIC = 50
NONE = "none"
EVENTS = {
    "2012_Sandy_Hurricane": "hurricane_sandy",
    "2013_Alberta_Floods": "alberta_floods",
    "2013_Boston_Bombings": "boston_bombings",
    "2013_Oklahoma_Tornado": "oklahoma_tornado",
    "2013_Queensland_Floods": "queensland_floods",
    "2013_West_Texas_Explosion": "west_texas_explosion",
}


def germeval(root: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(aspect rows, 'Allgemein' rows as none) from GermEval 2017 dev."""
    rows = []
    with open(root / "GermEval2017" / "dev.tsv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            cats = {a.split(":")[0].split("#")[0] for a in (r["aspects"] or "").split()}
            if len(cats) == 1:
                rows.append((_clean(r["text"]), name_of(cats.pop())))
    counts = Counter(label for _, label in rows)
    aspects = [(t, c) for t, c in rows if c != "allgemein" and counts[c] >= MIN_DOCS]
    general = [(t, NONE) for t, c in rows if c == "allgemein"]
    return aspects, general


def crisislex(root: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(on-topic rows labelled by event, off-topic rows as none) from CrisisLexT6."""
    on, off = [], []
    for folder, label in EVENTS.items():
        path = root / "CrisisLex" / "CrisisLexT6" / folder / f"{folder}-ontopic_offtopic.csv"
        tweets: dict[str, list[tuple[int, str]]] = {"on-topic": [], "off-topic": []}
        seen = set()
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            for row in reader:
                if len(row) < 3:
                    continue
                text, kind = _clean(row[1]), row[2].strip()
                if kind not in tweets or text.startswith("RT ") or text.lower() in seen:
                    continue
                seen.add(text.lower())
                tweets[kind].append((int(row[0].strip("'")), text))
        on += [(t, label) for t in _evenly(tweets["on-topic"], PER_EVENT)]
        off += [(t, NONE) for t in _evenly(tweets["off-topic"], OFF_TOPIC)]
    return on, off


def name_of(category: str) -> str:
    """A GermEval category as a topic name: Sonstige_Unregelmässigkeiten -> sonstige_unregelmaessigkeiten."""
    folded = category.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


def _evenly(items: list[tuple[int, str]], n: int) -> list[str]:
    """n texts spread evenly over the items in tweet id (time) order."""
    items = sorted(items)
    if len(items) <= n:
        return [t for _, t in items]
    return [items[i * len(items) // n][1] for i in range(n)]


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split()).strip('"')


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(["text", "label"])
        w.writerows(rows)


def build(eval_data: Path, out: Path) -> dict[str, Path]:
    """Write every set into `out`; returns name -> path."""
    out.mkdir(parents=True, exist_ok=True)
    aspects, general = germeval(eval_data)
    events, off = crisislex(eval_data)
    sets = {
        "germeval_aspects": aspects,
        "germeval_none": aspects + general,
        "crisislex6": events,
        "crisislex6_none": events + off,
    }
    paths = {}
    for name, rows in sets.items():
        paths[name] = out / f"{name}.tsv"
        write(paths[name], rows)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.topics.build", description=__doc__.split("\n\n")[0])
    p.add_argument("eval_data", nargs="?", default=os.environ.get("SITROOM_EVAL_DATA"),
                   help="the eval-data folder (default: $SITROOM_EVAL_DATA)")
    p.add_argument("--out", help="where to write the sets (default: a new temporary folder)")
    args = p.parse_args(argv)
    if not args.eval_data or not Path(args.eval_data).is_dir():
        print(f"no eval-data at {args.eval_data!r}: nothing to build (give its path or set SITROOM_EVAL_DATA)")
        return 0
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sitroom-topics-"))
    repo = Path(__file__).resolve().parents[2]
    if out.resolve().is_relative_to(repo):
        print(f"{out}: inside the repository; the data's licences forbid copies there, choose another folder")
        return 2
    for name, path in build(Path(args.eval_data), out).items():
        labels = Counter(row["label"] for row in csv.DictReader(open(path, encoding="utf-8"), delimiter="\t"))
        print(f"{name}: {path} ({sum(labels.values())} rows, {len(labels)} labels)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
