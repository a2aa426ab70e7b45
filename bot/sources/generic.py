"""The documented generic JSON ingest format: one post, a list of posts, or {"posts": [...]}."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError,
                      ValidationInfo, WithJsonSchema, field_validator)

from bot.models import Post
from bot.sources import InputError, load_json, problems, unix_seconds

MAX_BATCH = 1000
MAX_TEXT = 10_000
SOURCE = "generic"


def _id(value: Any) -> Any:
    # Many systems keep post ids as numbers; ids are compared as text everywhere downstream.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _time(value: Any) -> float:
    return unix_seconds(value)


Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    BeforeValidator(_id),
    WithJsonSchema({"anyOf": [{"type": "string", "minLength": 1, "maxLength": 200}, {"type": "integer"}]}),
]
Time = Annotated[
    float,
    BeforeValidator(_time),
    WithJsonSchema({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "number", "minimum": 0, "maximum": 1e11}]}),
]
Count = Annotated[int, Field(ge=0)]


class Strict(BaseModel):
    # strict: the published schema says integer, so "5" is an error, not a silent guess.
    model_config = ConfigDict(extra="forbid", strict=True)


class Author(Strict):
    """Who wrote the post."""

    id: Id = Field(title="Author id", description="The author's id on the platform (pseudonymised downstream if configured).")
    name: str = Field("", title="Author name", description="Display name.", max_length=200)
    followers: Count = Field(0, title="Followers", description="Follower count when the post was made; drives reach.")


class Metrics(Strict):
    """Engagement counts as last seen."""

    likes: Count = Field(0, title="Likes", description="Likes or reactions.")
    shares: Count = Field(0, title="Shares", description="Shares, retweets and quotes.")
    replies: Count = Field(0, title="Replies", description="Replies or comments.")


class Geo(Strict):
    """A point on earth in WGS 84 degrees."""

    lat: float = Field(title="Latitude", description="Degrees north, -90 to 90.", ge=-90, le=90)
    lon: float = Field(title="Longitude", description="Degrees east, -180 to 180.", ge=-180, le=180)


class GenericPost(Strict):
    """One post or comment from an owned channel."""

    id: Id = Field(title="Post id", description="Unique within the source; the same id again is a duplicate and is dropped, "
                   "unless its engagement counts changed (an engagement update: the new counts are kept, nothing else).")
    channel: str = Field(title="Channel", description="The name of a source in config.yaml (sources[].name).",
                         pattern=r"^[A-Za-z0-9_.-]+$")
    text: str = Field(title="Text", description=f"The post text, at most {MAX_TEXT} characters.", max_length=MAX_TEXT)
    created_at: Time = Field(title="Created at", description="ISO 8601 time with timezone, or unix seconds (not milliseconds).")
    observed_at: Time | None = Field(None, title="Observed at",
                                     description="When the followers and metrics counts were read, like created_at; "
                                                 "default: when sitroom receives them. Not before created_at.")
    author: Author | None = Field(None, title="Author", description="Who wrote the post.")
    metrics: Metrics | None = Field(None, title="Metrics", description="Engagement counts.")
    language: str | None = Field(None, title="Language", description="ISO 639-1 code, e.g. 'de' or 'en'; detected when absent.",
                                 pattern=r"^[a-z]{2}$")
    url: str | None = Field(None, title="URL", description="Link to the post.", pattern=r"^https?://", max_length=2048)
    geo: Geo | None = Field(None, title="Geo", description="Where the post was made, when the platform knows.")
    place: str | None = Field(None, title="Place", description="A place name the platform attached, e.g. 'Köln'.", max_length=200)
    in_reply_to: Id | None = Field(None, title="In reply to", description="Id of the post this one answers.")

    @field_validator("observed_at")
    @classmethod
    def _after_creation(cls, v: float | None, info: ValidationInfo) -> float | None:
        created = info.data.get("created_at")
        if v is not None and created is not None and v < created:
            raise ValueError("must not be before created_at: counts cannot be read before the post exists")
        return v

    def to_post(self, source: str = SOURCE) -> Post:
        """The pipeline's Post for this validated input."""
        a, m = self.author, self.metrics or Metrics()
        return Post(
            source=source, id=self.id, channel=self.channel, text=self.text, created_at=self.created_at,
            author_id=a.id if a else "", author_name=a.name if a else "", followers=a.followers if a else 0,
            likes=m.likes, shares=m.shares, replies=m.replies, language=self.language, url=self.url,
            geo=(self.geo.lat, self.geo.lon) if self.geo else None, place=self.place, in_reply_to=self.in_reply_to,
            observed_at=self.observed_at,
        )


class Batch(Strict):
    """A batch of posts, accepted or refused as a whole."""

    posts: list[GenericPost] = Field(title="Posts", description=f"At most {MAX_BATCH} posts.", max_length=MAX_BATCH)


KNOWN_FIELDS = {n for m in (GenericPost, Author, Metrics, Geo, Batch) for n in m.model_fields}
_POSTS = TypeAdapter(list[GenericPost])


def validate_one(data: Any, prefix: str = "") -> GenericPost:
    """One post from decoded JSON, or InputError with every bad field under prefix."""
    try:
        return GenericPost.model_validate(data)
    except ValidationError as e:
        raise InputError(problems(e, prefix, KNOWN_FIELDS)) from None


def parse(body: bytes, source: str = SOURCE) -> list[Post]:
    """Posts from a request body; all of them, or InputError listing every problem."""
    data = load_json(body)
    if isinstance(data, dict) and "posts" in data:
        extra = sorted(set(data) - {"posts"})
        if extra:
            raise InputError([f"{k}: unknown field (a batch object has only 'posts')" for k in extra])
        data = data["posts"]
        if not isinstance(data, list):
            raise InputError(["posts: expected a list of posts"])
    if isinstance(data, dict):
        return [validate_one(data).to_post(source)]
    if not isinstance(data, list):
        raise InputError(["body: expected a post object, a list of posts, or {\"posts\": [...]}"])
    if len(data) > MAX_BATCH:
        raise InputError([f"posts: at most {MAX_BATCH} posts per request (got {len(data)}); split the batch"])
    try:
        posts = _POSTS.validate_python(data)
    except ValidationError as e:
        raise InputError(problems(e, "posts", KNOWN_FIELDS)) from None
    return [p.to_post(source) for p in posts]


def to_generic(post: Post) -> dict[str, Any]:
    """A Post in the generic format (None and default fields left out), for recording and replay."""
    d: dict[str, Any] = {"id": post.id, "channel": post.channel, "text": post.text, "created_at": post.created_at}
    if post.author_id:  # the format needs an author id; a name or count alone has nothing to hang on
        d["author"] = {"id": post.author_id, "name": post.author_name, "followers": post.followers}
    if post.likes or post.shares or post.replies:
        d["metrics"] = {"likes": post.likes, "shares": post.shares, "replies": post.replies}
    if post.geo is not None:
        d["geo"] = {"lat": post.geo[0], "lon": post.geo[1]}
    for key in ("language", "url", "place", "in_reply_to", "observed_at"):
        if getattr(post, key) is not None:
            d[key] = getattr(post, key)
    return d


def json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of a generic ingest request body."""
    defs = Batch.model_json_schema(ref_template="#/$defs/{model}")
    all_defs = defs.pop("$defs")
    all_defs["Batch"] = defs
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sitroom generic ingest body",
        "description": "POST /ingest/posts: one post, a list of posts, or {\"posts\": [...]}; "
                       f"at most {MAX_BATCH} posts, accepted or refused as a whole.",
        "oneOf": [
            {"$ref": "#/$defs/GenericPost"},
            {"type": "array", "items": {"$ref": "#/$defs/GenericPost"}, "maxItems": MAX_BATCH},
            {"$ref": "#/$defs/Batch"},
        ],
        "$defs": all_defs,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
