"""`make bench`: pipeline throughput against the bare model, post-to-alert latency, worker memory.

Everything runs on this machine in one go, so the ratios compare like with like:
1. bare model: the sentence model encoding the posts' texts, nothing else;
2. pipeline: the same texts as posts through ingest -> RQ worker -> detectors -> aggregates -> rules;
3. latency: a steady 50 posts/s, every 25th a trigger for a one-post keyword rule; the time from
   accepting a trigger until its alert event is published;
4. the worker's peak resident memory (VmHWM);
5. each post detector alone: posts/s and MB against the transformer (bench/detectors.py, in a
   process of its own).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_RULE = """
rules:
  - name: bench-trigger
    type: keyword
    any: [benchtrigger]
    window: 60m
    min_count: 1
    severity: info
    departments: [social]
"""


def main() -> int:
    p = argparse.ArgumentParser(prog="bench")
    p.add_argument("--posts", type=int, default=2048, help="posts for the throughput runs")
    p.add_argument("--seconds", type=float, default=20, help="length of the steady-rate latency run")
    p.add_argument("--rate", type=float, default=50, help="posts per second in the latency run")
    args = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["SITROOM_LOG_LEVEL"] = "WARNING"

    from bot.demo import scenario

    texts = [p.text for p in scenario.generate(seed=11).posts][: args.posts]
    per_detector = detectors(args.posts)
    bare = bare_model(texts)
    with Installation() as inst:
        pipeline = inst.throughput(texts)
        p50, p99 = inst.latency(args.seconds, args.rate)
        peak_mb = inst.worker_peak_mb()
    result = {
        "pipeline_posts_per_s": round(pipeline, 1),
        "bare_model_posts_per_s": round(bare, 1),
        "ratio": round(pipeline / bare, 3),
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "worker_peak_mb": round(peak_mb, 1),
        "detectors": per_detector,
    }
    rows = [
        ("bare model encode (posts/s)", result["bare_model_posts_per_s"], ""),
        ("pipeline ingest→rules (posts/s)", result["pipeline_posts_per_s"], "target ≥ 70% of bare"),
        ("pipeline / bare", result["ratio"], "✓" if result["ratio"] >= 0.7 else "✗ below 0.7"),
        (f"post→alert p50 at {args.rate:g}/s (ms)", result["p50_ms"], ""),
        (f"post→alert p99 at {args.rate:g}/s (ms)", result["p99_ms"], "✓" if p99 < 2000 else "✗ over 2 s"),
        ("worker peak RSS (MB)", result["worker_peak_mb"], "✓" if peak_mb < 1536 else "✗ over 1.5 GB"),
    ]
    from bench.detectors import table

    rows += table(per_detector)
    print(f"\n{'measure':48} {'value':>10}  note")
    for name, value, note in rows:
        print(f"{name:48} {value!s:>10}  {note}")
    print(json.dumps(result))
    return 0


def detectors(posts: int) -> dict:
    """bench/detectors.py's result, measured in a fresh process (clean memory figures)."""
    run = subprocess.run([sys.executable, "-m", "bench.detectors", "--posts", str(posts)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def bare_model(texts: list[str]) -> float:
    """Posts per second of the sentence model alone, at the batch size the worker uses."""
    from bot import config
    from detectors.embedder import Embedder

    cfg = config.load(ROOT / "config.yaml")
    embedder = Embedder.load(cfg.detectors.topics.model, batch_size=min(cfg.detectors.batch_size, 64))
    embedder.encode(texts[:64])  # warm-up, as the worker has had by the time posts arrive
    started = time.perf_counter()
    for i in range(0, len(texts), cfg.detectors.batch_size):
        embedder.encode(texts[i : i + cfg.detectors.batch_size])
    return len(texts) / (time.perf_counter() - started)


class Installation:
    """A throw-away sitroom: its own config and rules, an embedded Redis, one worker process."""

    def __enter__(self):
        from bot import redisconn

        self.dir = Path(tempfile.mkdtemp(prefix="sitroom-bench-"))
        shutil.copytree(ROOT / "rules", self.dir / "rules", ignore=shutil.ignore_patterns("*.py", "__pycache__", "tests"))
        (self.dir / "rules" / "zz-bench.yaml").write_text(BENCH_RULE)
        shutil.copy(ROOT / "config.yaml", self.dir / "config.yaml")
        os.environ["SITROOM_CONFIG"] = str(self.dir / "config.yaml")
        os.environ["SITROOM_DATA_DIR"] = str(self.dir / "data")
        os.environ.pop("REDIS_URL", None)
        os.environ["REDIS_URL"] = redisconn.start_embedded()
        from bot.context import Context

        self.ctx = Context.create()
        self.ctx.redis.flushdb()
        self.worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=os.environ.copy())
        self._wait_for_worker()
        return self

    def __exit__(self, *exc):
        from bot import redisconn

        self.worker.terminate()
        self.worker.wait(20)
        redisconn.stop_embedded()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _wait_for_worker(self) -> None:
        from rq import Worker

        deadline = time.monotonic() + 180
        while not Worker.all(queue=self.ctx.scoring):
            if time.monotonic() > deadline or self.worker.poll() is not None:
                raise SystemExit("bench: the worker did not start")
            time.sleep(0.2)
        self._post_and_wait(["warm-up post"], start_id="warm")  # first batch pays for lazy loading

    def _post_and_wait(self, texts: list[str], start_id: str) -> float:
        from bot import ingest
        from bot.models import Post

        now = time.time()
        posts = [Post("generic", f"{start_id}-{i}", "x_support", t, now) for i, t in enumerate(texts)]
        target = self.ctx.store.stats().get("scored", 0) + len(posts)
        started = time.perf_counter()
        for i in range(0, len(posts), 500):
            ingest.accept(self.ctx, posts[i : i + 500])
        while self.ctx.store.stats().get("scored", 0) < target:
            time.sleep(0.01)
        return time.perf_counter() - started

    def throughput(self, texts: list[str]) -> float:
        return len(texts) / self._post_and_wait(texts, start_id="tp")

    def latency(self, seconds: float, rate: float) -> tuple[float, float]:
        """p50 and p99 of trigger post accepted -> alert event published, in ms."""
        from bot import ingest, store
        from bot.models import Post

        pubsub = self.ctx.redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(store.EVENTS)
        seen: list[tuple[float, float]] = []  # (wall time, alert's current count)
        stop = threading.Event()

        def listen():
            while not stop.is_set():
                m = pubsub.get_message(timeout=0.1)
                if m:
                    event = json.loads(m["data"])
                    if event.get("type") == "alert" and event["alert"]["rule"] == "bench-trigger":
                        seen.append((time.time(), event["alert"]["current"]))

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        sent: list[float] = []
        total = int(seconds * rate)
        t0 = time.monotonic()
        for i in range(total):
            due = t0 + i / rate
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            trigger = i % 25 == 0
            text = f"benchtrigger Netz weg {i}" if trigger else f"Frage zu meinem Vertrag Nummer {i}"
            accepted_at = time.time()
            ingest.accept(self.ctx, [Post("generic", f"lat-{i}", "x_support", text, accepted_at)])
            if trigger:
                sent.append(accepted_at)
        deadline = time.monotonic() + 30
        while (not seen or seen[-1][1] < len(sent)) and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        listener.join()
        latencies = []
        for n, at in enumerate(sent, start=1):
            first = next((t for t, current in seen if current >= n), None)
            latencies.append((first - at) * 1000 if first else float("inf"))
        latencies.sort()
        return latencies[len(latencies) // 2], latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]

    def worker_peak_mb(self) -> float:
        for line in Path(f"/proc/{self.worker.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


if __name__ == "__main__":
    raise SystemExit(main())
