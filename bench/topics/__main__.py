"""`python -m bench.topics EVAL_DATA`: build the labelled sets in a temporary folder, then run
`sitroom eval topics` on each with our topics files; prints the results table (docs/topics.md).
Without eval-data it says so and exits 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.topics.build import build

HERE = Path(__file__).resolve().parent
SETS = {  # set -> topics file
    "germeval_aspects": "germeval.yaml",
    "germeval_none": "germeval.yaml",
    "crisislex6": "crisislex.yaml",
    "crisislex6_none": "crisislex.yaml",
}


def main(argv: list[str]) -> int:
    data = argv[0] if argv else os.environ.get("SITROOM_EVAL_DATA")
    if not data or not Path(data).is_dir():
        print(f"no eval-data at {data!r}: nothing to measure (give its path or set SITROOM_EVAL_DATA)")
        return 0
    with tempfile.TemporaryDirectory(prefix="sitroom-topics-") as tmp:
        paths = build(Path(data), Path(tmp))
        rows = []
        for name, topics in SETS.items():
            command = ["sitroom", "eval", "topics", str(paths[name]), "--topics", str(HERE / topics)]
            out = subprocess.run([sys.executable, "-m", "bot", *command[1:]],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((name, result))
            print(out.stdout.rsplit("\n", 2)[0], flush=True)
            print()
    print("| data | n | accuracy | macro-F1 | majority acc / F1 | keywords only acc / F1 |")
    print("|---|---|---|---|---|---|")
    for name, r in rows:
        b = r["baselines"]
        print(f"| {name} | {r['n']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | "
              f"{b['majority']['accuracy']:.3f} / {b['majority']['macro_f1']:.3f} | "
              f"{b['keywords']['accuracy']:.3f} / {b['keywords']['macro_f1']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
