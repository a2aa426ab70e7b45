"""Replaying recorded streams in compressed time, into Redis directly or through the web server."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Callable, Iterable, Iterator

import httpx

from bot import ingest
from bot.models import Post
from bot.sources import generic, replayfile

Sender = Callable[[list[Post]], dict]
TICK_S = 0.2  # wall-clock batching: one request per tick keeps HTTP overhead low


def pace(posts: Iterable[Post], speed: float) -> Iterator[list[Post]]:
    """Batches of posts, each released when its compressed event time comes (speed 0: at once).

    A batch spans at most TICK_S of wall time, so the first post in it is at most that late.
    """
    batch: list[Post] = []
    origin: tuple[float, float] | None = None  # (first event time, wall clock then)
    batch_due = 0.0
    for post in posts:
        if speed <= 0:
            due = 0.0
        else:
            origin = origin or (post.created_at, time.monotonic())
            due = origin[1] + (post.created_at - origin[0]) / speed
        if batch and (due > batch_due + TICK_S or len(batch) >= 500):
            yield batch
            batch = []
        if not batch:
            batch_due = due
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        batch.append(post)
    if batch:
        yield batch


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def http_sender(url: str, secret: str, client: httpx.Client | None = None) -> Sender:
    """Send batches to POST {url}/ingest/posts, signed with the ingest secret."""
    client = client or httpx.Client(timeout=30)

    def send(batch: list[Post]) -> dict:
        body = json.dumps({"posts": [generic.to_generic(p) for p in batch]}, ensure_ascii=False).encode()
        response = client.post(
            url.rstrip("/") + "/ingest/posts",
            content=body,
            headers={"Content-Type": "application/json", "X-Sitroom-Signature-256": sign(secret, body)},
        )
        if response.status_code != 202:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:500]}")
        return response.json()

    return send


def direct_sender(ctx) -> Sender:
    """Accept batches straight into Redis, as the web server would."""

    def send(batch: list[Post]) -> dict:
        ingest.check_channels(ctx.cfg, batch)
        return ingest.accept(ctx, batch).to_dict()

    return send


def feed(posts: Iterable[Post], speed: float, send: Sender) -> dict:
    """Replay posts through a sender; returns counts."""
    stats = {"sent": 0, "accepted": 0, "duplicates": 0}
    for batch in pace(posts, speed):
        result = send(batch)
        stats["sent"] += len(batch)
        stats["accepted"] += result["accepted"]
        stats["duplicates"] += len(result["duplicates"])
    return stats


def recorded(path: str) -> list[Post]:
    """The posts of a recorded stream (JSONL or CSV, optionally .gz), sorted by event time."""
    return sorted(replayfile.read(path), key=lambda p: p.created_at)


def run(ctx, path: str, speed: float = 0, url: str | None = None) -> dict:
    """`sitroom replay`: a JSONL or CSV file, sorted by time, at the given compression."""
    posts = recorded(path)
    if url:
        secret = os.environ.get("SITROOM_INGEST_SECRET") or ctx.cfg.secrets.ingest_secret
        if not secret:
            raise SystemExit("sitroom replay --url needs SITROOM_INGEST_SECRET to sign its requests")
        return feed(posts, speed, http_sender(url, secret))
    return feed(posts, speed, direct_sender(ctx))
