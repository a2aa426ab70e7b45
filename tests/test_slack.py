"""Slack over real HTTP: signed requests into /slack/events, the Web API answered by a local fake."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse

import httpx
import pytest
import yaml
from slack_sdk.signature import SignatureVerifier

from bot import commands, render
from bot.models import Alert, Severity
from bot.platforms import NotReady, RateLimited, slack
from bot.texts import say
from tests.conftest import ROOT
from tests.fakehttp import FakeServer
from tests.test_web import serve

TOKEN, SECRET = "xoxb-test-token", "test-slack-signing-secret"
NOC, CERT = "C0NOC", "C0CERT"  # the network (German) and security (English) departments' channels
JONAS, PRIYA = "U0JONAS", "U0PRIYA"  # members of network and security
BOT = "U0BOT"


# --- the fake Slack Web API ---------------------------------------------------------------

class FakeSlack(FakeServer):
    """A Web API on 127.0.0.1 that records every call and can answer 429 once."""

    def __init__(self):
        self.calls: list[dict] = []
        self.limited: dict[str, str] = {}  # method -> Retry-After for its next call
        self.errors: dict[str, str] = {}  # method -> Slack error code for its next call
        self.lock = threading.Lock()
        super().__init__()

    def answer(self, method: str, path: str, headers, raw: bytes):
        if path.startswith("/upload/"):  # files_upload_v2's second step: the file's bytes, to the URL it was given
            with self.lock:
                self.calls.append({"method": "upload", "body": raw, "auth": headers.get("Authorization"), "path": path})
            return 200, {}, "OK"
        text = raw.decode()
        if headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(text or "{}")
        else:
            body = dict(urllib.parse.parse_qsl(text))
        return self.answer_call(path, body, headers.get("Authorization"))

    def answer_call(self, path: str, body: dict, auth: str | None):
        method = path.removeprefix("/api/") if path.startswith("/api/") else "response_url"
        with self.lock:
            self.calls.append({"method": method, "body": body, "auth": auth, "path": path})
            ts = f"1700000000.{len(self.calls):06d}"
            if method in self.limited:
                return 429, {"Retry-After": self.limited.pop(method)}, {"ok": False, "error": "ratelimited"}
            if method in self.errors:
                return 200, {}, {"ok": False, "error": self.errors.pop(method)}
        if method == "auth.test":
            return 200, {}, {"ok": True, "url": "https://telvia.slack.com/", "team": "Telvia", "user": "sitroom",
                             "team_id": "T0TELVIA", "user_id": BOT, "bot_id": "B0BOT"}
        if method == "chat.postMessage":
            return 200, {}, {"ok": True, "channel": body["channel"], "ts": ts, "message": {"text": body.get("text")}}
        if method == "chat.update":
            return 200, {}, {"ok": True, "channel": body["channel"], "ts": body["ts"], "text": body.get("text")}
        if method == "chat.postEphemeral":
            return 200, {}, {"ok": True, "message_ts": ts}
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.calls):04d}"
            return 200, {}, {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/v1/{file_id}"}
        if method == "files.completeUploadExternal":
            files = [{"id": f["id"], "title": f.get("title"), "mimetype": "image/png"} for f in json.loads(body["files"])]
            return 200, {}, {"ok": True, "files": files}
        if method == "response_url":
            return 200, {}, {"ok": True}
        return 200, {}, {"ok": False, "error": "unknown_method"}

    def of(self, *methods: str) -> list[dict]:
        with self.lock:
            return [c for c in self.calls if c["method"] in methods]

    def wait_for(self, method: str, n: int = 1, timeout: float = 10) -> list[dict]:
        """Bolt answers Slack first and runs listeners afterwards: wait for their calls."""
        deadline = time.monotonic() + timeout
        while len(found := self.of(method)) < n:
            assert time.monotonic() < deadline, f"no {method} call; calls: {self.calls}"
            time.sleep(0.02)
        return found


@pytest.fixture
def fake():
    server = FakeSlack()
    yield server
    server.close()


@pytest.fixture
def slack_env(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


def write_config(tmp_path, api_url: str, mode: str | None = None) -> str:
    """The shipped config.yaml with Slack channels, members' Slack ids and the fake's URL."""
    with open(os.path.join(ROOT, "config.yaml"), encoding="utf-8") as f:
        data = yaml.safe_load(f)
    depts = {d["name"]: d for d in data["departments"]}
    depts["network"]["destinations"]["slack"] = {"channel": NOC}
    depts["network"]["members"][0] = {"name": "jonas.becker", "slack": JONAS}
    depts["security"]["destinations"]["slack"] = {"channel": CERT}
    depts["security"]["members"][0] = {"name": "priya.nair", "slack": PRIYA}
    data["platforms"] = {"slack": {"api_url": api_url, **({"mode": mode} if mode else {})}}
    data["rules"] = os.path.join(ROOT, "rules")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def sctx(redis, redis_url, env_secrets, slack_env, fake, tmp_path):
    """A Context whose config has Slack channels and ids, pointed at the fake Web API."""
    from bot.context import Context

    return Context.create(write_config(tmp_path, fake.url + "/api"), redis_url=redis_url)  # no trailing slash on purpose


@pytest.fixture
def url(sctx):
    from bot.web import create_app

    app = create_app(sctx)
    slack.mount(app, sctx)
    with serve(app) as base:
        yield base


def new_alert(ctx, department: str, topic: str = "network_outage") -> Alert:
    alert = Alert(
        id=ctx.store.new_alert_id(), fingerprint=f"fp-{department}-{topic}", rule="volume_spike",
        severity=Severity.CRITICAL, departments=[department], labels={"topic": topic, "region": "koeln_bonn"},
        summary={}, current=120, baseline=8, window_s=900, started_at=time.time() - 600, created_wall=time.time(),
    )
    ctx.store.save_alert(alert, 3600)
    return alert


def post(url: str, body: bytes, content_type: str, secret: str = SECRET) -> httpx.Response:
    """A request signed the way Slack signs them (v0, HMAC-SHA256 over timestamp and body)."""
    ts = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": content_type}
    return httpx.post(url + slack.PATH, content=body, headers=headers, timeout=10, trust_env=False)


def slash(url: str, fake: FakeSlack, text: str, channel: str, user: str, secret: str = SECRET) -> httpx.Response:
    form = {"token": "legacy", "team_id": "T0TELVIA", "team_domain": "telvia", "channel_id": channel,
            "channel_name": "noc", "user_id": user, "user_name": "jonas", "command": "/sitroom", "text": text,
            "api_app_id": "A0SITROOM", "response_url": f"{fake.url}/commands/T0TELVIA/1/abc", "trigger_id": "1.2.3"}
    return post(url, urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded", secret)


def event(url: str, ev: dict) -> httpx.Response:
    """An Events API delivery, as Slack wraps it."""
    body = {"token": "legacy", "team_id": "T0TELVIA", "api_app_id": "A0SITROOM", "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TELVIA", "user_id": BOT, "is_bot": True}], "event": ev}
    return post(url, json.dumps(body).encode(), "application/json")


def click(url: str, fake: FakeSlack, alert_id: int, action: str, user: str, channel: str = NOC) -> httpx.Response:
    payload = {
        "type": "block_actions", "api_app_id": "A0SITROOM", "token": "legacy", "trigger_id": "1.2.3",
        "user": {"id": user, "username": "someone", "name": "someone", "team_id": "T0TELVIA"},
        "team": {"id": "T0TELVIA", "domain": "telvia"}, "channel": {"id": channel, "name": "noc"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": channel, "is_ephemeral": False},
        "message": {"type": "message", "ts": "1700000000.000001", "text": "alert"},
        "response_url": f"{fake.url}/actions/T0TELVIA/1/xyz",
        "actions": [{"type": "button", "action_id": f"sitroom:{action}", "block_id": f"sitroom:{alert_id}",
                     "value": str(alert_id), "text": {"type": "plain_text", "text": action}, "action_ts": "1700000001.0"}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return post(url, body, "application/x-www-form-urlencoded")


def expected(ctx, text: str, department: str | None, user: str, user_id: str) -> commands.Reply:
    return commands.handle(ctx, commands.Request(text, user, department, "slack", user_id=user_id))


# --- inbound ------------------------------------------------------------------------------

def test_slash_command_in_the_german_channel_answers_in_german_for_that_department(sctx, url, fake):
    mine, other = new_alert(sctx, "network"), new_alert(sctx, "security", "phishing")
    response = slash(url, fake, "offene Alarme", NOC, JONAS)
    assert response.status_code == 200 and response.text == ""  # acked at once; the answer follows
    [answer] = fake.wait_for("response_url")
    reply = expected(sctx, "offene Alarme", "network", "jonas.becker", JONAS)
    assert reply.lang == "de" and reply.text.startswith("1 offener Alarm:")
    assert answer["path"] == "/commands/T0TELVIA/1/abc"
    assert answer["body"]["text"] == reply.text
    assert f"#{mine.id}" in reply.text and f"#{other.id}" not in reply.text  # only the channel's department
    assert [c["method"] for c in fake.calls] == ["auth.test", "response_url"]
    assert fake.of("auth.test")[0]["auth"] == f"Bearer {TOKEN}"


def test_english_mention_answers_in_the_channel_and_in_its_thread(sctx, url, fake):
    new_alert(sctx, "security", "phishing")
    assert event(url, {"type": "app_mention", "user": PRIYA, "text": f"<@{BOT}> open alerts", "ts": "1700000100.000100",
                       "channel": CERT, "event_ts": "1700000100.000100"}).status_code == 200
    [first] = fake.wait_for("chat.postMessage")
    reply = expected(sctx, "open alerts", "security", "priya.nair", PRIYA)
    assert reply.lang == "en" and reply.text.startswith("1 open alert:")
    assert first["body"] == {"channel": CERT, "text": reply.text, "team_id": "T0TELVIA"}  # Bolt adds the team
    assert first["auth"] == f"Bearer {TOKEN}"

    event(url, {"type": "app_mention", "user": PRIYA, "text": f"<@{BOT}> help", "ts": "1700000200.000200",
                "thread_ts": "1700000100.000100", "channel": CERT, "event_ts": "1700000200.000200"})
    second = fake.wait_for("chat.postMessage", 2)[1]
    assert second["body"] == {"channel": CERT, "text": say("help", "en"), "thread_ts": "1700000100.000100",
                              "team_id": "T0TELVIA"}


def test_direct_message_is_answered_in_the_dm_and_bot_echoes_are_ignored(sctx, url, fake):
    dm = {"type": "message", "channel": "D0JONAS", "channel_type": "im", "user": JONAS,
          "text": "wer hat Bereitschaft?", "ts": "1700000300.000300", "event_ts": "1700000300.000300"}
    event(url, {**dm, "subtype": "message_changed"})
    event(url, {**dm, "user": BOT, "bot_id": "B0BOT", "text": "Netzwerk: ..."})  # our own answer coming back
    event(url, dm)
    [answer] = fake.wait_for("chat.postMessage")
    reply = expected(sctx, "wer hat Bereitschaft?", None, "jonas.becker", JONAS)
    assert reply.lang == "de"
    assert "&" in reply.text  # "Devices & Product Safety": Slack wants it escaped, and shows "&"
    assert answer["body"] == {"channel": "D0JONAS", "text": slack._esc(reply.text), "team_id": "T0TELVIA"}
    time.sleep(0.3)
    assert len(fake.of("chat.postMessage")) == 1


def test_button_acknowledges_through_the_command_layer_and_answers_ephemerally(sctx, url, fake):
    alert = new_alert(sctx, "network")
    assert click(url, fake, alert.id, "ack", JONAS).status_code == 200
    [answer] = fake.wait_for("chat.postEphemeral")
    assert answer["body"] == {"channel": NOC, "user": JONAS, "team_id": "T0TELVIA",
                              "text": say("act.acknowledged", "de", id=alert.id, who="jonas.becker")}
    stored = sctx.store.get_alert(alert.id)
    assert (stored.status.value, stored.acked_by, stored.acked_via) == ("acknowledged", "jonas.becker", "slack")
    assert not fake.of("chat.postMessage", "chat.update")  # the message itself is updated by delivery
    assert sctx.store.outbox_size("slack", NOC) == 1

    # Someone outside the department may look, not act.
    click(url, fake, alert.id, "resolve", PRIYA)
    forbidden = fake.wait_for("chat.postEphemeral", 2)[1]
    assert forbidden["body"]["user"] == PRIYA and forbidden["body"]["text"].startswith("Alarm #")
    assert "Network Operations" in forbidden["body"]["text"]
    assert sctx.store.get_alert(alert.id).status.value == "acknowledged"


def test_bad_signature_is_rejected_and_nothing_is_called(sctx, url, fake):
    challenge = {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                 "type": "url_verification"}
    answer = post(url, json.dumps(challenge).encode(), "application/json")
    assert answer.status_code == 200 and answer.json() == {"challenge": challenge["challenge"]}  # saving the URL in Slack
    assert slash(url, fake, "offene Alarme", NOC, JONAS, secret="not-the-secret").status_code == 401
    stale = httpx.post(url + slack.PATH, content=b"command=/sitroom", trust_env=False, headers={
        "X-Slack-Request-Timestamp": str(int(time.time()) - 3600), "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=str(int(time.time()) - 3600), body=b"command=/sitroom")})
    assert stale.status_code == 401  # a replayed request, an hour old
    huge = b"x" * (sctx.cfg.server.max_body_bytes + 1)
    assert httpx.post(url + slack.PATH, content=huge, trust_env=False).status_code == 413
    time.sleep(0.2)
    assert fake.calls == []


# --- outbound -----------------------------------------------------------------------------

CARD = {
    "id": 7, "severity": "critical", "severity_label": "KRITISCH", "status": "firing", "status_label": "offen",
    "title": "Netzstörung in Köln/Bonn", "where": "Wo: Köln/Bonn", "size": "120 Beiträge in 15min — normal wären etwa 8",
    "status_line": "seit 09:00", "posts_label": "Beispiele", "departments": ["network"],
    "posts": [{"text": f"Kein Netz in Köln <{i}>", "author": f"kunde{i}", "channel": "x_support", "url": f"https://x.com/{i}"}
              for i in range(4)],
    "actions": [{"action": "ack", "label": "Bestätigen"}, {"action": "resolve", "label": "Erledigt"},
                {"action": "mute", "label": "1 h stumm"}, {"action": "escalate", "label": "Eskalieren"}],
}


def test_send_update_reply_make_exactly_these_calls(sctx, fake):
    adapter = slack.adapter(sctx)
    ref = adapter.send(NOC, CARD, "de")
    assert ref == {"channel": NOC, "ts": "1700000000.000001"}
    [sent] = fake.of("chat.postMessage")
    body = sent["body"]
    assert sent["path"] == "/api/chat.postMessage" and sent["auth"] == f"Bearer {TOKEN}"
    assert body["channel"] == NOC and body["text"] == "KRITISCH: Netzstörung in Köln/Bonn · Wo: Köln/Bonn"
    kinds = [b["type"] for b in body["blocks"]]
    assert kinds == ["header", "section", "context", "section", "actions"]
    assert body["blocks"][0]["text"]["text"] == "🔴 KRITISCH · Netzstörung in Köln/Bonn"
    assert body["blocks"][1]["text"]["text"] == "Wo: Köln/Bonn\n120 Beiträge in 15min — normal wären etwa 8\nseit 09:00"
    quotes = body["blocks"][3]["text"]["text"]
    assert quotes.count("> Kein Netz in Köln &lt;") == 3 and "<https://x.com/0|kunde0>" in quotes  # three, escaped
    buttons = body["blocks"][4]["elements"]
    assert [(b["action_id"], b["value"], b["text"]["text"], b.get("style")) for b in buttons] == [
        ("sitroom:ack", "7", "Bestätigen", "primary"), ("sitroom:resolve", "7", "Erledigt", None),
        ("sitroom:mute", "7", "1 h stumm", None), ("sitroom:escalate", "7", "Eskalieren", "danger")]

    acked = {**CARD, "status": "acknowledged", "status_label": "bestätigt", "status_line": "Bestätigt von jonas.becker (slack) um 09:05",
             "actions": [{"action": "resolve", "label": "Erledigt"}]}
    adapter.update(ref, acked, "de")
    adapter.reply(ref, "Erledigt um 09:30")
    assert [c["method"] for c in fake.calls] == ["chat.postMessage", "chat.update", "chat.postMessage"]
    update, reply = fake.calls[1]["body"], fake.calls[2]["body"]
    assert (update["channel"], update["ts"]) == (NOC, ref["ts"])
    assert update["blocks"][1]["text"]["text"].endswith("Bestätigt von jonas.becker (slack) um 09:05")
    assert [b["action_id"] for b in update["blocks"][-1]["elements"]] == ["sitroom:resolve"]
    assert reply == {"channel": NOC, "thread_ts": ref["ts"], "text": "Erledigt um 09:30", "unfurl_links": False}


def test_429_becomes_rate_limited_with_the_servers_retry_after(sctx, fake):
    adapter = slack.adapter(sctx)
    fake.limited["chat.postMessage"] = "7"
    with pytest.raises(RateLimited) as caught:
        adapter.send(NOC, CARD, "de")
    assert caught.value.retry_after == 7.0
    assert len(fake.of("chat.postMessage")) == 1  # the client did not wait and retry by itself
    assert adapter.send(NOC, CARD, "de")["channel"] == NOC  # the queue's retry goes through

    fake.errors["chat.postMessage"] = "not_in_channel"
    with pytest.raises(NotReady):
        adapter.send(CERT, CARD, "en")


def test_card_from_the_renderer_becomes_blocks(sctx):
    card = render.cards(sctx, new_alert(sctx, "network"))["cards"]["de"]
    rendered = slack.blocks(card)
    assert card["title"] in rendered[0]["text"]["text"] and card["severity_label"] in rendered[0]["text"]["text"]
    assert len(rendered[-1]["elements"]) == len(card["actions"]) > 0


# --- on / off / socket mode ---------------------------------------------------------------

def test_off_without_credentials(sctx, monkeypatch):
    from bot.web import create_app

    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    assert slack.adapter(sctx) is None
    app = create_app(sctx)
    slack.mount(app, sctx)
    assert slack.PATH not in [getattr(r, "path", None) for r in app.routes]


def test_socket_mode_needs_the_app_token_and_connects_at_start_up(redis, redis_url, env_secrets, slack_env, fake, tmp_path, monkeypatch):
    from bot.context import Context
    from bot.web import create_app

    ctx = Context.create(write_config(tmp_path, fake.url + "/api/", mode="socket"), redis_url=redis_url)
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    assert slack.credentials(ctx) is None  # Socket Mode without SLACK_APP_TOKEN: off
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    creds = slack.credentials(ctx)
    app = create_app(ctx)
    slack.mount(app, ctx)
    assert slack.PATH not in [getattr(r, "path", None) for r in app.routes]
    hooks = [f for f in app.router.on_startup + app.router.on_shutdown if f.__module__ == slack.__name__]
    assert [f.__name__ for f in hooks] == ["connect", "close"]
    handler = slack.socket_handler(ctx, app.state.slack, creds)
    try:
        assert handler.app_token == "xapp-test" and handler.client.web_client.base_url == fake.url + "/api/"
    finally:
        handler.close()


# --- charts and explanations --------------------------------------------------------------

def _summary_posts(ctx) -> None:
    """A network outage in Köln/Bonn and Berlin whose posts all try to ping the whole channel."""
    from dataclasses import replace

    from tests.test_summary import outage, write
    from tests.test_web import T0

    write(ctx, [(replace(p, text="<!channel> " + p.text), s) for p, s in outage("k", T0, 20) + outage("b", T0, 4, region="berlin")])


def test_summary_mention_answers_in_its_thread_then_uploads_the_charts_there(sctx, url, fake):
    from PIL import Image

    _summary_posts(sctx)
    thread = "1700000100.000100"
    event(url, {"type": "app_mention", "user": PRIYA, "text": f"<@{BOT}> summary outage", "ts": "1700000300.000300",
                "thread_ts": thread, "channel": CERT, "event_ts": "1700000300.000300"})
    [done] = fake.wait_for("files.completeUploadExternal")
    steps = [c["method"] for c in fake.calls if c["method"] != "auth.test"]
    assert steps == ["chat.postMessage", "files.getUploadURLExternal", "files.getUploadURLExternal", "upload", "upload",
                     "files.completeUploadExternal"]  # the text first, then the charts
    [text] = fake.of("chat.postMessage")
    assert text["body"]["thread_ts"] == thread and text["body"]["text"].startswith("🟢 Normal – Network outage")
    assert "<!channel>" not in text["body"]["text"] and "&lt;!channel&gt;" in text["body"]["text"]  # quoted, not a ping
    wanted = expected(sctx, "summary outage", "security", "priya.nair", PRIYA).charts
    asked, uploaded = fake.of("files.getUploadURLExternal"), fake.of("upload")
    assert [a["body"]["filename"] for a in asked] == ["volume.png", "regions.png"]
    assert [a["body"]["alt_txt"] for a in asked] == [c.alt for c in wanted]
    assert [u["body"] for u in uploaded] == [c.png for c in wanted]  # the PNGs themselves, byte for byte
    assert [int(a["body"]["length"]) for a in asked] == [len(c.png) for c in wanted]
    assert Image.open(__import__("io").BytesIO(uploaded[0]["body"])).size == (1000, 560)
    body = done["body"]
    assert (body["channel_id"], body["thread_ts"]) == (CERT, thread) and done["auth"] == f"Bearer {TOKEN}"
    ids = [f["id"] for f in json.loads(body["files"])]
    assert len(set(ids)) == 2 and [u["path"] for u in uploaded] == [f"/upload/v1/{i}" for i in ids]


def test_a_private_slash_answer_sends_its_charts_to_the_askers_direct_messages(sctx, url, fake):
    _summary_posts(sctx)
    slash(url, fake, "Zusammenfassung Netzausfall", NOC, JONAS)
    [done] = fake.wait_for("files.completeUploadExternal")
    [answer] = fake.of("response_url")
    assert answer["body"]["text"].startswith("🟢 Normal – Netzstörung")
    assert done["body"]["channels"] == JONAS and "channel_id" not in done["body"]  # not into the channel: the answer was private
    assert fake.calls.index(answer) < fake.calls.index(done)


def test_charts_that_cannot_be_shared_leave_the_answer_alone(sctx, url, fake):
    _summary_posts(sctx)
    fake.errors["files.getUploadURLExternal"] = "missing_scope"  # an app installed before files:write was asked for
    dm = {"type": "message", "channel": "D0JONAS", "channel_type": "im", "user": JONAS, "text": "Zusammenfassung Netzausfall",
          "ts": "1700000300.000300", "event_ts": "1700000300.000300"}
    event(url, dm)
    [answer] = fake.wait_for("chat.postMessage")
    assert answer["body"]["text"].startswith("🟢 Normal – Netzstörung") and answer["body"]["channel"] == "D0JONAS"
    fake.wait_for("files.getUploadURLExternal")
    time.sleep(0.2)
    assert not fake.of("upload", "files.completeUploadExternal")


def test_post_is_a_plain_message_or_one_file_share_with_the_text(sctx, fake):
    from bot import charts
    from tests.test_charts import series

    adapter = slack.adapter(sctx)
    ref = adapter.post(NOC, "Tagesbericht <!here> & mehr")
    [plain] = fake.of("chat.postMessage")
    assert plain["body"] == {"channel": NOC, "text": "Tagesbericht &lt;!here&gt; &amp; mehr", "unfurl_links": False}
    assert ref == {"channel": NOC, "ts": "1700000000.000001"}
    chart = charts.volume(series(), "de", "Europe/Berlin", "Netzstörung")
    assert adapter.post(NOC, "Tagesbericht", [chart]) == {"channel": NOC, "files": ["F0002"]}
    [upload], [done] = fake.of("upload"), fake.of("files.completeUploadExternal")
    assert upload["body"] == chart.png
    assert (done["body"]["channel_id"], done["body"]["initial_comment"]) == (NOC, "Tagesbericht")
    assert len(fake.of("chat.postMessage")) == 1  # the text is the file share's comment: one message


def test_why_lines_come_under_the_size(sctx):
    why = ["Regel outage: mehr als 20 Beiträge in 15 min", "Begann um 09:12", "Neue Begriffe: <funkloch>"]
    facts = slack.blocks({**CARD, "why": why})[1]["text"]["text"].splitlines()
    assert facts == ["Wo: Köln/Bonn", "120 Beiträge in 15min — normal wären etwa 8", why[0], why[1],
                     "Neue Begriffe: &lt;funkloch&gt;", "seit 09:00"]
    assert slack.blocks({**CARD, "why": []}) == slack.blocks(CARD)
