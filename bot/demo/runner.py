"""`sitroom demo`: embedded Redis, worker, web server and a synthetic day, as one process tree."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import redis

import uvicorn
from rq import Worker

from bot import redisconn, render, replay, store
from bot.context import Context
from bot.demo import scenario as scenario_mod
from bot.models import Alert
from bot.web import create_app

log = logging.getLogger("sitroom.demo")
GRACE_S = 1800  # an alert up to 30 minutes after an incident's end still belongs to it


def run(headless: bool, duration: float, scale: float, port: int | None) -> int:
    """Run the demo; in headless mode return 0 only if every incident was caught cleanly."""
    demo_dir = redisconn.data_dir() / "demo"
    os.environ["SITROOM_DATA_DIR"] = str(demo_dir)  # the demo's own Redis, emptied on each run
    os.environ.pop("REDIS_URL", None)
    url = redisconn.start_embedded()
    os.environ["REDIS_URL"] = url
    os.environ.setdefault("SITROOM_INGEST_SECRET", secrets.token_hex(16))
    os.environ.setdefault("SITROOM_LOG_LEVEL", "WARNING")
    worker = server = None
    try:
        ctx = Context.create(redis_url=url)
        ctx.redis.flushdb()
        worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=os.environ.copy())
        app = create_app(ctx)
        port = port or _free_port(ctx.cfg.server.host, ctx.cfg.server.port)
        server = uvicorn.Server(uvicorn.Config(app, host=ctx.cfg.server.host, port=port, log_level="warning", timeout_graceful_shutdown=3))
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://{ctx.cfg.server.host}:{port}"
        _wait_ready(ctx, server, worker)
        room_url = f"{base}/?token={app.state.room_token}"
        if not headless:
            print(f"\n  Situation room: {room_url}\n", flush=True)
        scene = scenario_mod.generate(scale=scale)
        alerts = _Listener(ctx, headless)
        alerts.start()
        speed = (scene.end - scene.start) / duration
        fed = {}
        feeder = threading.Thread(
            target=lambda: fed.update(replay.feed(scene.posts, speed, replay.http_sender(base, os.environ["SITROOM_INGEST_SECRET"]))),
            daemon=True,
        )
        feeder.start()
        _progress(ctx, scene, feeder, alerts, headless)
        summary = evaluate(scene, ctx.store.alerts(limit=1000))
        summary["posts"] = len(scene.posts)
        if headless:
            print(json.dumps(summary), flush=True)
            return 0 if summary["ok"] else 1
        print(f"\n  Day replayed: {summary['incidents_alerted_right_department']}/{summary['incidents']} incidents "
              f"alerted, {summary['alerts_outside_incidents']} alerts outside incidents.")
        print(f"  The room stays open at {room_url}  — Ctrl-C stops everything.", flush=True)
        signal.pause() if hasattr(signal, "pause") else threading.Event().wait()
        return 0
    except KeyboardInterrupt:
        print("\nstopping…", file=sys.stderr)
        return 0
    finally:
        if server is not None:
            server.should_exit = True
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
        redisconn.stop_embedded()


def evaluate(scene, alerts: list[Alert]) -> dict:
    """Incidents alerted in the right department, and alerts that fired outside every incident."""
    caught, delays = 0, {}
    for inc in scene.incidents:
        hits = [a for a in alerts if inc.department in a.departments and inc.start <= a.started_at <= inc.end + GRACE_S]
        if hits:
            caught += 1
            delays[inc.name] = round((min(a.started_at for a in hits) - inc.start) / 60, 1)
    outside = [
        a.id for a in alerts
        if not any(inc.start <= a.started_at <= inc.end + GRACE_S for inc in scene.incidents)
    ]
    return {
        "incidents": len(scene.incidents),
        "incidents_alerted_right_department": caught,
        "alerts_outside_incidents": len(outside),
        "alerts": len(alerts),
        "minutes_to_first_alert": delays,
        "ok": caught == len(scene.incidents) and not outside,
    }


def _free_port(host: str, preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind((host, preferred))
            return preferred
        except OSError:
            s.bind((host, 0))
            return s.getsockname()[1]


def _wait_ready(ctx, server, worker, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"the worker stopped during start-up (exit code {worker.returncode})")
        if server.started and Worker.all(queue=ctx.scoring):
            return
        time.sleep(0.2)
    raise SystemExit("the worker or the web server did not start within two minutes")


class _Listener(threading.Thread):
    """Prints each alert as it fires (a JSON line in headless mode)."""

    def __init__(self, ctx, headless: bool):
        super().__init__(daemon=True)
        self.ctx, self.headless, self.count = ctx, headless, 0
        self.pubsub = ctx.redis.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(store.EVENTS)

    def run(self) -> None:
        try:
            self._listen()
        except redis.ConnectionError:  # Redis stops at the end of the demo
            pass

    def _listen(self) -> None:
        for message in self.pubsub.listen():
            event = json.loads(message["data"])
            if event.get("type") != "alert" or event["change"] != "fired":
                continue
            alert = Alert.from_dict(event["alert"])
            self.count += 1
            when = datetime.fromtimestamp(alert.started_at, ZoneInfo(self.ctx.cfg.timezone))
            if self.headless:
                print(json.dumps({
                    "alert": alert.id, "rule": alert.rule, "severity": alert.severity.value,
                    "departments": alert.departments, "labels": alert.labels,
                    "event_time": when.isoformat(timespec="minutes"), "current": alert.current,
                    "baseline": alert.baseline, "title": render.title(self.ctx.cfg, alert, "en"),
                }, ensure_ascii=False), flush=True)
            else:
                local = render.local_time(self.ctx.cfg, alert.started_at)
                print(f"\r\033[K  🚨 {local}  #{alert.id} {alert.severity.value.upper():8} → "
                      f"{', '.join(alert.departments)}: {render.title(self.ctx.cfg, alert, 'en')}", flush=True)


def _progress(ctx, scene, feeder: threading.Thread, alerts: _Listener, headless: bool) -> None:
    """A progress bar until every post is sent and scored."""
    total = len(scene.posts)
    settle_deadline = None
    while True:
        stats = ctx.store.stats()
        scored, accepted = stats.get("scored", 0), stats.get("accepted", 0)
        sim = ctx.store.watermark() or scene.start
        if not headless:
            done = min(1.0, scored / total)
            bar = "█" * int(done * 30) + "░" * (30 - int(done * 30))
            clock = render.local_time(ctx.cfg, sim)
            sys.stderr.write(f"\r\033[K  {bar} {clock}  {accepted:,}/{total:,} in · {scored:,} scored · {alerts.count} alerts")
            sys.stderr.flush()
        if not feeder.is_alive():
            settle_deadline = settle_deadline or time.monotonic() + 300
            if scored >= accepted and ctx.store.pending_count() == 0 or time.monotonic() > settle_deadline:
                break
        time.sleep(0.5)
    time.sleep(1.0)  # let the last alert events reach the listener
    if not headless:
        sys.stderr.write("\n")
