"""The real app over real HTTP: signed ingestion, webhooks, health, and the room's API."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from tests.conftest import FACEBOOK_SECRET, FACEBOOK_VERIFY, INGEST_SECRET

T0 = 1763283600.0  # 2025-11-16 09:00 UTC (10:00 in Berlin)
PAGE_ID = "104857600000001"  # the account of the fb_telvia source in config.yaml
SIGNATURE = "X-Sitroom-Signature-256"


# --- helpers ------------------------------------------------------------------------------

@contextlib.contextmanager
def serve(app, port: int = 0):
    """Serve an ASGI app with uvicorn in a thread on a loopback port (0: a free one); yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def app(ctx):
    from bot.web import create_app

    return create_app(ctx)


@pytest.fixture
def server(ctx, app):
    """The real app for `ctx`, served on 127.0.0.1; yields the base URL."""
    with serve(app) as url:
        yield url


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server, timeout=10, trust_env=False) as client:
        yield client


def sign(raw: bytes, secret: str = INGEST_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def send(http: httpx.Client, path: str, payload, secret: str = INGEST_SECRET, header: str = SIGNATURE) -> httpx.Response:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    return http.post(path, content=raw, headers={header: sign(raw, secret), "Content-Type": "application/json"})


def generic(i, **kw) -> dict:
    return {"id": f"p{i}", "channel": "x_support", "text": f"Frage Nummer {i} zum Tarif", "created_at": T0 + i, **kw}


def outage(n=30, prefix="o") -> list[dict]:
    return [
        {"id": f"{prefix}{i}", "channel": "x_support", "text": f"Kein Netz in Köln seit {i} Minuten, Totalausfall!",
         "created_at": T0 + i * 30, "author": {"id": f"u{i}", "name": f"Kunde {i}", "followers": 50 + i}}
        for i in range(n)
    ]


def stored(ctx, key: str):
    found = ctx.store.get_post(key)
    return found[0] if found else None


def nothing_stored(ctx) -> bool:
    return ctx.store.pending_count() == 0 and not ctx.redis.keys("sitroom:post:*")


# --- /ingest/posts ------------------------------------------------------------------------

def test_single_post_is_stored_and_queued_before_the_answer(ctx, http):
    r = send(http, "/ingest/posts", generic(1, author={"id": "u-88", "name": "Jana", "followers": 312}))
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 1, "duplicates": [], "ids": ["p1"], "updated": []}
    post = stored(ctx, "generic:p1")
    assert post is not None and post.text == "Frage Nummer 1 zum Tarif" and post.created_at == T0 + 1
    assert post.followers == 312 and post.author_name == "Jana"
    assert post.author_id.startswith("p:")  # pseudonymised on the way in
    assert ctx.store.pending_count() == 1
    assert ctx.scoring.count == 1  # a scoring job is on its way


def test_list_and_batch_object_and_resend(ctx, http):
    r = send(http, "/ingest/posts", [generic(1), generic(2)])
    assert r.status_code == 202 and r.json()["accepted"] == 2 and r.json()["duplicates"] == []
    r = send(http, "/ingest/posts", {"posts": [generic(3), generic(4), generic(5)]})
    assert r.status_code == 202 and r.json()["ids"] == ["p3", "p4", "p5"]
    assert all(stored(ctx, f"generic:p{i}") for i in range(1, 6))
    r = send(http, "/ingest/posts", {"posts": [generic(2), generic(5), generic(6)]})
    assert r.status_code == 202
    assert r.json() == {"accepted": 1, "duplicates": ["p2", "p5"], "ids": ["p6"], "updated": []}
    assert ctx.store.pending_count() == 6
    assert ctx.store.stats()["duplicates"] == 2


@pytest.mark.parametrize("header", [
    None,  # missing
    "sha256=" + "0" * 64,  # wrong digest
    "wrong-secret",  # signed with another key
    "unprefixed",  # the right digest without "sha256="
])
def test_unsigned_or_badly_signed_posts_are_refused(ctx, http, header):
    raw = json.dumps(generic(1)).encode()
    headers = {}
    if header == "wrong-secret":
        headers[SIGNATURE] = sign(raw, "another-secret")
    elif header == "unprefixed":
        headers[SIGNATURE] = sign(raw)[len("sha256="):]
    elif header:
        headers[SIGNATURE] = header
    r = http.post("/ingest/posts", content=raw, headers=headers)
    assert r.status_code == 401
    assert "signature" in r.json()["detail"]
    assert nothing_stored(ctx)


def test_body_changed_after_signing_is_refused(ctx, http):
    raw = json.dumps(generic(1)).encode()
    r = http.post("/ingest/posts", content=raw.replace(b"Tarif", b"Tariff"), headers={SIGNATURE: sign(raw)})
    assert r.status_code == 401 and nothing_stored(ctx)


def test_without_an_ingest_secret_the_endpoints_are_off(redis, redis_url, env_secrets, monkeypatch):
    from bot.context import Context
    from bot.web import create_app
    from tests.conftest import ROOT

    monkeypatch.delenv("SITROOM_INGEST_SECRET")
    ctx = Context.create(f"{ROOT}/config.yaml", redis_url=redis_url)
    assert ctx.cfg.secrets.ingest_secret is None
    with serve(create_app(ctx)) as url, httpx.Client(base_url=url, trust_env=False, timeout=10) as http:
        for path in ("/ingest/posts", "/ingest/x?channel=x_support"):
            r = send(http, path, generic(1), secret="")
            assert r.status_code == 503, path
            assert "SITROOM_INGEST_SECRET" in r.json()["detail"]
    assert nothing_stored(ctx)


def test_malformed_json_names_line_and_column(ctx, http):
    r = send(http, "/ingest/posts", b'{"id": "p1",\n  "channel": x_support}')
    assert r.status_code == 400
    [problem] = r.json()["problems"]
    assert "line 2, column 14" in problem
    assert nothing_stored(ctx)


def test_wrong_types_and_missing_fields_are_listed_by_path(ctx, http):
    bad = generic(2, metrics={"likes": "5"}, language="German")
    del bad["text"]
    r = send(http, "/ingest/posts", [generic(1), bad])
    assert r.status_code == 400
    problems = r.json()["problems"]
    paths = sorted(p.split(":")[0] for p in problems)
    assert paths == ["posts[1].language", "posts[1].metrics.likes", "posts[1].text"], problems
    assert any(p.startswith("posts[1].text: required field is missing") for p in problems)


def test_a_batch_with_one_bad_post_stores_nothing(ctx, http):
    posts = [generic(i) for i in range(10)]
    posts[7]["created_at"] = "2024-05-01T10:00:00"  # no timezone
    r = send(http, "/ingest/posts", {"posts": posts})
    assert r.status_code == 400
    assert r.json()["problems"] == [
        "posts[7].created_at: ISO 8601 time needs a timezone, e.g. 'Z' or '+01:00' (got '2024-05-01T10:00:00')"
    ]
    assert nothing_stored(ctx) and ctx.scoring.count == 0


def test_unknown_channel_is_named_and_nothing_is_stored(ctx, http):
    r = send(http, "/ingest/posts", [generic(1), generic(2, channel="x_suport")])
    assert r.status_code == 400
    [problem] = r.json()["problems"]
    assert problem.startswith("posts[1].channel: unknown channel 'x_suport'")
    assert "x_support" in problem  # lists the configured ones
    assert nothing_stored(ctx)


def test_oversized_bodies_are_refused_and_the_server_keeps_serving(ctx, http):
    limit = ctx.cfg.server.max_body_bytes
    big = json.dumps(generic(1, text="x" * limit)).encode()
    assert len(big) > limit
    r = send(http, "/ingest/posts", big)  # with a Content-Length
    assert r.status_code == 413 and str(limit) in r.json()["detail"]

    def chunks():  # no Content-Length: the limit must hold while reading
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    r = http.post("/ingest/posts", content=chunks(), headers={SIGNATURE: sign(big)})
    assert r.status_code == 413 and str(limit) in r.json()["detail"]
    assert nothing_stored(ctx)

    r = send(http, "/ingest/posts", generic(2))
    assert r.status_code == 202 and r.json()["accepted"] == 1
    assert stored(ctx, "generic:p2") is not None


# --- Facebook -----------------------------------------------------------------------------

def test_facebook_handshake(http):
    ok = {"hub.mode": "subscribe", "hub.verify_token": FACEBOOK_VERIFY, "hub.challenge": "1158201444"}
    r = http.get("/ingest/facebook", params=ok)
    assert r.status_code == 200 and r.text == "1158201444"
    r = http.get("/ingest/facebook", params={**ok, "hub.verify_token": "guess"})
    assert r.status_code in (400, 403) and "verify_token" in r.text
    r = http.get("/ingest/facebook", params={**ok, "hub.mode": "unsubscribe"})
    assert r.status_code in (400, 403) and "1158201444" not in r.text


def facebook_comment(page=PAGE_ID) -> dict:
    return {
        "object": "page",
        "entry": [{
            "id": page,
            "time": int(T0),
            "changes": [
                {"field": "feed", "value": {
                    "item": "comment", "verb": "add", "post_id": f"{page}_555", "comment_id": "555_777",
                    "parent_id": f"{page}_555", "message": "Seit heute früh kein Netz in Bonn",
                    "from": {"id": "9001", "name": "Kim Schulz"}, "created_time": int(T0) + 60,
                }},
                {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": f"{page}_555"}},
            ],
        }],
    }


def test_facebook_comment_is_stored(ctx, http):
    r = send(http, "/ingest/facebook", facebook_comment(), secret=FACEBOOK_SECRET, header="X-Hub-Signature-256")
    assert r.status_code == 202, r.text
    assert r.json()["ids"] == ["555_777"]
    post = stored(ctx, "facebook:555_777")
    assert post is not None
    assert (post.channel, post.text, post.created_at) == ("fb_telvia", "Seit heute früh kein Netz in Bonn", T0 + 60)
    assert post.in_reply_to == f"{PAGE_ID}_555" and post.author_name == "Kim Schulz"
    assert ctx.store.pending_count() == 1  # the reaction is not a post


def test_facebook_signature_and_page_are_checked(ctx, http):
    raw = json.dumps(facebook_comment()).encode()
    r = http.post("/ingest/facebook", content=raw, headers={"X-Hub-Signature-256": sign(raw, INGEST_SECRET)})
    assert r.status_code == 401
    r = http.post("/ingest/facebook", content=raw, headers={SIGNATURE: sign(raw, FACEBOOK_SECRET)})
    assert r.status_code == 401  # Facebook's header, not ours
    r = send(http, "/ingest/facebook", facebook_comment(page="999"), secret=FACEBOOK_SECRET, header="X-Hub-Signature-256")
    assert r.status_code == 400 and "page '999'" in r.json()["problems"][0]
    assert nothing_stored(ctx)


# --- X ------------------------------------------------------------------------------------

X_PAYLOAD = {
    "data": [
        {"id": "1857000000000000001", "text": "Kein Netz in Köln, @TelviaHilfe was ist los?", "created_at": "2025-11-16T08:00:00.000Z",
         "author_id": "42", "lang": "de", "edit_history_tweet_ids": ["1857000000000000001"],
         "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": 5, "quote_count": 1, "bookmark_count": 0}},
        {"id": "1857000000000000002", "text": "same here", "created_at": "2025-11-16T08:01:00.000Z", "author_id": "43"},
    ],
    "includes": {"users": [
        {"id": "42", "name": "Jana K.", "username": "jana_k", "public_metrics": {"followers_count": 312, "following_count": 9}},
        {"id": "43", "name": "", "username": "bonner", "public_metrics": {"followers_count": 12000}},
    ]},
    "meta": {"result_count": 2},
}


def test_x_payload_is_stored_with_followers(ctx, http):
    r = send(http, "/ingest/x?channel=x_support", X_PAYLOAD)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 2
    first = stored(ctx, "x:1857000000000000001")
    assert first.channel == "x_support" and first.followers == 312 and first.author_name == "Jana K."
    assert (first.likes, first.shares, first.replies) == (5, 3, 1)
    assert first.created_at == T0 - 3600 and first.language == "de"
    assert first.url == "https://x.com/jana_k/status/1857000000000000001"
    assert stored(ctx, "x:1857000000000000002").followers == 12000
    r = send(http, "/ingest/x?channel=x_support", X_PAYLOAD)
    assert r.json()["duplicates"] == ["1857000000000000001", "1857000000000000002"]


@pytest.mark.parametrize("channel", ["x_nope", "fb_telvia", ""])
def test_x_refuses_channels_that_are_not_x_sources(ctx, http, channel):
    r = send(http, f"/ingest/x?channel={channel}" if channel else "/ingest/x", X_PAYLOAD)
    assert r.status_code == 400
    [problem] = r.json()["problems"]
    assert f"'{channel}'" in problem and "x_support" in problem
    assert nothing_stored(ctx)


# --- /healthz -----------------------------------------------------------------------------

def test_healthz_needs_a_worker(ctx, http):
    r = http.get("/healthz")
    assert r.status_code == 503
    assert r.json()["workers"] == 0 and r.json()["redis"] == "up"
    send(http, "/ingest/posts", [generic(1), generic(2)])

    from rq import SimpleWorker

    worker = SimpleWorker([ctx.scoring], connection=ctx.redis)
    worker.register_birth()
    try:
        r = http.get("/healthz")
        assert r.status_code == 200
        body = r.json()
        assert body["ok"] is True and body["workers"] == 1
        assert body["pending_posts"] == 2 and body["queued_jobs"] == 1 and body["accepted"] == 2
    finally:
        worker.register_death()
    assert http.get("/healthz").status_code == 503


# --- the room -----------------------------------------------------------------------------

def test_room_needs_the_token(app, http):
    token = app.state.room_token
    assert len(token) >= 16
    assert http.get("/").status_code == 401
    assert http.get("/", params={"token": "wrong"}).status_code == 401
    assert http.get("/room/api/state").status_code == 401
    assert http.post("/room/api/chat", json={"department": "network", "user": "a", "text": "help"}).status_code == 401
    assert http.get("/room/api/state", headers={"Authorization": "Bearer wrong"}).status_code == 401

    r = http.get("/", params={"token": token})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert http.cookies.get("sitroom_room") == token

    page = http.get("/")
    assert page.status_code == 200 and "room.js" in page.text
    state = http.get("/room/api/state")
    assert state.status_code == 200
    assert [d["name"] for d in state.json()["departments"]] == ["network", "devices", "security", "care", "social"]
    assert state.json()["organisation"] == "Telvia" and state.json()["alerts"] == []
    assert http.get("/room/static/room.js").status_code == 200


@pytest.fixture
def room(app, http):
    """The http client, inside the room."""
    assert http.get("/", params={"token": app.state.room_token}).status_code == 303
    return http


def test_post_to_alert_to_ack_over_http(ctx, room, drain):
    r = send(room, "/ingest/posts", {"posts": outage()})
    assert r.status_code == 202 and r.json()["accepted"] == 30
    drain()
    assert ctx.store.pending_count() == 0

    alerts = room.get("/room/api/state").json()["alerts"]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["departments"] == ["network"]
    card = alert["cards"]["de"]
    assert card["status"] == "firing" and [a["label"] for a in card["actions"]] == ["Bestätigen", "Erledigt", "1 h stumm", "Eskalieren"]
    assert card["where"] == "Wo: Köln/Bonn"
    assert len(card["posts"]) == 3 and all("Kein Netz in Köln" in p["text"] for p in card["posts"])
    assert alert["cards"]["en"]["actions"][0] == {"action": "ack", "label": "Acknowledge"}

    first = room.post("/room/api/act", json={"alert_id": alert["id"], "action": "ack", "user": "aylin.demir"})
    assert first.status_code == 200
    assert first.json() == {"reply": f"Alert #{alert['id']} acknowledged by aylin.demir.", "lang": "en"}
    second = room.post("/room/api/act", json={"alert_id": alert["id"], "action": "ack", "user": "jonas.becker", "department": "network"})
    assert second.status_code == 200 and second.json()["lang"] == "de"
    assert second.json()["reply"].startswith(f"Alarm #{alert['id']} wurde schon von aylin.demir bestätigt")
    missing = room.post("/room/api/act", json={"alert_id": 999, "action": "ack", "user": "jonas.becker"})
    assert missing.json()["reply"] == "There is no alert #999."

    card = room.get("/room/api/state").json()["alerts"][0]["cards"]["de"]
    assert card["status"] == "acknowledged" and "ack" not in [a["action"] for a in card["actions"]]
    assert card["status_line"].startswith("Bestätigt von aylin.demir (room) um ")

    outsider = room.post("/room/api/act", json={"alert_id": alert["id"], "action": "resolve", "user": "anna"})
    assert outsider.json()["reply"].startswith(f"Only members of Network Operations can change alert #{alert['id']}")
    assert ctx.store.get_alert(alert["id"]).status.value == "acknowledged"
    assert [(e["user"], e["action"], e["outcome"]) for e in ctx.store.audit_log()] == [
        ("aylin.demir", "ack", "acknowledged"), ("jonas.becker", "ack", "unchanged"),
        ("jonas.becker", "ack", "missing"), ("anna", "resolve", "forbidden")]

    de = room.post("/room/api/chat", json={"department": "network", "user": "anna", "text": "offene Alarme"})
    assert de.status_code == 200 and de.json()["lang"] == "de"
    assert de.json()["reply"].startswith("1 offener Alarm:") and f"#{alert['id']}" in de.json()["reply"]
    assert "bestätigt" in de.json()["reply"]
    en = room.post("/room/api/chat", json={"department": "network", "user": "anna", "text": "open alerts"})
    assert en.json()["lang"] == "en" and en.json()["reply"].startswith("1 open alert:")
    assert "acknowledged" in en.json()["reply"]

    history = room.get("/room/api/state").json()["chat"]["network"]
    assert [(m["from"], m["bot"]) for m in history] == [("anna", False), ("sitroom", True)] * 2
    assert history[0]["text"] == "offene Alarme" and history[1]["alerts"] == [alert["id"]]


@pytest.mark.parametrize("path,body,field", [
    ("/room/api/chat", {"department": "network", "user": "anna"}, "text"),
    ("/room/api/chat", {"department": "network", "user": 7, "text": "hi"}, "user"),
    ("/room/api/chat", {"department": "marketing", "user": "anna", "text": "hi"}, "department"),
    ("/room/api/act", {"alert_id": "1", "action": "ack", "user": "anna"}, "alert_id"),
    ("/room/api/act", {"alert_id": True, "action": "ack", "user": "anna"}, "alert_id"),
    ("/room/api/act", {"alert_id": 1, "action": "delete", "user": "anna"}, "action"),
])
def test_room_api_names_the_bad_field(ctx, room, path, body, field):
    r = room.post(path, json=body)
    assert r.status_code == 400
    [problem] = r.json()["problems"]
    assert problem.startswith(f"{field}: ")
    assert ctx.store.chat_history("network") == []


def test_room_api_refuses_bad_json(room):
    r = room.post("/room/api/chat", content=b'{"department": "network",', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["problems"][0].startswith("body: not valid JSON")
    r = room.post("/room/api/chat", json=["network", "anna", "hi"])
    assert r.status_code == 400 and r.json()["problems"] == ["body: expected a JSON object"]
