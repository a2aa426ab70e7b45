"""Telegram: alerts as HTML messages with inline keyboards; commands and buttons by webhook or long polling."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import json
import logging
import os
import warnings
from collections.abc import Sequence

from fastapi import BackgroundTasks, HTTPException, Request
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot import commands
from bot.charts import Chart
from bot.platforms import ACTIONS, NotReady, RateLimited

log = logging.getLogger("sitroom.telegram")
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PATH = "/telegram/webhook"
UPDATES = ["message", "callback_query"]  # all the bot needs to hear about
EXAMPLES = 3  # example posts quoted under an alert
MAX_TEXT, MAX_CAPTION = 4096, 1024  # Telegram's limits for a message and a photo's caption
MARK = {"critical": "🔴", "warning": "🟠", "info": "🔵"}

# PTB 22 warns inside its own RetryAfter constructor about a future type change; we handle both types.
warnings.filterwarnings("ignore", message=".*`retry_after` will be of type", category=PTBDeprecationWarning)

# Slash commands become the command layer's own words, in the language the answer should have
# (the command layer answers in the language of the question; a bare "/status" has none).
WORDS = {
    "status": {"de": "offene Alarme", "en": "open alerts"},
    "topics": {"de": "Themen", "en": "topics"},
    "summary": {"de": "Zusammenfassung", "en": "summary"},
    "more": {"de": "mehr", "en": "more"},
    "silences": {"de": "Stummschaltungen", "en": "silences"},
    "oncall": {"de": "wer hat Bereitschaft", "en": "who is on call"},
    "help": {"de": "hilfe", "en": "help"},
    "start": {"de": "hilfe", "en": "help"},  # what Telegram sends when someone opens the bot's chat
    "ack": {"de": "bestätige", "en": "ack"},
    "resolve": {"de": "erledigt", "en": "resolve"},
    "mute": {"de": "stumm", "en": "mute"},
    "escalate": {"de": "eskaliere", "en": "escalate"},
}


def base_url(api_url: str | None) -> str:
    """PTB's base_url for a Bot API server root (api_url): PTB appends the token to it."""
    return f"{(api_url or 'https://api.telegram.org').rstrip('/')}/bot"


@contextlib.asynccontextmanager
async def session(token: str, api_url: str | None):
    """A Bot with its own HTTP client, closed on exit, so that no client outlives its event loop."""
    request = HTTPXRequest(connection_pool_size=2)
    bot = Bot(token, base_url=base_url(api_url), request=request, get_updates_request=request)
    await request.initialize()  # not bot.initialize(): that costs a getMe per session
    try:
        yield bot
    finally:
        await request.shutdown()


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after  # seconds today, a timedelta in a future PTB
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def html_of(card: dict) -> str:
    """The card as Telegram HTML: severity and title in bold, where, how big, its state, example posts."""
    e = html.escape
    head = f"<b>{e(card['severity_label'])} · {e(card['title'])}</b>"
    lines = [f"{MARK.get(card['severity'], '')} {head}".strip(), e(card["where"]), e(card["size"]),
             *(e(line) for line in card.get("why") or []), e(card["status_line"])]  # why it fired, under the size
    if card.get("history_line"):
        lines.append(f"<i>{e(card['history_line'])}</i>")
    posts = card.get("posts", [])[:EXAMPLES]
    if posts:
        lines += ["", e(card["posts_label"])]
    for post in posts:
        who = e(post.get("author") or "")
        if who and (post.get("url") or "").startswith(("https://", "http://")):
            who = f'<a href="{e(post["url"])}">{who}</a>'
        lines.append(f"<blockquote>{e(post['text'])}" + (f"\n— {who}" if who else "") + "</blockquote>")
    return "\n".join(lines)


def keyboard(card: dict) -> InlineKeyboardMarkup | None:
    """One button per action the alert allows now, two to a row; None when nothing is left to do."""
    buttons = [
        InlineKeyboardButton(a["label"], callback_data=f"sitroom:{a['action']}:{card['id']}") for a in card.get("actions", [])
    ]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)]) if buttons else None


class TelegramAdapter:
    """Alert messages through the Bot API; sync, for delivery jobs."""

    name = "telegram"
    min_interval_s = 3.0  # Telegram allows about 20 messages a minute into one group

    def __init__(self, token: str, api_url: str | None = None):
        self.token, self.api_url = token, api_url

    def _run(self, call):
        async def go():
            async with session(self.token, self.api_url) as bot:
                try:
                    return await call(bot)
                except RetryAfter as e:
                    raise RateLimited(_seconds(e)) from None

        return asyncio.run(go())  # a fresh loop per call: RQ jobs are sync and may run in any thread

    def send(self, destination: str, card: dict, lang: str) -> dict:
        """Post the alert into a chat; the reference is its chat and message id."""
        try:
            message = self._run(lambda bot: bot.send_message(
                destination, html_of(card), parse_mode=ParseMode.HTML, reply_markup=keyboard(card)))
        except ChatMigrated as e:
            raise NotReady(f"the group became a supergroup: set its chat_id to {e.new_chat_id} in config.yaml") from None
        except (Forbidden, BadRequest) as e:
            if isinstance(e, Forbidden) or "chat not found" in e.message.lower():
                raise NotReady(f"cannot post to chat {destination} ({e.message}): add the bot to the group") from None
            raise
        return {"chat_id": message.chat_id, "message_id": message.message_id}

    def update(self, ref: dict, card: dict, lang: str) -> None:
        """Show the card's new state in the original message; without actions, without a keyboard."""
        try:
            self._run(lambda bot: bot.edit_message_text(
                html_of(card), chat_id=ref["chat_id"], message_id=ref["message_id"],
                parse_mode=ParseMode.HTML, reply_markup=keyboard(card)))
        except BadRequest as e:
            if "message is not modified" in e.message.lower():
                return  # the same state delivered twice: nothing to change
            if "message to edit not found" in e.message.lower():
                log.warning("alert %s: its Telegram message %s is gone; not updated", card["id"], ref)
                return
            raise

    def reply(self, ref: dict, text: str) -> None:
        """A follow-up as a reply to the alert message."""
        self._run(lambda bot: bot.send_message(
            ref["chat_id"], text, reply_parameters=ReplyParameters(ref["message_id"], allow_sending_without_reply=True)))

    def post(self, destination: str, text: str, charts: Sequence[Chart] = ()) -> dict:
        """A plain message (no alert, no buttons) with optional chart images, in a department's chat:
        the text, then each chart as a photo with its caption."""
        async def go(bot):
            message = await bot.send_message(destination, text[:MAX_TEXT])
            for chart in charts:
                await send_chart(bot, destination, chart)
            return message

        try:
            message = self._run(go)
        except (Forbidden, BadRequest) as e:
            if isinstance(e, Forbidden) or "chat not found" in e.message.lower():
                raise NotReady(f"cannot post to chat {destination} ({e.message}): add the bot to the group") from None
            raise
        return {"chat_id": message.chat_id, "message_id": message.message_id}


async def send_chart(bot: Bot, chat_id, chart: Chart, reply_to: ReplyParameters | None = None):
    """One chart as a photo; its alt text is the caption (Telegram allows 1024 characters there)."""
    return await bot.send_photo(chat_id, chart.png, caption=chart.alt[:MAX_CAPTION], filename=chart.name,
                                reply_parameters=reply_to)


def adapter(ctx) -> TelegramAdapter | None:
    """The adapter, or None when TELEGRAM_BOT_TOKEN is not set (Telegram is off)."""
    token = os.environ.get(TOKEN_ENV)
    return TelegramAdapter(token, ctx.cfg.platforms.telegram.api_url) if token else None


# --- inbound: the same for webhook and long polling ------------------------------------------

def _language(dept, user) -> str:
    """A department's chat speaks its language; elsewhere the user's Telegram language, or English."""
    if dept is not None:
        return dept.language
    code = (getattr(user, "language_code", None) or "").lower()
    return "de" if code.startswith("de") else "en"


def _name(ctx, user) -> str:
    """The member's configured name (the same on every platform), else their Telegram name."""
    member = ctx.cfg.person("telegram", str(user.id))
    return member.name if member else (user.full_name or user.username or str(user.id))


async def answer(ctx, bot: Bot, update: Update, me) -> None:
    """Carry out one update: a button press, or a message to the bot. `me()` gives the bot's username."""
    try:
        if update.callback_query is not None:
            await _button(ctx, bot, update.callback_query)
        elif update.message is not None and update.message.text and update.message.from_user is not None:
            await _message(ctx, bot, update.message, me)
    except RetryAfter as e:
        log.warning("Telegram flood control: update %s not answered (retry after %.0f s)", update.update_id, _seconds(e))
    except TelegramError as e:
        log.warning("Telegram update %s not answered: %s", update.update_id, e)
    except Exception:  # a bad update must not take the web process with it
        log.exception("Telegram update %s failed", update.update_id)


async def _button(ctx, bot: Bot, query) -> None:
    prefix, action, alert_id = ((query.data or "").split(":") + ["", "", ""])[:3]
    if prefix != "sitroom" or action not in ACTIONS or not alert_id.isdigit():
        await bot.answer_callback_query(query.id)  # not ours: at least stop the button's spinner
        return
    user = query.from_user
    chat = query.message.chat if query.message is not None else None
    dept = ctx.department_for("telegram", str(chat.id)) if chat is not None else None
    reply = await asyncio.to_thread(
        commands.act, ctx, int(alert_id), action, "telegram", str(user.id), _name(ctx, user), lang=_language(dept, user))
    # The message itself is edited by delivery, like every other message of the alert.
    await bot.answer_callback_query(query.id, text=reply.text[:200], show_alert=False)


async def _message(ctx, bot: Bot, message, me) -> None:
    chat, user = message.chat, message.from_user
    private = chat.type == ChatType.PRIVATE
    dept = ctx.department_for("telegram", str(chat.id))
    text = message.text.strip()
    if text.startswith("/"):
        head, args = (text.split(None, 1) + [""])[:2]
        command, _, addressee = head[1:].partition("@")
        if addressee and addressee.lower() != (await me()).lower():
            return  # meant for another bot in the group
        words = WORDS.get(command.lower())
        if words is None and not private:
            return  # someone else's command; in a private chat the command layer explains what it knows
        if words is not None:
            text = f"{words[_language(dept, user)]} {args}".strip()
    elif not private:
        first, _, rest = text.partition(" ")
        if not first.startswith("@") or first[1:].lower() != (await me()).lower():
            return  # group chatter: only commands and "@bot question" are for us
        text = rest
    # Ids only, never the text: this line is how admins find the ids config.yaml needs.
    log.info("telegram: message from user %s in chat %s%s", user.id, chat.id, "" if dept else " (no department's chat)")
    request = commands.Request(text=text, user=_name(ctx, user), department=dept.name if dept else None,
                               platform="telegram", user_id=str(user.id))
    reply = await asyncio.to_thread(commands.handle, ctx, request)
    where = None if private else ReplyParameters(message.message_id, allow_sending_without_reply=True)
    await bot.send_message(chat.id, reply.text[:MAX_TEXT], reply_parameters=where)
    try:
        for chart in await asyncio.to_thread(list, reply.charts):  # drawn only now: the text is out already
            await send_chart(bot, chat.id, chart, where)
    except RetryAfter:
        raise
    except TelegramError as e:  # e.g. a group that allows no media: the answer is out, the charts stay out
        log.warning("Telegram: charts not sent to chat %s: %s", chat.id, e)


def mount(app, ctx) -> None:
    """POST /telegram/webhook, when Telegram is on and in webhook mode (the default)."""
    settings = ctx.cfg.platforms.telegram
    token = os.environ.get(TOKEN_ENV)
    if not token or settings.mode == "polling" or getattr(app.state, "telegram", False):
        return  # off, polling instead, or mounted already
    app.state.telegram = True
    secret = os.environ.get(SECRET_ENV)
    known = {}  # the bot's username, asked once

    async def process(update: Update) -> None:
        async with session(token, settings.api_url) as bot:
            async def me() -> str:
                if "username" not in known:
                    known["username"] = (await bot.get_me()).username
                return known["username"]

            await answer(ctx, bot, update, me)

    @app.post(PATH)
    async def telegram_webhook(request: Request, background: BackgroundTasks):
        if not secret:
            raise HTTPException(503, f"the Telegram webhook is off: set {SECRET_ENV} and pass it to setWebhook as secret_token")
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            raise HTTPException(401, f"bad or missing {SECRET_HEADER}")
        try:
            data = json.loads(await request.body())
            update = Update.de_json(data, None) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            raise HTTPException(400, "expected a Telegram Update as a JSON object")
        background.add_task(process, update)  # runs after the answer: Telegram wants it fast
        return {"ok": True}


def set_webhook(ctx, url: str) -> None:
    """Tell Telegram to send updates to `url` (…/telegram/webhook), with the secret token."""
    secret = os.environ.get(SECRET_ENV)
    if not (telegram := adapter(ctx)) or not secret:
        raise RuntimeError(f"set {TOKEN_ENV} and {SECRET_ENV} first")
    telegram._run(
        lambda bot: bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATES))


def application(ctx):
    """A python-telegram-bot Application that answers every update like the webhook does."""
    from telegram.ext import Application, TypeHandler

    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise RuntimeError(f"Telegram is off: set {TOKEN_ENV}")
    app = Application.builder().token(token).base_url(base_url(ctx.cfg.platforms.telegram.api_url)).build()

    async def on_update(update: Update, context) -> None:
        async def me() -> str:  # the Application asked getMe when it started
            return context.bot.username

        await answer(ctx, context.bot, update, me)

    app.add_handler(TypeHandler(Update, on_update))
    return app


def poll(ctx) -> None:
    """Long polling instead of the webhook (`sitroom telegram-poll`); runs until interrupted."""
    application(ctx).run_polling(allowed_updates=UPDATES)
