"""Slack: alerts as Block Kit messages; slash command, mentions, DMs and buttons through slack-bolt."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Sequence

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from starlette.requests import Request
from starlette.responses import Response

from bot import commands
from bot.charts import Chart
from bot.platforms import ACTIONS, NotReady, RateLimited

log = logging.getLogger("sitroom.slack")
PATH = "/slack/events"  # events, interactivity and slash commands share one request URL
COMMAND = "/sitroom"
ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
STYLES = {"ack": "primary", "escalate": "danger"}  # Slack has only these two button colours
NOT_YET = {"not_in_channel", "channel_not_found"}  # the bot has not been invited to the channel yet
MAX_TITLE, MAX_ALT = 250, 1000  # a file's title; its alt text (Slack's limit)
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_BUTTON = re.compile(rf"^sitroom:({'|'.join(ACTIONS)})$")


def credentials(ctx) -> dict | None:
    """The Slack secrets from the environment, or None when Slack is off."""
    token, secret, app_token = (os.environ.get(k) for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"))
    socket = ctx.cfg.platforms.slack.mode == "socket"
    if not token or not (app_token if socket else secret):
        return None
    return {"token": token, "secret": secret or "", "app_token": app_token, "socket": socket}


def web_client(ctx, token: str, wait_on_429: bool = False) -> WebClient:
    """A Web API client at cfg.platforms.slack.api_url (slack.com by default)."""
    url = ctx.cfg.platforms.slack.api_url
    # Alert delivery must not sleep through a 429: the job raises RateLimited so that the
    # delivery queue waits and keeps each channel's messages in order. Answers to people have
    # nothing queued behind them, so their client may wait once.
    handlers = [ConnectionErrorRetryHandler()] + ([RateLimitErrorRetryHandler(max_retry_count=1)] if wait_on_429 else [])
    extra = {"base_url": url.rstrip("/") + "/"} if url else {}  # slack_sdk joins base_url + method
    return WebClient(token=token, retry_handlers=handlers, **extra)


# --- outgoing -----------------------------------------------------------------------------

def _esc(text: str) -> str:
    """Plain text made safe for mrkdwn (Slack's three control characters)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback(card: dict) -> str:
    """The notification text shown where blocks are not (push, screen readers)."""
    return f"{card['severity_label']}: {card['title']} · {card['where']}"


def blocks(card: dict) -> list[dict]:
    """The card as Block Kit: headline, facts (why it fired under the size), up to three example
    posts, one button per action."""
    head = f"{ICONS.get(card['severity'], '')} {card['severity_label']} · {card['title']}".strip()
    facts = [card["where"], card["size"], *(card.get("why") or []), card["status_line"], card.get("history_line")]
    out = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150], "emoji": True}},  # Slack's limit
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(_esc(f) for f in facts if f)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"#{card['id']} · {_esc(card['status_label'])}"}]},
    ]
    posts = card.get("posts", [])[:3]
    if posts:
        quotes = [f"*{_esc(card['posts_label'])}*"]
        for p in posts:
            author = _esc(p.get("author") or "")
            if author and p.get("url"):
                author = f"<{p['url']}|{author}>"
            quotes.append("\n".join("> " + _esc(line) for line in (p["text"] or "").splitlines() or [""]))
            quotes.append(f"> — {author}" if author else "")
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(q for q in quotes if q)[:3000]}})
    buttons = [_button(card["id"], a["action"], a["label"]) for a in card.get("actions", [])]
    if buttons:
        out.append({"type": "actions", "block_id": f"sitroom:{card['id']}", "elements": buttons})
    return out


def _button(alert_id: int, action: str, label: str) -> dict:
    """A button that comes back to us as block_actions 'sitroom:<action>' with the alert id."""
    button = {"type": "button", "action_id": f"sitroom:{action}", "value": str(alert_id),
              "text": {"type": "plain_text", "text": label, "emoji": True}}
    if action in STYLES:
        button["style"] = STYLES[action]
    return button


class SlackAdapter:
    """Posts, updates and threads alert messages through the Web API."""

    name = "slack"
    min_interval_s = 1.0  # Slack allows about one message per second per channel

    def __init__(self, client: WebClient):
        self.client = client

    def send(self, destination: str, card: dict, lang: str) -> dict:
        """Post the card into a channel; the ref is its channel id and ts."""
        resp = self._call("chat_postMessage", channel=destination, text=fallback(card), blocks=blocks(card), unfurl_links=False)
        return {"channel": resp["channel"], "ts": resp["ts"]}

    def update(self, ref: dict, card: dict, lang: str) -> None:
        """Replace the message in place with the card's new state."""
        self._call("chat_update", channel=ref["channel"], ts=ref["ts"], text=fallback(card), blocks=blocks(card))

    def reply(self, ref: dict, text: str) -> None:
        """A follow-up in the alert message's thread."""
        self._call("chat_postMessage", channel=ref["channel"], thread_ts=ref["ts"], text=text, unfurl_links=False)

    def post(self, destination: str, text: str, charts: Sequence[Chart] = ()) -> dict:
        """A plain message (no alert, no buttons) with optional chart images, in a department's channel.

        With charts it is one file share whose comment is the text; the ref then names the files."""
        if not charts:
            resp = self._call("chat_postMessage", channel=destination, text=_esc(text), unfurl_links=False)
            return {"channel": resp["channel"], "ts": resp["ts"]}
        resp = self._call("files_upload_v2", file_uploads=uploads(charts), channel=destination, initial_comment=_esc(text))
        return {"channel": destination, "files": [f["id"] for f in resp.get("files") or []]}

    def _call(self, method: str, **kwargs):
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as e:
            if e.response.status_code == 429:
                headers = {k.lower(): v for k, v in (e.response.headers or {}).items()}
                value = headers.get("retry-after", "1")
                raise RateLimited(float(value[0] if isinstance(value, list) else value)) from None
            if e.response.get("error") in NOT_YET:
                raise NotReady(f"{e.response['error']}: invite the bot to the channel") from None
            raise


def uploads(charts: Sequence[Chart]) -> list[dict]:
    """Charts as files_upload_v2 items: the PNG, its file name, and its alt text for screen readers."""
    return [{"file": c.png, "filename": c.name, "title": c.alt[:MAX_TITLE], "alt_txt": c.alt[:MAX_ALT]} for c in charts]


def share_charts(client: WebClient, charts: Sequence[Chart], channel: str | None = None, thread_ts: str | None = None,
                 user: str | None = None) -> None:
    """Upload an answer's charts where it went: a channel (its thread, if it was threaded), or a
    person's direct messages with the bot. Called after the text is out: drawing happens now.
    A failure is logged; the answer is out already."""
    where = channel or user
    try:
        if charts:
            client.files_upload_v2(file_uploads=uploads(charts), channel=channel, thread_ts=thread_ts,
                                   channels=[user] if user else None)
    except Exception as e:  # e.g. missing files:write, or a channel the bot is not in
        log.warning("slack: charts not shared with %s: %s", where, e)


def adapter(ctx) -> SlackAdapter | None:
    """The outgoing adapter, or None when Slack's credentials are not set."""
    creds = credentials(ctx)
    return SlackAdapter(web_client(ctx, creds["token"])) if creds else None


# --- incoming -----------------------------------------------------------------------------

def _name(ctx, user_id: str, given: str | None = None) -> str:
    """The member's configured name, else what Slack called them, else their id."""
    member = ctx.cfg.person("slack", user_id)
    return member.name if member else (given or user_id)


def _ask(ctx, text: str, user_id: str, channel: str | None, given: str | None = None) -> commands.Reply:
    dept = ctx.department_for("slack", channel) if channel else None
    request = commands.Request(text, _name(ctx, user_id, given), dept.name if dept else None, "slack", user_id=user_id)
    return commands.handle(ctx, request)


def bolt_app(ctx, creds: dict) -> App:
    """The Bolt app with sitroom's listeners."""
    app = App(
        client=web_client(ctx, creds["token"], wait_on_429=True),
        signing_secret=creds["secret"],
        # auth.test on the first request, not at start-up: a Slack outage must not keep the room down.
        token_verification_enabled=False,
        name="sitroom",
    )

    # Answers are escaped: summaries quote customers' posts, and "<!channel>" in one must not ping anybody.
    @app.command(COMMAND)
    def slash(ack, body, respond, client):
        ack()  # within Slack's 3 s; the answer follows through response_url
        reply = _ask(ctx, body.get("text", ""), body["user_id"], body.get("channel_id"), body.get("user_name"))
        respond(_esc(reply.text))
        share_charts(client, reply.charts, user=body["user_id"])  # the answer is private: so are its charts

    @app.event("app_mention")
    def mention(event, client):
        reply = _ask(ctx, _MENTION.sub("", event.get("text", "")).strip(), event["user"], event["channel"])
        client.chat_postMessage(channel=event["channel"], text=_esc(reply.text), thread_ts=event.get("thread_ts"))
        share_charts(client, reply.charts, event["channel"], event.get("thread_ts"))

    @app.event("message")
    def message(event, client):
        # Only people writing to the bot directly; edits, joins and other bots have a subtype or bot_id.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        reply = _ask(ctx, event.get("text", ""), event["user"], None)
        client.chat_postMessage(channel=event["channel"], text=_esc(reply.text))
        share_charts(client, reply.charts, event["channel"])

    @app.action(_BUTTON)
    def button(ack, body, action, client, respond):
        ack()
        if not str(action.get("value", "")).isdigit():
            return
        user = body["user"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        dept = ctx.department_for("slack", channel) if channel else None
        verb = _BUTTON.match(action["action_id"]).group(1)
        name = _name(ctx, user["id"], user.get("username") or user.get("name"))
        reply = commands.act(ctx, int(action["value"]), verb, "slack", user["id"], name, dept.language if dept else None)
        # The alert message itself is updated by delivery, on every platform at once.
        if channel:
            client.chat_postEphemeral(channel=channel, user=user["id"], text=reply.text)
        else:
            respond(text=reply.text, response_type="ephemeral", replace_original=False)

    return app


def socket_handler(ctx, app: App, creds: dict) -> SocketModeHandler:
    """Socket Mode: Slack's events over a WebSocket that we open (no public URL needed)."""
    return SocketModeHandler(app, creds["app_token"], web_client=app.client)


def mount(fastapi_app, ctx) -> None:
    """Add POST /slack/events (HTTP mode) or a Socket Mode connection to the web app, when Slack is on."""
    creds = credentials(ctx)
    if creds is None or getattr(fastapi_app.state, "slack", None) is not None:
        return  # off, or mounted already
    app = fastapi_app.state.slack = bolt_app(ctx, creds)
    if creds["socket"]:
        handlers = []  # built at start-up: a SocketModeHandler starts its threads when it is made

        async def connect():
            handlers.append(socket_handler(ctx, app, creds))
            await asyncio.to_thread(handlers[0].connect)
            log.info("slack: connected in Socket Mode")

        async def close():
            for handler in handlers:
                await asyncio.to_thread(handler.close)

        fastapi_app.router.on_startup.append(connect)
        fastapi_app.router.on_shutdown.append(close)
        return
    limit = ctx.cfg.server.max_body_bytes

    async def slack_events(request: Request):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return Response("body too large", status_code=413)
        body = await request.body()
        # Bolt is synchronous: the listeners run on its own threads, the dispatch on ours.
        response = await asyncio.to_thread(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    fastapi_app.add_api_route(PATH, slack_events, methods=["POST"], include_in_schema=False)
    log.info("slack: listening at %s", PATH)
