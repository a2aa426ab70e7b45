"""`sitroom worker`: an RQ SimpleWorker with the scheduler on, detectors loaded up front."""

from __future__ import annotations

import logging

from rq import Queue, SimpleWorker
from rq.job import Job

from bot import clock, delivery, escalation, ingest, jobs

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


class Worker(SimpleWorker):
    """A SimpleWorker that notices a stop request within a second.

    RQ listens for commands in a thread that waits 60 s per poll, and redis-py joins that
    thread when the worker stops: a worker asked to stop (Ctrl-C, honcho, systemd) would
    linger up to a minute, and one killed meanwhile would orphan its scheduler process.
    """

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=0.5, daemon=True, exception_handler=self._pubsub_exception_handler)


def run(ctx, burst: bool = False, scorer=None) -> None:
    """Load the model, recover lost batches, make sure the clock ticks, then work the queues."""
    jobs.prepare(ctx, scorer)
    recover(ctx)
    if not burst:  # a burst worker runs no scheduler: the clock needs one
        clock.ensure(ctx)
    # Deliveries first: they are few and people wait for them; scoring fills the time between.
    names = (delivery.QUEUE, escalation.QUEUE, clock.QUEUE)
    queues = [Queue(name, connection=ctx.redis) for name in names] + [ctx.scoring]
    worker = (BurstWorker if burst else Worker)(queues, connection=ctx.redis)
    log.info("worker %s ready on queue %s", worker.name, ctx.scoring.name)
    worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
