"""Each post detector on its own: posts per second and memory, against the transformer.

`python -m bench.detectors [--posts N]` (also part of `make bench`, in a process of its own so
that the memory figures start from a clean slate). The transformer is the sentence model's
`encode`, batched as the worker batches; the topic detector calls it, so its row is shown
twice: with the model and without it (its own work: keywords, similarities, routing). Memory is
how much this process's resident set grows while a detector is built and scores its first
batch (lazy loading included). Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None


def rss_mb() -> float:
    """Resident memory after handing freed memory back to the system, so that what a batch used
    for a moment does not count as what a detector keeps."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(texts: list[str]) -> dict:
    """{"transformer": {...}, "detectors": {name: {"posts_per_s", "mb"}}} for these texts."""
    from bot import config
    from bot.models import Post
    from detectors.embedder import Embedder
    from detectors.scorer import Scorer

    cfg = config.load(ROOT / "config.yaml")
    batch = cfg.detectors.batch_size
    now = time.time()
    posts = [Post("generic", str(i), "x_support", t, now) for i, t in enumerate(texts)]
    warm = posts[:batch]

    before = rss_mb()
    embedder = Embedder.load(cfg.detectors.topics.model, batch_size=batch)
    embedder.encode([p.text for p in warm])
    memory = {"transformer": rss_mb() - before}
    built = []
    for name, make in Scorer.builders(cfg, embedder):
        before = rss_mb()
        built.append(make())
        Scorer(built).score(warm)  # first batch: lazy loading counts as the detector's
        memory[name] = rss_mb() - before

    # The model's time is taken inside the same run (the topic detector calls it), so that the
    # split between the model and the rest does not depend on how busy the machine was when.
    encoding = [0.0]
    real_encode = embedder.encode

    def timed_encode(*args, **kwargs):
        started = time.perf_counter()
        try:
            return real_encode(*args, **kwargs)
        finally:
            encoding[0] += time.perf_counter() - started

    embedder.encode = timed_encode
    seconds: dict[str, float] = {}
    scorer = Scorer(built)
    for i in range(0, len(posts), batch):
        scorer.score_with_vectors(posts[i : i + batch], seconds)
    encode = encoding[0]

    rate = lambda s: round(len(posts) / s, 1) if s > 0 else None  # noqa: E731
    out = {"transformer": {"posts_per_s": rate(encode), "mb": round(memory["transformer"], 1)}, "detectors": {}}
    for name, spent in seconds.items():
        out["detectors"][name] = {"posts_per_s": rate(spent), "mb": round(memory.get(name, 0.0), 1)}
    if "topics" in seconds:
        out["detectors"]["topics without the model"] = {"posts_per_s": rate(max(seconds["topics"] - encode, 1e-9)), "mb": None}
    own = {n: s for n, s in seconds.items() if n != "topics"} | {"topics without the model": seconds.get("topics", encode) - encode}
    out["slowest_vs_transformer"] = round(max(own.values()) / encode, 3)
    return out


def table(result: dict) -> list[tuple[str, object, str]]:
    """Rows for `make bench`: each detector's posts/s and MB, and whether it costs less than the transformer."""
    model = result["transformer"]["posts_per_s"]
    rows = [(f"transformer encode (posts/s, {result['transformer']['mb']} MB)", model, "")]
    for name, d in result["detectors"].items():
        mb = "" if d["mb"] is None else f", {d['mb']} MB"
        faster = name == "topics" or (d["posts_per_s"] or 0) > model
        note = "includes the transformer" if name == "topics" else ("✓ cheaper than the transformer" if faster else "✗ costs more than the transformer")
        rows.append((f"  {name} (posts/s{mb})", d["posts_per_s"], note))
    return rows


def main() -> int:
    p = argparse.ArgumentParser(prog="bench.detectors")
    p.add_argument("--posts", type=int, default=2048)
    args = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bot.demo import scenario

    texts = [post.text for post in scenario.generate(seed=11).posts][: args.posts]
    result = measure(texts)
    for name, value, note in table(result):
        print(f"{name:48} {value!s:>10}  {note}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
