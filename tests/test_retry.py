"""A scoring job that fails is retried with backoff, keeps its posts, and finishes them later."""

import time

from rq.registry import ScheduledJobRegistry
from rq.scheduler import RQScheduler

from bot import ingest, worker
from tests.test_pipeline import outage_posts


class BrokenScorer:
    def score(self, posts):
        raise RuntimeError("model crashed")


def test_failed_scoring_is_retried_and_loses_nothing(ctx, scorer):
    ingest.accept(ctx, outage_posts(10))
    worker.run(ctx, burst=True, scorer=BrokenScorer())
    scheduled = ScheduledJobRegistry(queue=ctx.scoring)
    [job_id] = scheduled.get_job_ids()
    job = ctx.scoring.fetch_job(job_id)
    assert job.retries_left == 4
    assert ctx.store.stats().get("scored", 0) == 0
    assert ctx.store.pending_count() == 0  # the posts wait in the job's own batch

    time.sleep(1.2)  # the first retry is due after one second
    scheduler = RQScheduler([ctx.scoring], connection=ctx.redis)
    scheduler.acquire_locks()  # what `sitroom worker` does with its scheduler on
    scheduler.enqueue_scheduled_jobs()
    scheduler.release_locks()
    worker.run(ctx, burst=True, scorer=scorer)
    assert ctx.store.stats()["scored"] == 10
    assert [a.rule for a in ctx.store.alerts()] == ["network-outage-surge"]
