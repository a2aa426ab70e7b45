"""Telegram: real updates into /telegram/webhook over HTTP, the real python-telegram-bot against a fake Bot API."""

from __future__ import annotations

import asyncio
import html
import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
import yaml

from bot import commands, delivery, jobs, notify, render
from bot.models import Alert, Severity
from bot.platforms import NotReady, RateLimited
from bot.platforms import telegram
from bot.texts import say
from tests.fakehttp import FakeServer, form_data
from tests.test_web import serve

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token"
SECRET = "test-telegram-secret"
NETWORK_CHAT = -1001111111111  # the German network department's group
JONAS = 7001  # a member of network, by Telegram user id
STRANGER = 7999  # nobody's member
T0 = 1763283600


# --- a fake Bot API ---------------------------------------------------------------------------

class FakeBotApi(FakeServer):
    """A local Bot API server: records (method, params) and answers like Telegram."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.failures: dict[str, list[tuple[int, dict]]] = {}
        self.updates: list[dict] = []
        self.next_id = 1
        self.lock = threading.Lock()
        super().__init__()

    def fail_once(self, method: str, status: int, body: dict) -> None:
        self.failures.setdefault(method, []).append((status, body))

    def sent(self, method: str) -> list[dict]:
        return [params for m, params in self.calls if m == method]

    def wait_for(self, method: str, n: int = 1, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent(method)) < n:
            assert time.monotonic() < deadline, f"no {method} call; calls: {self.calls}"
            time.sleep(0.02)
        return self.sent(method)

    def _result(self, method: str, params: dict):
        if method == "getMe":
            return {"id": 4242, "is_bot": True, "first_name": "sitroom", "username": "sitroom_bot"}
        if method in ("sendMessage", "editMessageText"):
            with self.lock:
                message_id = params.get("message_id") or self.next_id
                self.next_id += method == "sendMessage"
            chat_id = int(params["chat_id"])
            chat = {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"}
            return {"message_id": message_id, "date": T0, "chat": chat, "text": params["text"]}
        if method == "sendPhoto":
            with self.lock:
                message_id, self.next_id = self.next_id, self.next_id + 1
            chat_id = int(params["chat_id"])
            photo = {"file_id": f"photo{message_id}", "file_unique_id": f"u{message_id}", "width": 1000, "height": 560}
            return {"message_id": message_id, "date": T0, "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
                    "photo": [photo], "caption": params.get("caption")}
        if method == "getUpdates":
            with self.lock:
                updates, self.updates = self.updates, []
            if not updates:
                time.sleep(0.05)  # a short "long poll"
            return updates
        return True  # answerCallbackQuery, setWebhook, deleteWebhook

    def answer(self, http_method: str, path: str, headers, raw: bytes):
        prefix, _, method = path.rpartition("/")
        assert prefix == f"/bot{TOKEN}", path
        kind = headers.get("Content-Type", "")
        if kind.startswith("multipart/form-data"):  # an upload (sendPhoto): files as bytes, the rest as in a form
            params = {k: v if isinstance(v, bytes) else _decoded(v) for k, v in form_data(kind, raw).items()}
        elif kind.startswith("application/json"):
            params = json.loads(raw.decode() or "{}")
        else:  # what python-telegram-bot sends: a form, nested values as JSON
            params = {k: _decoded(v) for k, v in parse_qsl(raw.decode())}
        if method != "getUpdates":
            self.calls.append((method, params))
        if self.failures.get(method):
            status, body = self.failures[method].pop(0)
            return status, {}, body
        return 200, {}, {"ok": True, "result": self._result(method, params)}


def _decoded(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture
def fake():
    api = FakeBotApi()
    yield api
    api.close()


@pytest.fixture
def ctx(redis, redis_url, env_secrets, fake, tmp_path, monkeypatch):
    """The shipped config with a Telegram group for network (German), members' Telegram ids, and the fake API."""
    from bot.context import Context

    monkeypatch.setenv(telegram.TOKEN_ENV, TOKEN)
    monkeypatch.setenv(telegram.SECRET_ENV, SECRET)
    data = yaml.safe_load((ROOT / "config.yaml").read_text())
    data["rules"] = str(ROOT / "rules")
    data["platforms"] = {"telegram": {"api_url": fake.url}}
    network = next(d for d in data["departments"] if d["name"] == "network")
    network["destinations"]["telegram"] = {"chat_id": NETWORK_CHAT}
    network["members"] = [{"name": "jonas.becker", "telegram": JONAS}, "aylin.demir", "markus.hoffmann"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return Context.create(path, redis_url=redis_url)


def _app(ctx):
    from bot.web import create_app

    app = create_app(ctx)
    telegram.mount(app, ctx)  # a second call (create_app may mount platforms itself) adds nothing
    return app


@pytest.fixture
def http(ctx):
    with serve(_app(ctx)) as url, httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        yield client


def post_update(http, update: dict, secret: str | None = SECRET) -> httpx.Response:
    headers = {telegram.SECRET_HEADER: secret} if secret is not None else {}
    return http.post(telegram.PATH, json=update, headers=headers)


def user(uid: int, first: str, last: str | None = None, language: str | None = None) -> dict:
    u = {"id": uid, "is_bot": False, "first_name": first}
    if last:
        u["last_name"] = last
    if language:
        u["language_code"] = language
    return u


def message(update_id: int, chat: dict, sender: dict, text: str, message_id: int = 77) -> dict:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {"update_id": update_id, "message": {
        "message_id": message_id, "date": T0, "chat": chat, "from": sender, "text": text, "entities": entities}}


NETWORK_GROUP = {"id": NETWORK_CHAT, "type": "supergroup", "title": "NOC Lagezentrum"}


def make_alert(ctx) -> Alert:
    alert = Alert(ctx.store.new_alert_id(), "outage|region=koeln_bonn", "outage", Severity.CRITICAL, ["network"],
                  {"topic": "network_outage", "region": "koeln_bonn"}, {}, current=120, baseline=8,
                  window_s=900, started_at=T0, updated_at=T0, created_wall=time.time())
    ctx.store.save_alert(alert, 3600)
    return alert


# --- inbound: webhook -------------------------------------------------------------------------

def test_wrong_or_missing_secret_is_401_a_bad_body_400_and_nothing_is_sent(http, fake):
    update = message(1, NETWORK_GROUP, user(JONAS, "Jonas"), "/status")
    assert post_update(http, update, secret=None).status_code == 401
    assert post_update(http, update, secret="not-the-secret").status_code == 401
    assert post_update(http, ["not", "an", "update"]).status_code == 400
    time.sleep(0.3)
    assert fake.calls == []


def test_webhook_without_its_secret_answers_503(ctx, monkeypatch, fake):
    monkeypatch.delenv(telegram.SECRET_ENV)
    with serve(_app(ctx)) as url:
        r = httpx.post(url + telegram.PATH, json={"update_id": 1}, headers={telegram.SECRET_HEADER: ""}, trust_env=False)
    assert r.status_code == 503 and telegram.SECRET_ENV in r.json()["detail"]


def test_telegram_is_off_without_a_token(ctx, monkeypatch):
    monkeypatch.delenv(telegram.TOKEN_ENV)
    assert telegram.adapter(ctx) is None
    from bot.web import create_app

    app = create_app(ctx)
    telegram.mount(app, ctx)
    assert not any(getattr(r, "path", None) == telegram.PATH for r in app.routes)


def test_status_in_a_german_group_is_answered_in_german_as_a_reply(http, ctx, fake):
    alert = make_alert(ctx)
    r = post_update(http, message(2, NETWORK_GROUP, user(JONAS, "Jonas", "Becker", "en"), "/status@sitroom_bot"))
    assert r.status_code == 200
    [sent] = fake.wait_for("sendMessage")
    assert set(sent) == {"chat_id", "text", "reply_parameters"}
    assert sent["chat_id"] == NETWORK_CHAT
    assert sent["reply_parameters"] == {"message_id": 77, "allow_sending_without_reply": True}
    assert sent["text"].startswith(say("alerts.header_one", "de"))
    assert f"#{alert.id}" in sent["text"]
    assert [m for m, _ in fake.calls] == ["getMe", "sendMessage"]  # getMe: whose @name is that?


def test_group_ignores_chatter_and_other_bots_but_answers_a_mention(http, fake):
    post_update(http, message(3, NETWORK_GROUP, user(JONAS, "Jonas"), "/status@other_bot"))
    post_update(http, message(4, NETWORK_GROUP, user(JONAS, "Jonas"), "Kaffee jemand?"))
    post_update(http, message(5, NETWORK_GROUP, user(JONAS, "Jonas"), "@sitroom_bot wer hat Bereitschaft?", 80))
    [sent] = fake.wait_for("sendMessage")
    time.sleep(0.2)
    assert len(fake.sent("sendMessage")) == 1
    assert sent["reply_parameters"]["message_id"] == 80
    assert "markus.hoffmann, aylin.demir" in sent["text"]


def test_actions_typed_as_commands_in_a_german_group(http, ctx, fake):
    alert = make_alert(ctx)
    post_update(http, message(13, NETWORK_GROUP, user(JONAS, "Jonas"), f"/ack {alert.id}", 81))
    [acked] = fake.wait_for("sendMessage")
    assert acked["text"] == say("act.acknowledged", "de", id=alert.id, who="jonas.becker")
    post_update(http, message(14, NETWORK_GROUP, user(JONAS, "Jonas"), f"/mute@sitroom_bot {alert.id} 2h", 82))
    muted = fake.wait_for("sendMessage", 2)[1]
    stored = ctx.store.get_alert(alert.id)
    assert stored.muted_until == pytest.approx(time.time() + 7200, abs=30)
    until = render.local_time(ctx.cfg, stored.muted_until)
    assert muted["text"] == say("act.muted", "de", id=alert.id, who="jonas.becker", until=until)
    assert muted["reply_parameters"]["message_id"] == 82


def test_help_in_a_private_chat_follows_the_users_language(http, fake):
    chat = {"id": 7002, "type": "private", "first_name": "Sam"}
    post_update(http, message(6, chat, user(7002, "Sam"), "/help"))  # language unknown: English
    [sent] = fake.wait_for("sendMessage")
    assert sent == {"chat_id": 7002, "text": say("help", "en")}
    chat = {"id": 7003, "type": "private", "first_name": "Uwe"}
    post_update(http, message(7, chat, user(7003, "Uwe", language="de"), "/help"))
    assert fake.wait_for("sendMessage", 2)[1] == {"chat_id": 7003, "text": say("help", "de")}


def test_plain_text_in_a_private_chat_goes_to_the_command_layer(http, fake):
    chat = {"id": 7002, "type": "private", "first_name": "Sam"}
    post_update(http, message(8, chat, user(7002, "Sam"), "wer hat Bereitschaft?"))
    [sent] = fake.wait_for("sendMessage")
    assert sent["chat_id"] == 7002 and "reply_parameters" not in sent
    assert "Network Operations: markus.hoffmann, aylin.demir" in sent["text"]


@pytest.fixture
def acts(monkeypatch):
    """Every call of commands.act, with what it answered."""
    calls, real = [], commands.act

    def spy(*args, **kwargs):
        reply = real(*args, **kwargs)
        calls.append((args[1:], kwargs, reply))
        return reply

    monkeypatch.setattr(commands, "act", spy)
    return calls


def callback(update_id: int, sender: dict, data: str) -> dict:
    return {"update_id": update_id, "callback_query": {
        "id": f"cb{update_id}", "from": sender, "chat_instance": "-4711", "data": data,
        "message": {"message_id": 55, "date": T0, "chat": NETWORK_GROUP, "text": "alert",
                    "from": {"id": 4242, "is_bot": True, "first_name": "sitroom", "username": "sitroom_bot"}}}}


def test_button_acknowledges_and_answers_the_callback(http, ctx, fake, acts):
    alert = make_alert(ctx)
    r = post_update(http, callback(9, user(JONAS, "Jonas", "Becker"), f"sitroom:ack:{alert.id}"))
    assert r.status_code == 200
    [answered] = fake.wait_for("answerCallbackQuery")
    [(args, kwargs, reply)] = acts
    assert args == (alert.id, "ack", "telegram", str(JONAS), "jonas.becker") and kwargs == {"lang": "de"}
    assert reply.text == say("act.acknowledged", "de", id=alert.id, who="jonas.becker")
    assert answered == {"callback_query_id": "cb9", "text": reply.text, "show_alert": False}
    stored = ctx.store.get_alert(alert.id)
    assert (stored.status.value, stored.acked_by, stored.acked_via) == ("acknowledged", "jonas.becker", "telegram")
    assert fake.sent("sendMessage") == [] and fake.sent("editMessageText") == []  # the edit comes via delivery


def test_alert_message_is_posted_then_edited_after_a_button_press(http, ctx, fake, monkeypatch):
    monkeypatch.setattr(jobs, "context", lambda: ctx)  # the delivery job's context
    alert = make_alert(ctx)
    notify.alert_changed(ctx, alert, "fired")
    delivery.deliver("telegram", str(NETWORK_CHAT))
    [posted] = fake.sent("sendMessage")
    assert posted["chat_id"] == NETWORK_CHAT and posted["parse_mode"] == "HTML"
    assert posted["text"].startswith(f"🔴 <b>{say('severity.critical', 'de')} · ")
    buttons = [b["callback_data"] for row in posted["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"sitroom:{a}:{alert.id}" for a in ("ack", "resolve", "mute", "escalate")]

    post_update(http, callback(15, user(JONAS, "Jonas"), f"sitroom:ack:{alert.id}"))
    fake.wait_for("answerCallbackQuery")
    delivery.deliver("telegram", str(NETWORK_CHAT))
    [edited] = fake.sent("editMessageText")
    assert (edited["chat_id"], edited["message_id"]) == (NETWORK_CHAT, 1)
    card = render.card(ctx.cfg, ctx.store.get_alert(alert.id), "de")
    assert html.escape(card["status_line"]) in edited["text"] and "jonas.becker" in card["status_line"]
    buttons = [b["callback_data"] for row in edited["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == [f"sitroom:{a}:{alert.id}" for a in ("resolve", "mute", "escalate")]  # acknowledged: no ack


def test_button_of_a_non_member_changes_nothing(http, ctx, fake):
    alert = make_alert(ctx)
    post_update(http, callback(10, user(STRANGER, "Eve"), f"sitroom:resolve:{alert.id}"))
    [answered] = fake.wait_for("answerCallbackQuery")
    assert answered["text"] == say("act.forbidden", "de", id=alert.id, departments="Network Operations")[:200]
    assert ctx.store.get_alert(alert.id).status.value == "firing"


def test_foreign_callback_data_only_stops_the_spinner(http, fake, acts):
    post_update(http, callback(11, user(JONAS, "Jonas"), "something:else"))
    assert fake.wait_for("answerCallbackQuery") == [{"callback_query_id": "cb11"}]
    assert acts == []


# --- outgoing: the adapter --------------------------------------------------------------------

CARD = {
    "id": 42, "severity": "critical", "severity_label": "Kritisch", "status": "firing", "status_label": "offen",
    "title": "Netzstörung in Köln/Bonn", "where": "Wo: Köln/Bonn", "size": "120 Beiträge in 15 min (normal: 8)",
    "status_line": "seit 10:00", "posts_label": "Beispiele:",
    "posts": [
        {"text": "Kein Netz <seit> 2h & kein LTE", "author": "anna", "channel": "x_support", "url": "https://x.com/a/1"},
        {"text": "SOS only", "author": "", "channel": "x_support", "url": None},
        {"text": "dritter", "author": "c", "channel": "fb_telvia", "url": None},
        {"text": "vierter", "author": "d", "channel": "fb_telvia", "url": None},
    ],
    "actions": [{"action": "ack", "label": "Bestätigen"}, {"action": "resolve", "label": "Erledigt"},
                {"action": "mute", "label": "1 h stumm"}],
}
HTML = (
    "🔴 <b>Kritisch · Netzstörung in Köln/Bonn</b>\nWo: Köln/Bonn\n120 Beiträge in 15 min (normal: 8)\nseit 10:00\n\n"
    "Beispiele:\n"
    '<blockquote>Kein Netz &lt;seit&gt; 2h &amp; kein LTE\n— <a href="https://x.com/a/1">anna</a></blockquote>\n'
    "<blockquote>SOS only</blockquote>\n"
    "<blockquote>dritter\n— c</blockquote>"
)


def test_send_update_reply_make_exactly_these_calls(ctx, fake):
    adapter = telegram.adapter(ctx)
    ref = adapter.send(str(NETWORK_CHAT), CARD, "de")
    assert ref == {"chat_id": NETWORK_CHAT, "message_id": 1}
    keyboard = {"inline_keyboard": [
        [{"text": "Bestätigen", "callback_data": "sitroom:ack:42"}, {"text": "Erledigt", "callback_data": "sitroom:resolve:42"}],
        [{"text": "1 h stumm", "callback_data": "sitroom:mute:42"}],
    ]}
    assert fake.calls == [("sendMessage", {"chat_id": NETWORK_CHAT, "text": HTML, "parse_mode": "HTML", "reply_markup": keyboard})]

    done = {**CARD, "status": "resolved", "status_line": "erledigt um 11:00", "actions": []}
    adapter.update(ref, done, "de")
    assert fake.calls[1] == ("editMessageText", {
        "chat_id": NETWORK_CHAT, "message_id": 1, "parse_mode": "HTML",
        "text": HTML.replace("seit 10:00", "erledigt um 11:00")})  # no reply_markup: the keyboard goes

    adapter.reply(ref, "erledigt um 11:00")
    assert fake.calls[2] == ("sendMessage", {
        "chat_id": NETWORK_CHAT, "text": "erledigt um 11:00",
        "reply_parameters": {"message_id": 1, "allow_sending_without_reply": True}})


def test_update_with_nothing_new_is_fine(ctx, fake):
    fake.fail_once("editMessageText", 400, {"ok": False, "error_code": 400, "description":
                   "Bad Request: message is not modified: specified new message content and reply markup are exactly "
                   "the same as a current content and reply markup of the message"})
    telegram.adapter(ctx).update({"chat_id": NETWORK_CHAT, "message_id": 5}, CARD, "de")
    assert [m for m, _ in fake.calls] == ["editMessageText"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB's RetryAfter
def test_flood_control_raises_rate_limited(ctx, fake):
    fake.fail_once("sendMessage", 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
                                        "parameters": {"retry_after": 3}})
    adapter = telegram.adapter(ctx)
    with pytest.raises(RateLimited) as caught:
        adapter.send(str(NETWORK_CHAT), CARD, "de")
    assert caught.value.retry_after == 3
    assert adapter.send(str(NETWORK_CHAT), CARD, "de") == {"chat_id": NETWORK_CHAT, "message_id": 1}


def test_a_chat_the_bot_is_not_in_is_not_ready(ctx, fake):
    fake.fail_once("sendMessage", 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    with pytest.raises(NotReady):
        telegram.adapter(ctx).send("-1009999", CARD, "de")


def test_set_webhook_passes_the_secret_token(ctx, fake):
    telegram.set_webhook(ctx, "https://sitroom.example/telegram/webhook")
    assert fake.calls == [("setWebhook", {"url": "https://sitroom.example/telegram/webhook", "secret_token": SECRET,
                                          "allowed_updates": ["message", "callback_query"]})]


# --- inbound: long polling --------------------------------------------------------------------

def test_long_polling_answers_like_the_webhook(ctx, fake):
    from telegram import Update
    from telegram.ext import TypeHandler

    app = telegram.application(ctx)

    async def stop(update, context):  # group 1 runs after the answer
        context.application.stop_running()

    app.add_handler(TypeHandler(Update, stop), group=1)
    fake.updates.append(message(12, NETWORK_GROUP, user(JONAS, "Jonas"), "/oncall"))
    thread = threading.Thread(target=lambda: (asyncio.set_event_loop(asyncio.new_event_loop()),
                                              app.run_polling(stop_signals=None)), daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "polling did not stop"
    [sent] = fake.sent("sendMessage")
    assert sent["chat_id"] == NETWORK_CHAT and sent["text"] == "Network Operations: markus.hoffmann, aylin.demir"
    assert "deleteWebhook" in [m for m, _ in fake.calls]  # polling and a webhook exclude each other


# --- charts and explanations ------------------------------------------------------------------

def test_a_summary_is_answered_with_its_text_then_its_charts_as_photos(http, ctx, fake):
    import io

    from PIL import Image

    from tests.test_summary import outage, write

    write(ctx, outage("k", T0, 20) + outage("b", T0, 4, region="berlin"))
    post_update(http, message(20, NETWORK_GROUP, user(JONAS, "Jonas"), "/summary@sitroom_bot Netzausfall", 90))
    volume, regions = fake.wait_for("sendPhoto", 2)
    [text] = fake.sent("sendMessage")
    assert [m for m, _ in fake.calls] == ["getMe", "sendMessage", "sendPhoto", "sendPhoto"]  # the text first
    assert text["text"].startswith("🟢 Normal – Netzstörung")
    wanted = commands.handle(ctx, commands.Request("Zusammenfassung Netzausfall", "jonas.becker", "network", "telegram",
                                                   str(JONAS))).charts
    assert [volume["photo"], regions["photo"]] == [c.png for c in wanted]  # uploaded, byte for byte
    assert [volume["caption"], regions["caption"]] == [c.alt for c in wanted]
    assert volume["caption"].startswith("Netzstörung · ") and regions["caption"].startswith("Regionen: Netzstörung")
    assert volume["chat_id"] == NETWORK_CHAT and volume["reply_parameters"]["message_id"] == 90  # under the question
    assert Image.open(io.BytesIO(volume["photo"])).size == (1000, 560)


def test_post_sends_the_text_then_each_chart_with_its_caption(ctx, fake):
    from bot import charts
    from tests.test_charts import series

    chart = charts.volume(series(), "de", "Europe/Berlin", "Netzstörung")
    adapter = telegram.adapter(ctx)
    assert adapter.post(str(NETWORK_CHAT), "Tagesbericht", [chart]) == {"chat_id": NETWORK_CHAT, "message_id": 1}
    (first, text), (second, photo) = fake.calls
    assert (first, text) == ("sendMessage", {"chat_id": NETWORK_CHAT, "text": "Tagesbericht"})
    assert second == "sendPhoto" and photo == {"chat_id": NETWORK_CHAT, "photo": chart.png, "caption": chart.alt}
    fake.fail_once("sendMessage", 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    with pytest.raises(NotReady):
        adapter.post("-1009999", "Tagesbericht")


def test_why_lines_come_under_the_size():
    why = ["Regel outage: mehr als 20 Beiträge", "Neue Begriffe: <funkloch> & mehr"]
    lines = telegram.html_of({**CARD, "why": why}).splitlines()
    assert lines[2:6] == ["120 Beiträge in 15 min (normal: 8)", "Regel outage: mehr als 20 Beiträge",
                          "Neue Begriffe: &lt;funkloch&gt; &amp; mehr", "seit 10:00"]
    assert telegram.html_of({**CARD, "why": []}) == HTML
