"""Chat platforms. Each adapter only translates; every command and sentence lives elsewhere.

Outgoing, an adapter turns a rendered card (bot.render.card) into a platform message, and
updates it in place when the alert changes. Incoming, it turns a request into a call of the
command layer (bot.commands.handle for text, bot.commands.act for buttons) and sends back the
answer. A platform whose credentials are not in the environment is off.
"""

from __future__ import annotations

from typing import Protocol


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


ACTIONS = ("ack", "resolve", "mute", "escalate")  # the buttons every alert message carries
