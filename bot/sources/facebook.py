"""Facebook Page webhooks (Graph API object "page"): the GET handshake and feed changes into Posts."""

from __future__ import annotations

import hmac
from typing import Any, Callable, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.models import Post
from bot.sources import InputError, load_json, problems, unix_seconds
from bot.sources.generic import Id, Time

SOURCE = "facebook"
# Feed items that carry words people wrote; reactions, likes and the rest are not posts.
KEPT_ITEMS = {"post", "status", "photo", "video", "share", "comment"}
KEPT_VERBS = {"add", "edited"}


class Loose(BaseModel):
    # Facebook adds fields over time; what we do not read must not break delivery.
    model_config = ConfigDict(extra="ignore")


class Change(Loose):
    field: str
    value: Any = None


class Entry(Loose):
    id: Id
    time: Any = None  # only a fallback for created_time, so only checked when used
    changes: list[Change] = []


class Payload(Loose):
    object: str
    entry: list[Entry]


class From(Loose):
    id: Id | None = None
    name: str | None = None


class FeedValue(Loose):
    item: str
    verb: str
    post_id: Id | None = None
    comment_id: Id | None = None
    parent_id: Id | None = None
    message: str | None = None
    author: From | None = Field(None, alias="from")
    created_time: Time | None = None


def verify_challenge(params: Mapping[str, str], verify_token: str) -> str:
    """The hub.challenge to echo for a valid subscription handshake; InputError says what is wrong."""
    mode, token, challenge = params.get("hub.mode"), params.get("hub.verify_token"), params.get("hub.challenge")
    if mode != "subscribe":
        raise InputError([f"hub.mode: expected 'subscribe' (got {mode!r})"])
    # An unset verify token must never match an empty one from the request.
    if not verify_token or not hmac.compare_digest((token or "").encode(), verify_token.encode()):
        raise InputError(["hub.verify_token: does not match the configured facebook_verify_token"])
    if not challenge:
        raise InputError(["hub.challenge: missing"])
    return challenge


def parse(body: bytes, channel_for_page: Callable[[str], str | None]) -> list[Post]:
    """Posts and comments in a webhook body; all of them, or InputError listing every problem."""
    try:
        payload = Payload.model_validate(load_json(body))
    except ValidationError as e:
        raise InputError(problems(e)) from None
    if payload.object != "page":
        raise InputError([f"object: expected 'page' (got {payload.object!r})"])
    posts: list[Post] = []
    bad: list[str] = []
    for i, entry in enumerate(payload.entry):
        channel: str | None = None
        for j, change in enumerate(entry.changes):
            at = f"entry[{i}].changes[{j}].value"
            if not _kept(change):
                continue
            try:
                value = FeedValue.model_validate(change.value)
            except ValidationError as e:
                bad += problems(e, at)
                continue
            if not value.message:  # a photo without a caption has nothing to score
                continue
            if channel is None:
                channel = channel_for_page(entry.id)
                if channel is None:
                    bad.append(f"entry[{i}].id: page '{entry.id}' is not a configured facebook source")
                    break
            post = _post(value, channel, entry.time, f"entry[{i}].time", at, bad)
            if post:
                posts.append(post)
    if bad:
        raise InputError(bad)
    return posts


def _kept(change: Change) -> bool:
    v = change.value
    return (change.field == "feed" and isinstance(v, dict)
            and v.get("item") in KEPT_ITEMS and v.get("verb") in KEPT_VERBS)


def _post(v: FeedValue, channel: str, entry_time: Any, time_at: str, at: str, bad: list[str]) -> Post | None:
    comment = v.item == "comment"
    post_id = v.comment_id if comment else v.post_id
    if not post_id:
        bad.append(f"{at}.{'comment_id' if comment else 'post_id'}: required for a {v.item}")
        return None
    created = v.created_time
    if created is None:
        if entry_time is None:
            bad.append(f"{at}.created_time: required field is missing (and the entry has no time)")
            return None
        try:
            created = unix_seconds(entry_time)
        except ValueError as e:
            bad.append(f"{time_at}: {e}")
            return None
    return Post(
        source=SOURCE, id=post_id, channel=channel, text=v.message or "", created_at=created,
        author_id=(v.author.id or "") if v.author else "", author_name=(v.author.name or "") if v.author else "",
        in_reply_to=(v.parent_id or v.post_id) if comment else None,
        url=f"https://www.facebook.com/{v.post_id}" if v.post_id else None,
    )
