"""The clock end to end: real `sitroom worker` processes with RQ's scheduler against the test Redis.

The workers run in subprocesses (`python -m tests.test_clock CONFIG`, see the bottom of this file)
with a fake Slack Web API in this process, so nothing here calls a timer or a tick by hand.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml
from rq import Queue, Worker
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from bot import alerting, clock
from tests.conftest import ROOT

NOC = "C0NOC"
DEADLINE_S = 30  # generous: a loaded machine may be slow; nothing here measures time


class _NoModel:
    """The clock and escalation need no scoring model; these workers score nothing."""


@pytest.fixture
def fake_slack():
    from tests.test_slack import FakeSlack  # here, so that the worker processes need not import it

    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def setup(redis, redis_url, env_secrets, fake_slack, tmp_path, monkeypatch):
    """A config whose network department is on the fake Slack, and a one-second escalation chain."""
    from tests.test_slack import SECRET as SLACK_SECRET
    from tests.test_slack import TOKEN as SLACK_TOKEN

    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SLACK_SECRET)
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name in ("SLACK_APP_TOKEN", "MICROSOFT_APP_ID", "SITROOM_TEAMS_DEV", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(f"{ROOT}/rules/incidents.yaml", rules / "incidents.yaml")
    (rules / "escalation.yaml").write_text(
        "escalations:\n  - name: default\n    steps: [{after: 1s, notify: oncall, level: 1}]\n    repeat: false\n", encoding="utf-8")
    with open(f"{ROOT}/config.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["rules"] = str(rules)
    data["reports"] = []  # the shipped reports would post at 08:00 Berlin: this test must not depend on the hour
    data["platforms"] = {"slack": {"api_url": fake_slack.url + "/api"}}
    network = next(d for d in data["departments"] if d["name"] == "network")
    network["destinations"] |= {"slack": {"channel": NOC}}
    network["members"] = ["jonas.becker", {"name": "aylin.demir", "slack": "U0AYLIN"},
                          {"name": "markus.hoffmann", "slack": "U0MARKUS"}]
    network["oncall"] = ["markus.hoffmann", "aylin.demir"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from bot.context import Context

    ctx = Context.create(path, redis_url=redis_url)
    started = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(started)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "tests.test_clock", str(path)], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT, env=os.environ.copy())
        started.append(proc)
        return proc

    yield ctx, start
    stop(*started)


def stop(*procs: subprocess.Popen) -> None:
    """A warm shutdown, as `honcho` or systemd would do it (all at once, then wait for each)."""
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    for proc in running:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(check, what: str):
    deadline = time.monotonic() + DEADLINE_S
    while not (found := check()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)
    return found


def ticks(ctx) -> list[str]:
    """Ids of the tick jobs that are waiting to run: scheduled or queued."""
    scheduled = ScheduledJobRegistry(clock.QUEUE, connection=ctx.redis).get_job_ids()
    return scheduled + Queue(clock.QUEUE, connection=ctx.redis).get_job_ids()


def workers(ctx) -> int:
    return len(Worker.all(connection=ctx.redis))


def test_an_unacknowledged_alert_pages_on_call_after_its_timeout(setup, fake_slack):
    ctx, start = setup
    rule = next(r for r in ctx.rules if r.name == "network-outage-surge")
    from tests.test_noise import fire

    [posted] = alerting.apply(ctx, [fire(rule)])  # the chain's first step: one second from now
    start()
    paged = wait_until(lambda: [c for c in fake_slack.of("chat.postMessage") if c["body"]["channel"] == "U0MARKUS"],
                       "the page to markus.hoffmann")
    assert "Köln/Bonn" in paged[0]["body"]["text"]
    assert [c["body"]["channel"] for c in fake_slack.of("chat.postMessage")][0] == NOC  # the channel had it first
    history = ctx.store.get_alert(posted.id).history
    assert [(h["action"], h.get("who")) for h in history] == [("fired", None), ("paged", ["markus.hoffmann"])]


def test_exactly_one_tick_chain_lives_across_workers_and_restarts(setup):
    ctx, start = setup
    first, _ = start(), start()  # two workers start at once, as after a deploy
    wait_until(lambda: workers(ctx) == 2, "both workers")
    # The first tick ran and scheduled its successor, which now carries the clock (and a tick that
    # lost a race at start-up, if any, has run and ended itself).
    scheduled = ScheduledJobRegistry(clock.QUEUE, connection=ctx.redis)
    holder = wait_until(lambda: (j := ctx.store.clock_job()) in scheduled and not Queue(clock.QUEUE, connection=ctx.redis)
                        .count and j, "the first tick")
    assert ticks(ctx) == [holder]
    stop(first)  # one restarts, the other keeps running
    start()  # the chain recorded in Redis is alive, so no second one is started
    wait_until(lambda: workers(ctx) == 2 and first.poll() is not None, "the restarted worker")
    # Exactly one tick waits, and it carries the clock (holder, or its successor on a slow machine).
    [waiting] = ticks(ctx)
    assert waiting == ctx.store.clock_job() and Job.fetch(waiting, connection=ctx.redis).func_name == "bot.clock.tick"


def test_a_dead_chain_is_replaced_and_a_stray_tick_ends_itself(setup):
    from bot import worker

    ctx, _ = setup
    assert clock.ensure(ctx) and not clock.ensure(ctx)
    [first] = ticks(ctx)
    Job.fetch(first, connection=ctx.redis).delete()  # e.g. lost with a Redis restored from an old backup
    assert clock.ensure(ctx)
    [second] = ticks(ctx)
    stray = Queue(clock.QUEUE, connection=ctx.redis).enqueue(clock.tick)
    worker.run(ctx, burst=True, scorer=_NoModel())
    assert Job.fetch(second, connection=ctx.redis).return_value() == "ticked"
    assert stray.return_value() == "superseded"
    assert ticks(ctx) == [ctx.store.clock_job()]  # one successor, scheduled by the chain's own tick


def _serve(config_path: str) -> None:
    """A worker process for these tests: the real worker, without the scoring model."""
    from bot import worker
    from bot.context import Context

    worker.run(Context.create(config_path), scorer=_NoModel())


if __name__ == "__main__":
    _serve(sys.argv[1])
