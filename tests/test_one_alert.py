"""One alert, every platform: an ack in Teams updates Slack, Telegram and the room; a second ack is told."""

from __future__ import annotations

import httpx
import pytest
import yaml

from bot import ingest
from bot.models import AlertStatus
from bot.platforms import teams as teams_platform
from bot.platforms import telegram as telegram_platform
from tests.conftest import ROOT
from tests.test_pipeline import outage_posts
from tests.test_slack import SECRET as SLACK_SECRET
from tests.test_slack import TOKEN as SLACK_TOKEN
from tests.test_slack import FakeSlack, click
from tests.test_teams import CHANNEL, JONAS as JONAS_TEAMS, Connector, channel_message, post as teams_post
from tests.test_telegram import NETWORK_CHAT, SECRET as TG_SECRET, TOKEN as TG_TOKEN, FakeBotApi
from tests.test_web import serve

NOC = "C0NOC"


@pytest.fixture
def fakes():
    found = FakeSlack(), Connector(), FakeBotApi()
    yield found
    for fake in found:
        fake.close()


@pytest.fixture
def octx(redis, redis_url, env_secrets, fakes, tmp_path, monkeypatch):
    """The network department on Slack, Teams and Telegram; Jonas and Aylin known on each."""
    from bot.context import Context

    fake_slack, _, fake_tg = fakes
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SLACK_SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SITROOM_TEAMS_DEV", "1")
    monkeypatch.setenv(telegram_platform.TOKEN_ENV, TG_TOKEN)
    monkeypatch.setenv(telegram_platform.SECRET_ENV, TG_SECRET)
    with open(f"{ROOT}/config.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["rules"] = f"{ROOT}/rules"
    data["platforms"] = {"slack": {"api_url": fake_slack.url + "/api"}, "telegram": {"api_url": fake_tg.url}}
    network = next(d for d in data["departments"] if d["name"] == "network")
    network["destinations"] |= {"slack": {"channel": NOC}, "teams": {"channel_id": CHANNEL},
                                "telegram": {"chat_id": NETWORK_CHAT}}
    network["members"] = [
        {"name": "Jonas Becker", "slack": "U0JONAS", "teams": JONAS_TEAMS["aadObjectId"], "telegram": 7001},
        {"name": "aylin.demir", "slack": "U0AYLIN"}, "markus.hoffmann"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Context.create(path, redis_url=redis_url)


def test_an_ack_in_teams_updates_every_platform_and_the_second_ack_is_told(octx, fakes, scorer):
    from bot import worker
    from bot.web import create_app

    def drain():
        worker.run(octx, burst=True, scorer=scorer)

    fake_slack, connector, fake_tg = fakes
    app = create_app(octx)
    assert {"/slack/events", teams_platform.PATH, "/telegram/webhook"} <= {getattr(r, "path", "") for r in app.routes}
    with serve(app) as url:
        # Teams tells us the channel when the bot is first addressed there.
        assert teams_post(url, channel_message(connector.url, "hilfe")).status_code == 200
        ingest.accept(octx, outage_posts())
        drain()
        [alert] = octx.store.alerts()
        [posted] = fake_slack.of("chat.postMessage")
        assert posted["body"]["channel"] == NOC and "Köln/Bonn" in posted["body"]["text"]
        [tg_sent] = fake_tg.sent("sendMessage")
        assert int(tg_sent["chat_id"]) == NETWORK_CHAT and "Köln/Bonn" in tg_sent["text"]
        new_thread = [c for c in connector.calls if c["method"] == "POST" and c["conversation"] == CHANNEL]
        assert len(new_thread) == 1 and new_thread[0]["body"]["attachments"]
        card_id = octx.store.message_ref(alert.id, "teams", CHANNEL)["activity_id"]

        press = channel_message(connector.url, root=card_id, replyToId=card_id, value={"sitroom": "ack", "alert": alert.id})
        assert teams_post(url, press).status_code == 200
        drain()
        stored = octx.store.get_alert(alert.id)
        assert (stored.status, stored.acked_by, stored.acked_via) == (AlertStatus.ACKNOWLEDGED, "Jonas Becker", "teams")
        [updated] = fake_slack.of("chat.update")
        assert updated["body"]["ts"] == octx.store.message_ref(alert.id, "slack", NOC)["ts"] and "Bestätigt von Jonas Becker (teams)" in str(updated["body"]["blocks"])
        [edited] = fake_tg.sent("editMessageText")
        assert "Bestätigt von Jonas Becker (teams)" in edited["text"]
        assert any(c["method"] == "PUT" and "Bestätigt von Jonas Becker (teams)" in str(c["body"]) for c in connector.calls)
        state = httpx.get(f"{url}/room/api/state", cookies={"sitroom_room": app.state.room_token}, trust_env=False).json()
        assert state["alerts"][0]["cards"]["de"]["status_line"].startswith("Bestätigt von Jonas Becker (teams)")

        # Aylin presses Acknowledge in Slack a moment later: she is told, nothing changes.
        assert click(url, fake_slack, alert.id, "ack", "U0AYLIN").status_code == 200
        [ephemeral] = fake_slack.wait_for("chat.postEphemeral")
        assert "schon von Jonas Becker bestätigt" in ephemeral["body"]["text"]
        assert octx.store.get_alert(alert.id).acked_by == "Jonas Becker"

