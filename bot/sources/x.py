"""X (Twitter) API v2 tweet payloads, with their `includes` expansions, into Posts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.models import Post
from bot.sources import InputError, load_json, problems
from bot.sources.generic import Id, Time

SOURCE = "x"
LANGUAGES = {"de", "en"}  # the languages scoring knows; others are detected or ignored downstream
Count = Field(0, ge=0)


class Loose(BaseModel):
    # X adds fields and expansions over time; what we do not read must not break ingestion.
    model_config = ConfigDict(extra="ignore")


class TweetMetrics(Loose):
    retweet_count: int = Count
    reply_count: int = Count
    like_count: int = Count
    quote_count: int = Count


class Reference(Loose):
    type: str
    id: Id


class Point(Loose):
    type: str = "Point"
    coordinates: tuple[float, float]  # GeoJSON order: lon, lat


class TweetGeo(Loose):
    place_id: str | None = None
    coordinates: Point | None = None


class NoteTweet(Loose):
    text: str


class Tweet(Loose):
    id: Id
    text: str
    created_at: Time
    author_id: Id | None = None
    lang: str | None = None
    public_metrics: TweetMetrics | None = None
    referenced_tweets: list[Reference] = []
    geo: TweetGeo | None = None
    note_tweet: NoteTweet | None = None  # the full text of a long post; `text` is then truncated


class UserMetrics(Loose):
    followers_count: int = Count


class User(Loose):
    id: Id
    name: str = ""
    username: str = ""
    location: str = ""  # the profile's free-text location (user.fields=location)
    public_metrics: UserMetrics | None = None


class PlaceGeo(Loose):
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north


class Place(Loose):
    id: str
    full_name: str = ""
    geo: PlaceGeo | None = None


class Includes(Loose):
    users: list[User] = []
    places: list[Place] = []


_TWEETS = TypeAdapter(list[Tweet])


def parse(body: bytes, channel: str) -> list[Post]:
    """Posts for the tweets in an API v2 payload; all of them, or InputError listing every problem."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise InputError(['body: expected an object like {"data": ..., "includes": ...}'])
    if "data" not in data:
        raise InputError(["data: required field is missing (a tweet or a list of tweets)"])
    bad: list[str] = []
    tweets: list[Tweet] = []
    try:
        if isinstance(data["data"], list):
            tweets = _TWEETS.validate_python(data["data"])
        else:
            tweets = [Tweet.model_validate(data["data"])]
    except ValidationError as e:
        bad += problems(e, "data")
    try:
        includes = Includes.model_validate(data.get("includes") or {})
    except ValidationError as e:
        bad += problems(e, "includes")
    if bad:
        # created_at is not in X's default fields; say how to get it.
        raise InputError([p + " (request tweet.fields=created_at)" if p.endswith("created_at: required field is missing")
                          else p for p in bad])
    users = {u.id: u for u in includes.users}
    places = {p.id: p for p in includes.places}
    return [_post(t, channel, users, places) for t in tweets]


def _post(t: Tweet, channel: str, users: dict[str, User], places: dict[str, Place]) -> Post:
    user = users.get(t.author_id or "")
    m = t.public_metrics or TweetMetrics()
    place = places.get(t.geo.place_id or "") if t.geo else None
    reply_to = next((r.id for r in t.referenced_tweets if r.type == "replied_to"), None)
    return Post(
        source=SOURCE, id=t.id, channel=channel, text=t.note_tweet.text if t.note_tweet else t.text,
        created_at=t.created_at, author_id=t.author_id or "",
        author_name=(user.name or user.username) if user else "",
        followers=user.public_metrics.followers_count if user and user.public_metrics else 0,
        likes=m.like_count, shares=m.retweet_count + m.quote_count, replies=m.reply_count,
        language=t.lang if t.lang in LANGUAGES else None,
        # x.com/i/web/status/<id> opens any post when the author's handle is not in includes.
        url=f"https://x.com/{user.username}/status/{t.id}" if user and user.username else f"https://x.com/i/web/status/{t.id}",
        geo=_geo(t, place), place=(place.full_name or None) if place else None, in_reply_to=reply_to,
        author_location=(user.location.strip() or None) if user else None,
    )


def _geo(t: Tweet, place: Place | None) -> tuple[float, float] | None:
    """(lat, lon): the exact point when the author shared it, else the centre of the tagged place."""
    if t.geo and t.geo.coordinates:
        lon, lat = t.geo.coordinates.coordinates
        return (lat, lon)
    if place and place.geo and place.geo.bbox:
        west, south, east, north = place.geo.bbox
        return ((south + north) / 2, (west + east) / 2)
    return None
