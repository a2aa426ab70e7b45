"""`sitroom replay` feeds recorded streams through ingestion, paced in compressed time."""

import os
import subprocess
import sys
import time

from bot import replay
from bot.models import Post
from tests.test_pipeline import T0

CSV = """id,channel,text,created_at,author_id,followers
r1,x_support,Kein Netz in Bonn,2026-11-16T08:00:00+01:00,u1,10
r2,fb_telvia,Danke für die Hilfe,2026-11-16T08:01:00+01:00,u2,0
r1,x_support,Kein Netz in Bonn,2026-11-16T08:00:00+01:00,u1,10
"""


def test_replay_csv_into_redis(ctx, redis_url, tmp_path):
    path = tmp_path / "stream.csv"
    path.write_text(CSV)
    run = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(path)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "REDIS_URL": redis_url, "SITROOM_DATA_DIR": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    assert "replayed 3 posts: 2 accepted, 1 duplicates" in run.stdout
    assert ctx.store.get_post("generic:r2")[0].channel == "fb_telvia"
    assert ctx.store.pending_count() == 2


def test_replay_rejects_a_bad_file_naming_the_line(ctx, redis_url, tmp_path):
    path = tmp_path / "stream.jsonl"
    path.write_text('{"id": "a", "channel": "x_support", "text": "hi", "created_at": 1}\n{"id": "b"}\n')
    run = subprocess.run(
        [sys.executable, "-m", "bot", "replay", str(path)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "REDIS_URL": redis_url, "SITROOM_DATA_DIR": str(tmp_path)},
    )
    assert run.returncode == 2
    assert f"{path}:2" in run.stderr and "Traceback" not in run.stderr
    assert ctx.store.pending_count() == 0  # nothing from a bad file is half-accepted


def test_pace_compresses_time():
    posts = [Post("generic", str(i), "x_support", "t", T0 + i * 60) for i in range(4)]  # 3 minutes
    started = time.monotonic()
    batches = list(replay.pace(posts, speed=360))  # 3 minutes in 0.5 s
    elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 1.5
    assert sum(len(b) for b in batches) == 4


def test_pace_at_full_speed_batches():
    posts = [Post("generic", str(i), "x_support", "t", T0 + i) for i in range(1200)]
    assert [len(b) for b in replay.pace(posts, speed=0)] == [500, 500, 200]
