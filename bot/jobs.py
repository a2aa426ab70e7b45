"""RQ jobs. Workers run them in-process (SimpleWorker), so the model loads once per worker."""

from __future__ import annotations

import logging

from rq import get_current_job

from bot import ingest, scoring

log = logging.getLogger("sitroom.jobs")
_state = None  # (ctx, scorer, evaluator) of this worker process
_ctx = None
_evaluator = None  # for evaluations in a process that scores nothing (no model needed)


def prepare(ctx, scorer=None) -> None:
    """Load the detectors for this process before the first job arrives."""
    global _state
    if scorer is None:
        from detectors.scorer import Scorer

        scorer = Scorer.from_config(ctx.cfg)
    from bot import platforms

    platforms.preload()
    _state = (ctx, scorer, scoring.Evaluator(ctx))


def _worker_state():
    if _state is None:
        prepare(context())
    return _state


def context():
    """This worker process's Context (jobs that need no model use only this)."""
    global _ctx
    if _state is not None:
        return _state[0]
    if _ctx is None:
        from bot.context import Context

        _ctx = Context.create()
    return _ctx


def score_pending() -> int:
    """Score the next batch of pending posts; queue a follow-up while posts keep waiting."""
    ctx, scorer, evaluator = _worker_state()
    ctx.follow_rules()
    owner = get_current_job().id
    ctx.store.clear_scoring_request()  # before claiming: posts that arrive later ask again
    keys = ctx.store.claim_batch(owner, ctx.cfg.detectors.batch_size)
    done = scoring.process(ctx, scorer, evaluator, keys) if keys else 0
    ctx.store.release_batch(owner)
    if ctx.store.pending_count():
        ingest.request_scoring(ctx)
    return done


def evaluate() -> list:
    """Run the rules with nothing newly scored (the clock's tick): rules that need time alone,
    like flatline and resolve_after, work when no post arrives at all. Returns the changed alerts."""
    global _evaluator
    if _state is not None:
        evaluator = _state[2]
    else:
        if _evaluator is None:
            _evaluator = scoring.Evaluator(context())
        evaluator = _evaluator
    evaluator.ctx.follow_rules()
    return evaluator.evaluate(set())
