"""`sitroom worker`: an RQ SimpleWorker with the scheduler on, detectors loaded up front."""

from __future__ import annotations

import logging

from rq import Queue, SimpleWorker
from rq.job import Job

from bot import delivery, escalation, ingest, jobs

log = logging.getLogger("sitroom.worker")


def recover(ctx) -> int:
    """Give batches whose job is gone back to the pending list.

    RQ itself retries a job whose worker died, and the retry finds its batch again; a job
    that failed for good stays visible in the failed registry with its batch until it expires.
    """
    moved = ctx.store.requeue_batches(lambda owner: Job.exists(owner, connection=ctx.redis))
    if moved:
        log.warning("requeued %d posts from scoring jobs that died", moved)
    if ctx.store.pending_count():
        ingest.request_scoring(ctx)
    return moved


class BurstWorker(SimpleWorker):
    """A SimpleWorker that stops when the queue is empty and listens for no commands.

    RQ's command listener waits up to 60 s for its thread when the worker stops; a burst
    worker lives for seconds and has no use for it.
    """

    def subscribe(self) -> None:
        self.pubsub_thread = None


def run(ctx, burst: bool = False, scorer=None) -> None:
    """Load the model, recover lost batches, then work the scoring queue."""
    jobs.prepare(ctx, scorer)
    recover(ctx)
    # Deliveries first: they are few and people wait for them; scoring fills the time between.
    queues = [Queue(name, connection=ctx.redis) for name in (delivery.QUEUE, escalation.QUEUE)] + [ctx.scoring]
    worker = (BurstWorker if burst else SimpleWorker)(queues, connection=ctx.redis)
    log.info("worker %s ready on queue %s", worker.name, ctx.scoring.name)
    worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
