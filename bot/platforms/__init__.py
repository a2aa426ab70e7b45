"""Chat platforms. Each adapter only translates; every command and sentence lives elsewhere.

Outgoing, an adapter turns a rendered card (bot.render.card) into a platform message, and
updates it in place when the alert changes; `post` sends a plain message with chart images
(bot.charts) as the platform shows pictures best. Incoming, it turns a request into a call of the
command layer (bot.commands.handle for text, bot.commands.act for buttons) and sends back the
answer. A platform whose credentials are not in the environment is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.charts import Chart


class RateLimited(Exception):
    """The platform asked us to wait (HTTP 429 / flood control) before sending again."""

    def __init__(self, retry_after: float):
        super().__init__(f"rate limited: retry after {retry_after:.1f} s")
        self.retry_after = retry_after


class NotReady(Exception):
    """The destination cannot be reached yet (e.g. Teams has not told us the channel's reference)."""


class Adapter(Protocol):
    """Outgoing messages of one platform. `ref` is whatever the platform needs to find a message again."""

    name: str  # "slack", "teams", "telegram"

    def send(self, destination: str, card: dict, lang: str) -> dict:
        """Post a new alert message; return its reference."""

    def update(self, ref: dict, card: dict, lang: str) -> None:
        """Replace an alert message with the card's new state."""

    def reply(self, ref: dict, text: str) -> None:
        """A follow-up to the alert message (in its thread where the platform has threads)."""

    def post(self, destination: str, text: str, charts: Sequence[Chart] = ()) -> dict:
        """A plain message (no alert, no buttons) with optional chart images, in a department's channel."""


ACTIONS = ("ack", "resolve", "mute", "escalate")  # the buttons every alert message carries


PLATFORMS = ("slack", "teams", "telegram")


def _module(name: str):
    import importlib

    try:
        return importlib.import_module(f"bot.platforms.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"bot.platforms.{name}":
            return None  # not built yet
        raise


def preload() -> None:
    """Import every platform's SDK now (about a second), so that a worker's first alert does not wait for it."""
    for name in PLATFORMS:
        _module(name)


def adapters(ctx) -> dict:
    """The outgoing adapters of the platforms whose credentials are configured (cached per context)."""
    if ctx.adapters is None:
        ctx.adapters = {}
        for name in PLATFORMS:
            module = _module(name)
            adapter = module.adapter(ctx) if module else None
            if adapter is not None:
                ctx.adapters[name] = adapter
    return ctx.adapters


def mount(app, ctx) -> None:
    """Add the inbound routes of every platform that is on."""
    for name in PLATFORMS:
        module = _module(name)
        if module is not None:
            module.mount(app, ctx)


_TARGET_FIELD = {"slack": "channel", "teams": "channel_id", "telegram": "chat_id"}


def destination_id(platform: str, target) -> str:
    """The id an adapter sends to, from a department's destination config."""
    return str(getattr(target, _TARGET_FIELD[platform]))
