"""Teams through the real botbuilder CloudAdapter: activities into /api/messages, a fake connector out."""

from __future__ import annotations

import base64
import json
import time
from urllib.parse import unquote

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

from bot import render
from bot.models import Alert, AlertStatus, Severity
from bot.platforms import NotReady, RateLimited, teams
from bot.texts import say
from tests.conftest import ROOT
from tests.fakehttp import FakeServer
from tests.test_web import serve

CHANNEL = "19:noc-lagezentrum@thread.tacv2"  # the network department's Teams channel
TEAM = "19:telvia-ops@thread.tacv2"  # the team, and its General channel
TENANT = "72f988bf-0000-0000-0000-000000000000"
BOT = {"id": "28:sitroom-app-id", "name": "sitroom"}
JONAS = {"id": "29:1jonas", "name": "Jonas Becker", "aadObjectId": "aad-jonas"}  # a network member
GUEST = {"id": "29:1guest", "name": "Gast", "aadObjectId": "aad-guest"}  # nobody's member
T0 = 1763283600.0


# --- a fake Bot Framework connector -------------------------------------------------------

class Connector(FakeServer):
    """Answers the connector's REST calls on 127.0.0.1, records them, and serves OpenID keys."""

    def __init__(self):
        self.calls: list[dict] = []
        self.fail: list[tuple[int, dict]] = []  # (status, headers) to answer the next calls with
        self.jwks: list[dict] = []
        super().__init__()

    def answer(self, method: str, path: str, headers, raw: bytes):
        if method == "GET":
            return 200, {}, ({"jwks_uri": f"{self.url}/keys"} if path == "/openid" else {"keys": self.jwks})
        if self.fail:
            status, extra = self.fail.pop(0)
            return status, extra, {"error": {"code": "Throttled", "message": "slow down"}}
        parts = [unquote(p) for p in path.split("/")]  # /v3/conversations/{id}/activities[/{id}]
        self.calls.append({"method": method, "conversation": parts[3], "activity": parts[5] if len(parts) > 5 else None,
                           "body": json.loads(raw), "auth": headers.get("Authorization")})
        new_id = parts[5] if method == "PUT" else f"m{len(self.calls)}"
        return (200 if method == "PUT" else 201), {}, {"id": new_id}


@pytest.fixture
def connector():
    c = Connector()
    yield c
    c.close()


# --- a configuration whose network department has a Teams channel and members with AAD ids --

@pytest.fixture
def tctx(redis, redis_url, env_secrets, tmp_path, monkeypatch):
    from bot.context import Context

    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SITROOM_TEAMS_DEV", "1")
    with open(f"{ROOT}/config.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["rules"] = f"{ROOT}/rules"
    for dept in data["departments"]:
        if dept["name"] == "network":
            dept["destinations"]["teams"] = {"channel_id": CHANNEL}
            dept["members"] = [{"name": "Jonas Becker", "teams": "aad-jonas"}, "aylin.demir", "markus.hoffmann"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Context.create(path, redis_url=redis_url)


def app_for(ctx):
    from bot.web import create_app

    app = create_app(ctx)
    if not any(getattr(r, "path", None) == teams.PATH for r in app.routes):
        teams.mount(app, ctx)  # until create_app mounts the platforms itself
    return app


@pytest.fixture
def bot_url(tctx):
    with serve(app_for(tctx)) as url:
        yield url


def post(url: str, activity: dict, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{url}{teams.PATH}", json=activity, headers=headers, timeout=10, trust_env=False)


def alert(ctx, dept: str, title: str) -> Alert:
    a = Alert(id=ctx.store.new_alert_id(), fingerprint=f"fp-{title}", rule="outage", severity=Severity.CRITICAL,
              departments=[dept], labels={"topic": "network_outage", "region": "koeln_bonn"},
              summary={"de": title, "en": title}, current=30, baseline=2, window_s=900, started_at=T0,
              updated_at=T0, created_wall=time.time())
    ctx.store.save_alert(a, 3600)
    return a


def channel_message(service_url: str, text: str = "", sender=JONAS, root="1763283600001", **extra) -> dict:
    """A message in a thread of the network channel, as Teams sends it."""
    activity = {
        "type": "message", "id": "1763283600777", "timestamp": "2025-11-16T09:00:00Z", "channelId": "msteams",
        "serviceUrl": service_url, "from": sender, "recipient": BOT, "locale": "de-DE",
        "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": f"{CHANNEL};messageid={root}"},
        "channelData": {"teamsChannelId": CHANNEL, "teamsTeamId": TEAM, "channel": {"id": CHANNEL}, "team": {"id": TEAM},
                        "tenant": {"id": TENANT}},
    }
    if text:
        activity |= {"text": f"<at>sitroom</at> {text}", "textFormat": "plain",
                     "entities": [{"type": "mention", "mentioned": BOT, "text": "<at>sitroom</at>"}]}
    return activity | extra


# --- incoming -----------------------------------------------------------------------------

def test_mention_in_the_department_channel_answers_in_german_and_learns_the_channel(tctx, bot_url, connector):
    ours, theirs = alert(tctx, "network", "Netzstörung Köln"), alert(tctx, "security", "Phishing-Welle")
    r = post(bot_url, channel_message(connector.url, "offene Alarme"))
    assert r.status_code == 200, r.text
    [call] = connector.calls
    assert (call["method"], call["conversation"], call["activity"]) == ("POST", f"{CHANNEL};messageid=1763283600001", "1763283600777")
    text = call["body"]["text"]
    assert text.startswith(say("alerts.header_one", "de")) and f"#{ours.id}" in text and f"#{theirs.id}" not in text
    assert call["body"]["replyToId"] == "1763283600777" and call["body"]["type"] == "message"
    ref = tctx.store.conversation("teams", CHANNEL)
    assert ref["conversation"]["id"] == CHANNEL  # the channel itself, not the thread the mention was in
    assert ref["serviceUrl"] == connector.url and ref["bot"]["id"] == BOT["id"] and ref.get("activityId") is None
    assert post(bot_url, channel_message(connector.url, "hilfe")).status_code == 200
    assert connector.calls[-1]["body"]["text"] == say("help", "de")  # only once the mention is gone is it just "hilfe"


def test_installation_in_a_team_stores_the_general_channel(tctx, bot_url, connector):
    update = {
        "type": "conversationUpdate", "id": "f:install", "channelId": "msteams", "serviceUrl": connector.url,
        "from": JONAS, "recipient": BOT, "membersAdded": [BOT],
        "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": TENANT, "id": TEAM},
        "channelData": {"eventType": "teamMemberAdded", "team": {"id": TEAM, "name": "Telvia Ops"}, "tenant": {"id": TENANT}},
    }
    assert post(bot_url, update).status_code == 200
    assert connector.calls == []  # nothing to say on installation
    assert tctx.store.conversation("teams", TEAM)["conversation"]["id"] == TEAM


def test_personal_chat_help_in_english(tctx, bot_url, connector):
    activity = {
        "type": "message", "id": "1763283600900", "channelId": "msteams", "serviceUrl": connector.url,
        "from": GUEST, "recipient": BOT, "text": "help", "textFormat": "plain",
        "conversation": {"conversationType": "personal", "tenantId": TENANT, "id": "a:1personal-guest"},
        "channelData": {"tenant": {"id": TENANT}},
    }
    assert post(bot_url, activity).status_code == 200
    [call] = connector.calls
    assert (call["method"], call["conversation"], call["activity"]) == ("POST", "a:1personal-guest", "1763283600900")
    assert call["body"]["text"] == say("help", "en")


def test_card_button_acknowledges_for_members_only(tctx, bot_url, connector):
    a = alert(tctx, "network", "Netzstörung Köln")
    press = channel_message(connector.url, root="m1", replyToId="m1", value={"sitroom": "ack", "alert": a.id})
    assert post(bot_url, press | {"from": GUEST}).status_code == 200
    assert tctx.store.get_alert(a.id).status == AlertStatus.FIRING
    assert post(bot_url, press).status_code == 200
    stored = tctx.store.get_alert(a.id)
    assert (stored.status, stored.acked_by, stored.acked_via) == (AlertStatus.ACKNOWLEDGED, "Jonas Becker", "teams")
    forbidden, done = (c["body"]["text"] for c in connector.calls)
    assert forbidden == say("act.forbidden", "de", id=a.id, departments="Network Operations")
    assert done == say("act.acknowledged", "de", id=a.id, who="Jonas Becker")
    assert [c["conversation"] for c in connector.calls] == [f"{CHANNEL};messageid=m1"] * 2
    assert tctx.store.outbox_size("teams", CHANNEL) == 1  # the new card state is on its way to every platform


def test_unknown_button_data_and_bad_bodies(tctx, bot_url, connector):
    press = channel_message(connector.url, value={"sitroom": "delete", "alert": 1})
    assert post(bot_url, press).status_code == 200 and connector.calls == []
    assert httpx.post(f"{bot_url}{teams.PATH}", content=b"[1]", trust_env=False).status_code == 400
    assert httpx.post(f"{bot_url}{teams.PATH}", content=b"{nope", trust_env=False).status_code == 400


# --- outgoing -----------------------------------------------------------------------------

def card(tctx, a: Alert, lang="de") -> dict:
    return render.cards(tctx, a)["cards"][lang]


def test_send_without_a_reference_is_not_ready(tctx, connector):
    with pytest.raises(NotReady, match="install the app in that channel"):
        teams.adapter(tctx).send(CHANNEL, card(tctx, alert(tctx, "network", "x")), "de")
    assert connector.calls == []


def test_send_update_reply_and_rate_limit(tctx, bot_url, connector):
    post(bot_url, channel_message(connector.url, "hilfe"))  # the bot learns the channel
    connector.calls.clear()
    adapter, a = teams.adapter(tctx), alert(tctx, "network", "Netzstörung Köln")
    first = card(tctx, a)

    ref = adapter.send(CHANNEL, first, "de")
    [call] = connector.calls
    assert (call["method"], call["conversation"], call["activity"]) == ("POST", CHANNEL, None)  # a new thread
    assert ref == {"channel_id": CHANNEL, "conversation": tctx.store.conversation("teams", CHANNEL), "activity_id": "m1"}
    json.dumps(ref)
    [attachment] = call["body"]["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
    texts = [b.get("text") for b in content["body"]]
    assert first["title"] == "Netzstörung Köln" and first["title"] in texts and first["where"] in texts
    [buttons] = [b["actions"] for b in content["body"] if b["type"] == "ActionSet"]
    assert [b["action"] for b in first["actions"]] == ["ack", "resolve", "mute", "escalate"]
    assert buttons == [
        {"type": "Action.Submit", "title": b["label"], "data": {"sitroom": b["action"], "alert": a.id},
         **({"style": "positive"} if b["action"] == "ack" else {})}
        for b in first["actions"]
    ]
    assert buttons[0]["title"] == say("button.ack", "de")

    connector.calls.clear()
    later = first | {"status": "acknowledged", "status_line": "Bestätigt von Jonas Becker (teams) um 10:05", "actions": []}
    adapter.update(ref, later, "de")
    adapter.reply(ref, "Erledigt um 10:30")
    put, reply = connector.calls
    assert (put["method"], put["conversation"], put["activity"]) == ("PUT", f"{CHANNEL};messageid=m1", "m1")
    assert put["body"]["id"] == "m1"
    updated = put["body"]["attachments"][0]["content"]["body"]
    assert "Bestätigt von Jonas Becker (teams) um 10:05" in [b.get("text") for b in updated]
    assert not [b for b in updated if b["type"] == "ActionSet"]
    assert (reply["method"], reply["conversation"], reply["activity"]) == ("POST", f"{CHANNEL};messageid=m1", "m1")
    assert (reply["body"]["text"], reply["body"]["replyToId"]) == ("Erledigt um 10:30", "m1")

    connector.calls.clear()
    connector.fail.append((429, {"Retry-After": "7"}))
    with pytest.raises(RateLimited) as limited:
        adapter.update(ref, later, "de")
    assert limited.value.retry_after == 7.0 and connector.calls == []
    connector.fail.append((429, {}))
    with pytest.raises(RateLimited) as limited:
        adapter.send(CHANNEL, first, "de")
    assert limited.value.retry_after == 1.0


# --- switched off, and with real authentication --------------------------------------------

def test_off_without_credentials(tctx, monkeypatch):
    from bot.web import create_app

    monkeypatch.delenv("SITROOM_TEAMS_DEV")
    assert teams.adapter(tctx) is None
    app = create_app(tctx)
    teams.mount(app, tctx)
    assert teams.PATH not in [getattr(r, "path", None) for r in app.routes]
    monkeypatch.setenv("MICROSOFT_APP_ID", "app-without-password")
    assert teams.adapter(tctx) is None


def _jwk(key, kid: str) -> dict:
    n = key.public_key().public_numbers()
    b64 = lambda i: base64.urlsafe_b64encode(i.to_bytes((i.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()
    return {"kty": "RSA", "use": "sig", "kid": kid, "n": b64(n.n), "e": b64(n.e), "endorsements": ["msteams"]}


def test_app_id_turns_on_jwt_validation(tctx, connector, monkeypatch):
    from botframework.connector.auth import ChannelValidation, MicrosoftAppCredentials

    app_id = "11111111-2222-3333-4444-555555555555"
    monkeypatch.setenv("MICROSOFT_APP_ID", app_id)
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "app-secret")
    # Bot Framework's signing keys and Azure AD's tokens, from the fake instead of the internet.
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", f"{connector.url}/openid")
    monkeypatch.setattr(MicrosoftAppCredentials, "get_access_token", lambda self, force_refresh=False: "outgoing-token")
    signing, forger = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    connector.jwks = [_jwk(signing, "bf-key-1")]
    app = app_for(tctx)
    activity = channel_message(connector.url, "offene Alarme")
    claims = {"iss": "https://api.botframework.com", "aud": app_id, "serviceurl": connector.url,
              "exp": int(time.time()) + 600, "nbf": int(time.time()) - 10}

    def token(key, **changes):
        return jwt.encode(claims | changes, key, algorithm="RS256", headers={"kid": "bf-key-1"})

    with serve(app) as url:
        assert post(url, activity).status_code == 401  # no token at all
        assert post(url, activity, token(forger)).status_code == 401  # right shape, wrong key
        assert post(url, activity, token(signing, aud="someone-elses-bot")).status_code == 401
        assert post(url, activity, "not-a-jwt").status_code == 401
        assert connector.calls == [] and tctx.store.conversation("teams", CHANNEL) is None
        assert post(url, activity, token(signing)).status_code == 200
    [call] = connector.calls
    assert call["auth"] == "Bearer outgoing-token" and call["body"]["text"].startswith("Keine offenen Alarme")


# --- charts and explanations --------------------------------------------------------------

def _png_of(url: str) -> bytes:
    assert url.startswith("data:image/png;base64,")
    return base64.b64decode(url.removeprefix("data:image/png;base64,"))


def test_a_summary_is_answered_with_its_text_then_a_card_of_its_charts(tctx, bot_url, connector):
    from PIL import Image

    from tests.test_summary import outage, write

    write(tctx, outage("k", T0, 20) + outage("b", T0, 4, region="berlin"))
    assert post(bot_url, channel_message(connector.url, "Zusammenfassung Netzausfall")).status_code == 200
    text, images = connector.calls  # the text first: the charts are drawn after it went out
    thread = f"{CHANNEL};messageid=1763283600001"
    assert (text["conversation"], images["conversation"]) == (thread, thread)
    assert text["body"]["text"].startswith("🟢 Normal – Netzstörung") and not text["body"].get("attachments")
    [attachment] = images["body"]["attachments"]
    assert attachment["contentType"] == teams.CARD and attachment["content"]["version"] == "1.4"
    volume, regions = attachment["content"]["body"]
    assert [volume["type"], volume["size"], volume["msteams"]] == ["Image", "Stretch", {"allowExpand": True}]
    assert volume["altText"].startswith("Netzstörung · ") and regions["altText"].startswith("Regionen: Netzstörung")
    # no public address configured: the PNG travels inside the card
    assert Image.open(__import__("io").BytesIO(_png_of(volume["url"]))).size == (1000, 560)


def test_with_a_public_address_the_card_links_the_kept_chart(tctx, bot_url, connector):
    from tests.test_summary import outage, write

    tctx.cfg = tctx.cfg.model_copy(update={"server": tctx.cfg.server.model_copy(update={"public_url": "https://sitroom.example/"})})
    write(tctx, outage("k", T0, 20))
    post(bot_url, channel_message(connector.url, "summary outage"))
    [image] = connector.calls[1]["body"]["attachments"][0]["content"]["body"]
    chart_id = image["url"].removeprefix("https://sitroom.example/charts/").removesuffix(".png")
    assert len(chart_id) == 32 and tctx.store.chart_png(chart_id).startswith(b"\x89PNG")


def test_post_sends_text_and_charts_into_the_channel(tctx, bot_url, connector):
    from bot import charts
    from tests.test_charts import series

    adapter, chart = teams.adapter(tctx), charts.volume(series(), "de", "Europe/Berlin", "Netzstörung")
    with pytest.raises(NotReady):
        adapter.post(CHANNEL, "Tagesbericht")
    post(bot_url, channel_message(connector.url, "hilfe"))  # the bot learns the channel
    connector.calls.clear()
    ref = adapter.post(CHANNEL, "Tagesbericht", [chart])
    adapter.post(CHANNEL, "Nur Text")
    with_chart, plain = connector.calls
    assert (with_chart["method"], with_chart["conversation"], with_chart["activity"]) == ("POST", CHANNEL, None)
    assert ref == {"channel_id": CHANNEL, "conversation": tctx.store.conversation("teams", CHANNEL), "activity_id": "m1"}
    assert with_chart["body"]["text"] == "Tagesbericht"
    [image] = with_chart["body"]["attachments"][0]["content"]["body"]
    assert _png_of(image["url"]) == chart.png and image["altText"] == chart.alt
    assert plain["body"]["text"] == "Nur Text" and not plain["body"].get("attachments")


def test_why_lines_come_under_the_size(tctx):
    a = alert(tctx, "network", "Netzstörung Köln")
    why = ["Regel outage: mehr als 20 Beiträge in 15 min", "Begann um 09:12"]
    body = teams.adaptive_card({**card(tctx, a), "why": why})["body"]
    texts = [b.get("text") for b in body]
    size = texts.index(card(tctx, a)["size"])
    assert texts[size + 1:size + 3] == why and texts[size + 3] == card(tctx, a)["status_line"]
    assert [b for b in body if b.get("text") in why][0]["isSubtle"] is True
    plain = teams.adaptive_card({**card(tctx, a), "why": []})["body"]
    assert [b.get("text") for b in plain] == [t for t in texts if t not in why]
