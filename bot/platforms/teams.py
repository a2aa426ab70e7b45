"""Microsoft Teams: Bot Framework activities in, Adaptive Cards out, through botbuilder's CloudAdapter."""

from __future__ import annotations

import asyncio
import base64
import html
import json
import logging
import os
import re
from collections.abc import Sequence

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationAccount, ConversationReference
from msrest.exceptions import HttpOperationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import charts, commands
from bot.charts import Chart
from bot.platforms import ACTIONS, NotReady, RateLimited

log = logging.getLogger("sitroom.teams")
PATH = "/api/messages"
CARD = "application/vnd.microsoft.card.adaptive"
COLORS = {"critical": "Attention", "warning": "Warning", "info": "Accent"}
_AT = re.compile(r"<at[^>]*>.*?</at>", re.I | re.S)


class Settings:
    """The configuration object ConfigurationBotFrameworkAuthentication reads, from the environment."""

    def __init__(self, env=os.environ):
        self.APP_ID = env.get("MICROSOFT_APP_ID", "")
        self.APP_PASSWORD = env.get("MICROSOFT_APP_PASSWORD", "")
        self.APP_TENANTID = env.get("MICROSOFT_APP_TENANT_ID", "")
        self.APP_TYPE = "SingleTenant" if self.APP_TENANTID else "MultiTenant"


def adapter(ctx) -> "TeamsAdapter | None":
    """The Teams adapter, or None when Teams is off (no app id and no explicit development mode)."""
    settings = Settings()
    if settings.APP_ID and not settings.APP_PASSWORD:
        log.error("Teams is off: MICROSOFT_APP_ID is set but MICROSOFT_APP_PASSWORD is not")
        return None
    if not settings.APP_ID:
        if os.environ.get("SITROOM_TEAMS_DEV") != "1":
            return None
        log.warning("Teams runs in LOCAL DEVELOPMENT mode: %s accepts unauthenticated requests. "
                    "Never expose it; set MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD for real use.", PATH)
    return TeamsAdapter(ctx, settings)


# --- outgoing -----------------------------------------------------------------------------

def _text(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": str(text), "wrap": True, **style}


def adaptive_card(card: dict) -> dict:
    """The card as an Adaptive Card 1.4: headline, facts, up to three example posts, one button per action."""
    color = "Good" if card["status"] == "resolved" else COLORS.get(card["severity"], "Default")
    body = [
        _text(f"{card['severity_label']} · #{card['id']} · {card['status_label']}", weight="Bolder", color=color, size="Small"),
        _text(card["title"], weight="Bolder", size="Large"),
        *(_text(fact, spacing="Small") for fact in (card["where"], card["size"]) if fact),
        *(_text(line, spacing="None", isSubtle=True) for line in card.get("why") or []),  # why it fired
        *(_text(fact, spacing="Small") for fact in (card["status_line"], card.get("history_line")) if fact),
    ]
    posts = card.get("posts", [])[:3]
    if posts:
        quotes = [_text(card["posts_label"], weight="Bolder")]
        for p in posts:
            author = p.get("author") or ""
            if author and p.get("url"):
                author = f"[{author}]({p['url']})"
            quotes.append(_text(f"“{p['text']}”" + (f" — {author}" if author else ""), isSubtle=True, spacing="Small"))
        body.append({"type": "Container", "style": "emphasis", "items": quotes})
    buttons = [
        {"type": "Action.Submit", "title": a["label"], "data": {"sitroom": a["action"], "alert": card["id"]},
         **({"style": "positive"} if a["action"] == "ack" else {})}
        for a in card.get("actions", [])
    ]
    if buttons:
        body.append({"type": "ActionSet", "actions": buttons})
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.4", "body": body}


def image_url(ctx, chart: Chart) -> str:
    """Where Teams loads a chart from: its address under server.public_url when one is configured
    (kept in Redis for 30 days, served without a login at /charts/<id>.png), else the PNG itself as a
    data URI, which Adaptive Card images accept and which does not count towards a bot message's
    size limit; a 1000 × 560 chart is well under the 1024 × 1024 px and 1 MB Teams allows inline."""
    base = ctx.cfg.server.public_url
    if base:
        return base.rstrip("/") + charts.keep(ctx, chart)
    return "data:image/png;base64," + base64.b64encode(chart.png).decode()


def charts_card(ctx, images: Sequence[Chart]) -> dict:
    """An Adaptive Card of chart images, full width, each with its alt text; a tap opens it large."""
    body = [{"type": "Image", "url": image_url(ctx, c), "altText": c.alt, "size": "Stretch",
             "msteams": {"allowExpand": True}} for c in images]
    return {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "version": "1.4", "body": body}


def _charts_attachment(ctx, images: Sequence[Chart]) -> Attachment:
    return Attachment(content_type=CARD, content=charts_card(ctx, images))


def _card_activity(card: dict, conversation: str) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        conversation=ConversationAccount(id=conversation),
        summary=f"{card['severity_label']}: {card['title']}",  # what notifications and the activity feed show
        attachments=[Attachment(content_type=CARD, content=adaptive_card(card))],
    )


def _thread(reference: ConversationReference, activity_id: str) -> str:
    """The conversation id of a message's thread: Teams channels address a thread as `channel;messageid=root`."""
    base = reference.conversation.id
    return f"{base};messageid={activity_id}" if reference.conversation.conversation_type == "channel" else base


class TeamsAdapter:
    """Posts and updates alert cards in Teams conversations, and answers activities from Teams."""

    name = "teams"
    min_interval_s = 1.0  # the Bot Connector throttles bursts into one conversation

    def __init__(self, ctx, settings: Settings):
        self.ctx = ctx
        self.app_id = settings.APP_ID
        self.cloud = CloudAdapter(ConfigurationBotFrameworkAuthentication(settings))

    def send(self, destination: str, card: dict, lang: str) -> dict:
        """Start a new thread with the card in the conversation learnt for `destination`."""
        ref = self.ctx.store.conversation("teams", destination)
        if ref is None:
            raise NotReady(f"no conversation reference for Teams channel {destination}: "
                           "install the app in that channel or mention the bot there once")
        reference = ConversationReference().deserialize(ref)

        async def work(connector):
            return await connector.conversations.send_to_conversation(reference.conversation.id, _card_activity(card, reference.conversation.id))

        sent = self._proactive(reference, work)
        return {"channel_id": destination, "conversation": ref, "activity_id": sent.id}

    def update(self, ref: dict, card: dict, lang: str) -> None:
        """Replace the card of a sent message with the alert's new state."""
        reference = ConversationReference().deserialize(ref["conversation"])
        activity = _card_activity(card, _thread(reference, ref["activity_id"]))
        activity.id = ref["activity_id"]

        async def work(connector):
            await connector.conversations.update_activity(activity.conversation.id, activity.id, activity)

        self._proactive(reference, work)

    def reply(self, ref: dict, text: str) -> None:
        """A follow-up in the thread of the alert message."""
        reference = ConversationReference().deserialize(ref["conversation"])
        thread = _thread(reference, ref["activity_id"])
        activity = Activity(type=ActivityTypes.message, text=text, conversation=ConversationAccount(id=thread), reply_to_id=ref["activity_id"])

        async def work(connector):
            await connector.conversations.reply_to_activity(thread, ref["activity_id"], activity)

        self._proactive(reference, work)

    def post(self, destination: str, text: str, charts: Sequence[Chart] = ()) -> dict:
        """A plain message (no alert, no buttons) with optional chart images, in a department's channel."""
        ref = self.ctx.store.conversation("teams", destination)
        if ref is None:
            raise NotReady(f"no conversation reference for Teams channel {destination}: "
                           "install the app in that channel or mention the bot there once")
        reference = ConversationReference().deserialize(ref)
        activity = Activity(type=ActivityTypes.message, text=text, conversation=ConversationAccount(id=reference.conversation.id),
                            attachments=[_charts_attachment(self.ctx, charts)] if charts else None)

        async def work(connector):
            return await connector.conversations.send_to_conversation(reference.conversation.id, activity)

        sent = self._proactive(reference, work)
        return {"channel_id": destination, "conversation": ref, "activity_id": sent.id}

    def _proactive(self, reference: ConversationReference, work):
        """Run work(connector client) in a proactive turn; a 429 becomes RateLimited."""
        result = []

        async def callback(turn: TurnContext):
            # The connector directly, not turn.send_activity: in a proactive turn that would
            # address the message as a reply to the made-up continuation event.
            connector = turn.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
            # urllib3 would sleep through a 429's Retry-After inside this job; delivery waits instead.
            connector.config.retry_policy.policy.respect_retry_after_header = False
            result.append(await work(connector))

        try:
            asyncio.run(self.cloud.continue_conversation(reference, callback, self.app_id))
        except HttpOperationError as e:
            if e.response is not None and e.response.status_code == 429:
                raise RateLimited(_retry_after(e.response.headers.get("Retry-After"))) from e
            raise
        return result[0]

    # --- incoming ---------------------------------------------------------------------
    async def on_turn(self, turn: TurnContext) -> None:
        """Remember where the activity came from, and answer messages and card buttons."""
        answer = await asyncio.to_thread(self._answer, turn.activity)
        if answer is None:
            return
        await turn.send_activity(answer.text)
        # Charts follow the text, in a card of their own: they are drawn only now.
        images = await asyncio.to_thread(list, answer.charts)
        if images:
            try:
                attachment = await asyncio.to_thread(_charts_attachment, self.ctx, images)
                await turn.send_activity(Activity(type=ActivityTypes.message, attachments=[attachment]))
            except Exception:  # the answer is out; a chart that cannot go is not worth an error to the user
                log.exception("Teams: charts not sent")

    def _answer(self, activity: Activity) -> commands.Reply | None:
        channel_id = _channel_id(activity)
        dept = self.ctx.department_for("teams", channel_id)
        if self.ctx.store.conversation("teams", channel_id) is None:  # admins look for channel ids here
            log.info("Teams: now able to post into %s (%s)", channel_id, f"department {dept.name}" if dept else "no department's channel")
        self.ctx.store.save_conversation("teams", channel_id, _channel_reference(activity, channel_id))
        if activity.type != ActivityTypes.message:
            return None
        sender = activity.from_property
        user_id, user = sender.aad_object_id or sender.id, sender.name or sender.id
        value = activity.value if isinstance(activity.value, dict) else {}
        if "sitroom" in value:
            action, alert = value.get("sitroom"), value.get("alert")
            if action not in ACTIONS or not str(alert).isdigit():
                log.info("ignored a Teams card action with data %r", value)
                return None
            return commands.act(self.ctx, int(alert), action, "teams", user_id, user, dept.language if dept else None)
        text = html.unescape(_AT.sub("", TurnContext.remove_recipient_mention(activity) or "")).strip()
        request = commands.Request(text, user, dept.name if dept else None, "teams", user_id)
        return commands.handle(self.ctx, request)


def _channel_id(activity: Activity) -> str:
    """The Teams channel an activity belongs to; chats (1:1, group) are known by their conversation id."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = (data.get("channel") or {}).get("id")
    return channel or activity.conversation.id.split(";")[0]


def _channel_reference(activity: Activity, channel_id: str) -> dict:
    """How to post into the activity's conversation later: a new thread, not a reply to this activity."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    if reference.conversation.conversation_type == "channel":
        reference.conversation.id = channel_id  # messages in a thread carry `;messageid=` in the conversation id
    return reference.serialize()


def _retry_after(value) -> float:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 1.0  # absent, or an HTTP date


def mount(app, ctx) -> None:
    """POST /api/messages, when Teams is on."""
    teams = adapter(ctx)
    if teams is None:
        return
    limit = ctx.cfg.server.max_body_bytes

    @app.post(PATH)
    async def messages(request: Request):
        body = await request.body()
        if len(body) > limit:
            return JSONResponse({"error": f"body is over the limit of {limit} bytes"}, status_code=413)
        try:
            data = json.loads(body)
            activity = Activity().deserialize(data) if isinstance(data, dict) else None
        except Exception:  # msrest raises its own errors for shapes it cannot read
            activity = None
        if activity is None or not activity.type or activity.conversation is None:
            return JSONResponse({"error": "expected a Bot Framework activity (JSON object with type and conversation)"}, status_code=400)
        auth_header = request.headers.get("Authorization", "")
        try:
            auth = await teams.cloud.bot_framework_authentication.authenticate_request(activity, auth_header)
        except Exception as e:  # the SDK signals a bad token with many exception types
            log.warning("refused a request to %s: %s", PATH, e)
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        invoke = await teams.cloud.process_activity(auth, activity, teams.on_turn)
        if invoke is not None:
            return JSONResponse(invoke.body, status_code=invoke.status)
        return Response(status_code=200)
