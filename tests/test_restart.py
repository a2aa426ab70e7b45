"""Nothing accepted is lost: across restarts and crashes of the embedded Redis, and dead scoring jobs."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot import actions, ingest, redisconn, store, worker
from bot.context import Context
from bot.models import AlertStatus, Post
from tests.conftest import ROOT

CONFIG = os.path.join(ROOT, "config.yaml")
T0 = 1763283600.0  # 2025-11-16 09:00 UTC


def outage(n, start=T0, prefix="o") -> list[Post]:
    return [
        Post("generic", f"{prefix}{i}", "x_support", f"Kein Netz in Köln seit {i} Minuten, Totalausfall!", start + i * 30,
             author_id=f"u{i}", followers=50 + i)
        for i in range(n)
    ]


@pytest.fixture
def data_dir(tmp_path, monkeypatch, env_secrets):
    """An empty data dir for the embedded Redis, with REDIS_URL out of the way."""
    monkeypatch.setenv("SITROOM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    yield tmp_path
    redisconn.stop_embedded()


def embedded_context(url: str | None = None) -> Context:
    return Context.create(CONFIG, redis_url=url or redisconn.start_embedded())


def test_posts_pending_posts_and_alerts_survive_a_restart(data_dir, scorer):
    ctx = embedded_context()
    assert ctx.redis_url.startswith("unix://")
    assert (data_dir / "redis.url").read_text() == ctx.redis_url
    assert ctx.redis.config_get("appendonly") == {"appendonly": "yes"}

    assert len(ingest.accept(ctx, outage(30)).accepted) == 30
    worker.run(ctx, burst=True, scorer=scorer)
    [alert] = ctx.store.alerts()
    actions.act(ctx, alert.id, "ack", "room", "aylin.demir", "aylin.demir")
    later = ingest.accept(ctx, outage(5, start=T0 + 900, prefix="late"))
    assert len(later.accepted) == 5 and ctx.store.pending_count() == 5 and ctx.scoring.count == 1
    before = ctx.store.stats()
    ctx.redis.close()

    redisconn.stop_embedded()
    assert not (data_dir / "redis.url").exists()
    assert (data_dir / "appendonly.aof").stat().st_size > 0
    # Prove the append-only file carries the data: without it, the snapshot alone would.
    (data_dir / "redis.rdb").unlink(missing_ok=True)

    ctx = embedded_context()
    assert ctx.store.stats() == before
    post, scores = ctx.store.get_post("generic:o7")
    assert post.text == "Kein Netz in Köln seit 7 Minuten, Totalausfall!" and post.author_id.startswith("p:")
    assert scores is not None and scores.topic == "network_outage"
    assert ctx.store.pending_count() == 5
    assert ctx.redis.lrange(store.PENDING, 0, -1) == [f"sitroom:post:generic:late{i}".encode() for i in range(5)]
    [again] = ctx.store.alerts()
    assert (again.id, again.rule, again.departments) == (alert.id, alert.rule, ["network"])
    assert again.status == AlertStatus.ACKNOWLEDGED and again.acked_by == "aylin.demir"
    assert ctx.scoring.count == 1  # the queued scoring job survived too

    worker.run(ctx, burst=True, scorer=scorer)
    assert ctx.store.pending_count() == 0
    assert ctx.store.stats()["scored"] == 35
    assert all(ctx.store.get_post(f"generic:late{i}")[1] is not None for i in range(5))


def test_a_killed_redis_keeps_every_accepted_post(data_dir):
    ctx = embedded_context()
    result = ingest.accept(ctx, outage(12))
    assert len(result.accepted) == 12
    pid = redisconn._embedded.pid
    assert pid
    ctx.redis.close()

    os.kill(pid, signal.SIGKILL)  # no shutdown, no snapshot: only what was fsynced survives
    deadline = time.monotonic() + 10
    while _alive(pid):
        assert time.monotonic() < deadline, "redis-server did not die"
        time.sleep(0.05)
    assert not (data_dir / "redis.rdb").exists()

    url = redisconn.url()  # finds the stale pointer, sees nobody answers, starts a new server
    assert url != ctx.redis_url
    ctx = embedded_context(url)
    assert ctx.store.pending_count() == 12
    assert all(ctx.store.get_post(f"generic:o{i}") is not None for i in range(12))
    assert ingest.accept(ctx, outage(12)).duplicates == [f"o{i}" for i in range(12)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers signal 0
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_batch_whose_job_died_goes_back_to_pending_and_is_scored(ctx, drain):
    from rq.job import Job

    from bot import jobs

    ingest.accept(ctx, outage(13))
    # Nothing else may score these posts: only the recovery should bring them back.
    ctx.scoring.empty()
    ctx.store.clear_scoring_request()

    dead = ctx.store.claim_batch("0b5e55ed-dead-job", 10)  # a job id RQ has never heard of
    live_job = Job.create(jobs.score_pending, connection=ctx.redis)
    live_job.save()
    alive = ctx.store.claim_batch(live_job.id, 10)
    assert len(dead) == 10 and len(alive) == 3 and ctx.store.pending_count() == 0

    assert worker.recover(ctx) == 10
    assert ctx.redis.lrange(store.PENDING, 0, -1) == [k.encode() for k in dead]
    assert not ctx.redis.exists(store.BATCH.format(owner="0b5e55ed-dead-job"))
    assert ctx.redis.llen(store.BATCH.format(owner=live_job.id)) == 3  # its job may still run
    assert ctx.scoring.count == 1  # recovery asked for scoring

    drain()
    assert ctx.store.pending_count() == 0
    assert ctx.store.stats()["scored"] == 10
    assert all(ctx.store.load_posts([k])[0][1] is not None for k in dead)
    assert worker.recover(ctx) == 0
