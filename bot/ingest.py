"""Accepting posts: dedupe, write durably, queue for scoring — then, and only then, answer.

A post already stored that arrives with other engagement counts (followers, likes, shares,
replies), read later than the stored ones, is an engagement update: its new counts are kept and
queued for scoring again (bot/engagement.py); the same counts again are a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field, replace

from rq import Retry

from bot.models import Post

# Scoring is retried with backoff; after the last try the job stays in RQ's failed registry.
RETRY = Retry(max=5, interval=[1, 5, 15, 60, 300])


@dataclass
class Accepted:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # ids of stored posts with new engagement counts

    def to_dict(self) -> dict:
        return {"accepted": len(self.accepted), "duplicates": self.duplicates, "ids": self.accepted,
                "updated": self.updated}


def accept(ctx, posts: list[Post]) -> Accepted:
    """Store new posts and engagement updates (other duplicates by source and id are skipped) and
    make sure a worker scores them."""
    if ctx.cfg.privacy.pseudonymise_authors:
        key = ctx.store.secret("pseudonym").encode()
        posts = [p if ctx.cfg.is_own(p.channel, p.author_id) else pseudonymise(key, p) for p in posts]
    now = time.time()  # counts a source did not time were read now
    posts = [p if p.observed_at is not None else replace(p, observed_at=now) for p in posts]
    states = ctx.store.accept(posts, ctx.cfg.retention.posts)
    result = Accepted()
    for post, state in zip(posts, states):
        [result.duplicates, result.accepted, result.updated][state].append(post.id)
    if result.accepted or result.updated:
        request_scoring(ctx)
    return result


def request_scoring(ctx) -> None:
    """Enqueue a scoring job unless one is already on its way."""
    from bot import jobs  # jobs imports the scorer; keep the web process light until needed

    if ctx.store.request_scoring():
        ctx.scoring.enqueue(jobs.score_pending, retry=RETRY, job_timeout=600, result_ttl=60, failure_ttl=7 * 86400)


def pseudonymise(key: bytes, post: Post) -> Post:
    """Replace the author id with a keyed hash: stable per author, useless outside this installation."""
    if not post.author_id or post.author_id.startswith("p:"):
        return post
    digest = hmac.new(key, post.author_id.encode(), hashlib.sha256).hexdigest()[:16]
    return replace(post, author_id="p:" + digest)


def check_channels(cfg, posts: list[Post]) -> None:
    """Every post must come from a channel config.yaml watches: a typo would hide it from rules."""
    from bot.sources import InputError

    known = {s.name for s in cfg.sources}
    problems = [
        f"posts[{i}].channel: unknown channel '{p.channel}'; configured sources: {', '.join(sorted(known))}"
        for i, p in enumerate(posts)
        if p.channel not in known
    ]
    if problems:
        raise InputError(problems)
