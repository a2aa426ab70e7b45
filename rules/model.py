"""The schema of rule files. Strict: an unknown key or a bad duration is an error with its line."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo
from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.durations import Duration, parse_duration
from bot.models import Severity
from detectors.anomaly import THRESHOLD as ANOMALY_THRESHOLD

NAME = r"^[a-z0-9][a-z0-9_-]*$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(Strict):
    """What the alert says, in both languages. Placeholders: {topic} {region} {channel}
    {current} {baseline} {window} {factor}."""

    de: str
    en: str


Language = Literal["de", "en"]


class Match(Strict):
    """Which posts a rule looks at; every key is optional."""

    topic: str | None = None
    region: str | None = None
    channel: str | None = None
    language: Language | None = None

    def dims(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


GroupDim = Literal["topic", "region", "channel", "language"]


class Base(Strict):
    name: str = Field(pattern=NAME)
    description: str = ""
    match: Match = Match()
    group_by: list[GroupDim] = []
    window: Duration = 900
    severity: Severity = Severity.WARNING
    departments: list[str] = Field(min_length=1)
    labels: dict[str, str] = {}
    message: Message | None = None
    resolve_after: Duration = 1800  # quiet time before the alert resolves itself
    escalation: str = "default"  # the escalation chain to follow while nobody acknowledges (none if undefined)
    critical_above: float | None = None  # the alert turns critical when its value reaches this
    # Noise control, as Alertmanager does it (a file's `defaults:` may set these for all its rules).
    group_wait: Duration = 0  # hold a new alert this long before its first message (flapping)
    group_interval: Duration = 300  # at most one in-place update of its messages per this
    repeat_interval: Duration = 4 * 3600  # still firing and nobody acknowledged: say so again
    remind_after: Duration = 2 * 3600  # acknowledged but not resolved: remind after this

    @field_validator("window", "resolve_after")
    @classmethod
    def _whole_minutes(cls, v: int) -> int:
        if v < 60 or v % 60:
            raise ValueError("must be a whole number of minutes (aggregates are per minute)")
        return v


class Spike(Base):
    """Volume in the window is far above normal (at least `factor` times the expected value).

    Expected = the mean of the same window (same weekday, same local time of day, same length) in
    each of the last `seasonal_weeks` weeks that has history, from the hourly aggregates prorated
    by minutes; a week in which sitroom counted nothing at all in those hours is left out, not taken
    as zero. Without any such week: the mean of the same time of day on the previous days (1-6) that
    have history. Without that either (a new installation, a replay, the demo), or with
    `seasonal_weeks: 0`: the mean of the same-sized windows in the `baseline` before the window.
    """

    type: Literal["spike"]
    baseline: Duration = 3 * 3600
    seasonal_weeks: int = Field(4, ge=0, le=8)  # weeks of hour-of-week history to compare with; 0 = off
    factor: float = Field(3.0, gt=1)
    min_count: int = Field(10, ge=1)


class Threshold(Base):
    """An aggregate over the window crosses a value."""

    type: Literal["threshold"]
    metric: Literal["count", "negative_count", "negative_share", "reach"] = "count"
    above: float
    min_count: int = Field(1, ge=1)  # posts needed before a share means anything


Terms = Union[list[str], dict[Language, list[str]]]  # one list for all languages, or one per language


class Keyword(Base):
    """Posts with these terms: any of `any`, all of `all`, none of `none` (per language if given so)."""

    type: Literal["keyword"]
    any: Terms = []
    all: Terms = []
    none: Terms = []
    min_count: int = Field(1, ge=1)

    @field_validator("any", "all", "none", mode="before")
    @classmethod
    def _shape(cls, v):
        """One clear message instead of one per member of the Terms union."""
        if isinstance(v, dict):
            for lang, terms in v.items():
                if lang not in LANGUAGES:
                    raise ValueError(f"unknown language '{lang}'; expected one of: {', '.join(LANGUAGES)}")
                if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
                    raise ValueError(f"'{lang}' must be a list of terms")
        elif not isinstance(v, list) or not all(isinstance(t, str) for t in v):
            raise ValueError("must be a list of terms, or one list per language: {de: [...], en: [...]}")
        return v

    @field_validator("any", "all", "none")
    @classmethod
    def _terms(cls, v: Terms) -> Terms:
        clean = lambda terms: [t.strip().lower() for t in terms if t.strip()]  # noqa: E731
        if not isinstance(v, dict):
            return clean(v)
        if not v:
            raise ValueError("name at least one language, or give one list for all languages")
        out = {k: clean(t) for k, t in v.items()}
        for lang, terms in out.items():
            if not terms:
                raise ValueError(f"no terms for '{lang}': leave the language out instead")
        return out

    @cached_property
    def patterns(self) -> dict[str, tuple | None]:
        """Compiled once per rule, per language: (any, each of all, none), or None when posts in
        that language cannot count (their language is missing from a per-language any/all)."""
        out: dict[str, tuple | None] = {}
        for lang in LANGUAGES:
            any_, all_, none = (_terms_for(v, lang) for v in (self.any, self.all, self.none))
            if any_ is None or all_ is None:
                out[lang] = None
            else:
                out[lang] = (_pattern(any_), [_pattern([t]) for t in all_], _pattern(none or []))
        return out

    def tags(self, post, scores) -> bool:
        """Whether this post counts for the rule (the match filters apply later, through the aggregates)."""
        return self.matches(post.text, scores.language)

    def words(self, language: str) -> list[str]:
        """The `any` and `all` terms that posts in `language` are matched with."""
        return [*(_terms_for(self.any, language) or []), *(_terms_for(self.all, language) or [])]

    def matches(self, text: str, language: str | None = None) -> bool:
        """A post uses the terms of its language; a post whose language was not detected counts
        when it would count in any of the languages. A term may start a word."""
        if language in self.patterns:
            return _holds(self.patterns[language], text)
        return any(_holds(p, text) for p in self.patterns.values())


class SentimentShift(Base):
    """The share of negative posts in the window rises well above its share in the hours before."""

    type: Literal["sentiment_shift"]
    baseline: Duration = 3 * 3600
    min_increase: float = Field(0.2, gt=0, le=1)  # in share points: 0.2 = from 30 % to 50 % negative
    min_count: int = Field(10, ge=1)  # posts in the window before a share means anything


class ViralPost(Base):
    """A single post reaching very many people (followers, shares, likes, replies), or gaining them fast.

    A post counts when its reach is above `reach_above` when first scored, or when an engagement
    update carries it above; and when an engagement update shows it gaining more than
    `velocity_above` people reached per minute since its previous observation (counted in the
    minute of the update, however old the post). At least one of the two.
    """

    type: Literal["viral_post"]
    reach_above: float | None = Field(None, gt=0)
    velocity_above: float | None = Field(None, gt=0)  # people reached per minute between two observations
    min_count: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _a_threshold(self) -> "ViralPost":
        if self.reach_above is None and self.velocity_above is None:
            raise ValueError("a viral_post rule needs reach_above, velocity_above or both")
        return self

    def tags(self, post, scores) -> bool:
        return self.reach_above is not None and scores.reach > self.reach_above

    def grows(self, before: float, after: float, velocity: float) -> bool:
        """Whether an engagement update (reach before -> after, at velocity per minute) counts:
        fast enough, or crossing reach_above (a post already counted above it is not counted again)."""
        if self.velocity_above is not None and velocity > self.velocity_above:
            return True
        return self.reach_above is not None and before <= self.reach_above < after


class NewTopic(Base):
    """A topic nobody has named yet: a burst of terms that were rare before (detectors.emerging)."""

    type: Literal["new_topic"]
    min_count: int = Field(5, ge=1)  # posts about the emerging topic within the window


class Anomaly(Base):
    """A series that behaves unlike itself: detectors.anomaly scores each step of every group.

    Per group of `group_by` (among the posts `match` selects), one online detector learns the
    series of `metric` per `step` (the sum over the step; the negative share of its posts), with
    its hour of day and kind of day in the configured time zone. Each complete step is fed once,
    in order (a step is complete once the newest post is a minute past its end). The rule fires
    for a group whose newest step scored at least `score_above`, rose above what the detector
    expected and had at least `min_count` posts, once its detector has learnt `learn_for` of
    steps (a young detector finds everything new: the first morning would alert). current = the step's value, baseline = what the
    detector expected (its seasonal profile when that explains the series, else its recent
    median). A step in which sitroom counted nothing at all is a gap, not a zero. window = step.
    """

    type: Literal["anomaly"]
    metric: Literal["count", "negative_count", "negative_share", "reach"] = "count"
    step: Duration = 300  # the series' resolution: one row per step; must divide an hour
    window: Duration = 300  # always the step (set it or not)
    min_count: int = Field(5, ge=1)  # posts in the step before it may fire: low counts are noise
    score_above: float = Field(ANOMALY_THRESHOLD, gt=0, lt=1)  # the detector's score (0..1) it fires at
    learn_for: Duration = 86400  # a series fires only once its detector has learnt this many steps' worth

    @model_validator(mode="before")
    @classmethod
    def _window_is_step(cls, data):
        if isinstance(data, dict) and "window" not in data:
            try:  # a bad step is reported once, as the step's problem
                data = {**data, "window": cls._divides_an_hour(parse_duration(data.get("step", 300)))}
            except ValueError:
                pass
        return data

    @field_validator("step")
    @classmethod
    def _divides_an_hour(cls, v: int) -> int:
        if v < 60 or v % 60 or 3600 % v:
            raise ValueError("must be whole minutes that divide an hour (1m, 2m, 5m, 10m, 15m, 20m, 30m, 1h)")
        return v

    @model_validator(mode="after")
    def _same_window(self) -> "Anomaly":
        if self.window != self.step:
            raise ValueError("an anomaly rule's window is its step: leave window out, or set it to the step")
        return self


class Flatline(Base):
    """A channel goes silent although it usually is not: ingestion may be broken.

    Fires per channel (labels: channel) when the channel has had no post at all for `silent_for`
    on the wall clock and had at least `min_rate` posts per hour over the `baseline` hours before
    (hours in which sitroom counted nothing at all are left out). current = minutes silent,
    baseline = its usual posts per hour. Once fired it stays until the channel posts again, and
    then resolves at once. Watches `match.channel`, or every channel that has ever posted.
    """

    type: Literal["flatline"]
    silent_for: Duration = 1800  # no post at all for this long
    baseline: Duration = 24 * 3600  # how far back "usually" looks (whole hours)
    min_rate: float = Field(6.0, gt=0)  # posts per hour it usually has; quieter channels may be silent

    @field_validator("baseline")
    @classmethod
    def _whole_hours(cls, v: int) -> int:
        if v < 3600 or v % 3600:
            raise ValueError("must be a whole number of hours (usual rates come from hourly aggregates)")
        return v

    @model_validator(mode="after")
    def _channels_only(self) -> "Flatline":
        if set(self.match.dims()) - {"channel"}:
            raise ValueError("a flatline rule watches channels: its match may only name a channel")
        if set(self.group_by) - {"channel"}:
            raise ValueError("a flatline rule is grouped by channel, and only by channel")
        return self


class Composite(Base):
    """Other rules together: all of `all` (and at least one of `any`, if given) fired within the
    window. A component counts when it fires in the same evaluation or has an open alert that was
    updated within the window. With `group_by`, components must agree on those labels; a component
    whose alerts do not carry a label counts for every value of it. current = the number of
    components that hold."""

    type: Literal["composite"]
    all: list[str] = []  # rule names
    any: list[str] = []  # rule names

    @model_validator(mode="after")
    def _components(self) -> "Composite":
        if not self.all and not self.any:
            raise ValueError("a composite rule needs `all` or `any` (names of other rules)")
        return self

    @property
    def components(self) -> list[str]:
        return list(dict.fromkeys(self.all + self.any))


LANGUAGES: tuple[str, ...] = get_args(Language)


def _terms_for(terms: Terms, language: str) -> list[str] | None:
    """The terms that apply to a post in `language`; None when a per-language list leaves it out."""
    if isinstance(terms, dict):
        return terms.get(language) if terms else []
    return terms


def _holds(compiled: tuple | None, text: str) -> bool:
    if compiled is None:
        return False
    any_, all_, none = compiled
    if any_ and not any_.search(text):
        return False
    if not all(p.search(text) for p in all_):
        return False
    return not (none and none.search(text))


def _pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")", re.IGNORECASE)


Rule = Annotated[
    Union[Spike, Threshold, Keyword, SentimentShift, ViralPost, NewTopic, Flatline, Composite, Anomaly],
    Field(discriminator="type"),
]
TAGGED = (Keyword, ViralPost)  # rules that single out posts as they are scored


class Step(Strict):
    """One step of an escalation chain: after a wait, tell someone."""

    after: Duration  # since the alert fired, or since the previous step
    notify: Literal["oncall"] = "oncall"  # the department channel already has the alert
    level: int = Field(1, ge=1)  # 1 = the first name of the on-call list, or its schedule's first rotation; 2 = the next


class Escalation(Strict):
    """What happens while nobody acknowledges an alert: steps in order, repeated until someone does."""

    name: str = Field(pattern=NAME)
    steps: list[Step] = Field(min_length=1)
    repeat: bool = True


class Defaults(Strict):
    """Settings for every rule of the file that does not set them itself."""

    resolve_after: Duration | None = None
    escalation: str | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    remind_after: Duration | None = None

    @field_validator("resolve_after")
    @classmethod
    def _whole_minutes(cls, v: int | None) -> int | None:
        return v if v is None else Base._whole_minutes(v)


class Inhibit(Strict):
    """While an alert matching `source` is open, alerts matching `target` with the same values of
    `equal` stay quiet (e.g. a critical alert holds back its warnings). Matchers compare the alert's
    labels and its `severity`, `rule` and `department`."""

    source: dict[str, str] = Field(min_length=1)
    target: dict[str, str] = Field(min_length=1)
    equal: list[str] = []


class Silence(Strict):
    """A silence written down in advance: matching alerts reach no chat platform from starts to ends."""

    matchers: dict[str, str] = Field(min_length=1)
    starts: datetime | None = None  # local time in `timezone` unless an offset is given; none = now
    ends: datetime
    timezone: str = "Europe/Berlin"
    by: str
    reason: str

    def span(self, now: float) -> tuple[float, float]:
        """(starts, ends) as unix seconds; naive times are local in `timezone`, no start = now."""
        zone = ZoneInfo(self.timezone)
        stamp = lambda t: (t if t.tzinfo else t.replace(tzinfo=zone)).timestamp()  # noqa: E731
        return (now if self.starts is None else stamp(self.starts)), stamp(self.ends)


class Maintenance(Strict):
    """A recurring maintenance window: matching alerts are held and delivered when it ends if still firing."""

    name: str = Field(pattern=NAME)
    cron: str  # when it starts, in `timezone`: "0 2 * * sun" = every Sunday at 02:00
    duration: Duration
    timezone: str = "Europe/Berlin"
    matchers: dict[str, str] = {}  # empty = every alert
    reason: str = ""


class RuleFile(Strict):
    rules: list[Rule] = []
    escalations: list[Escalation] = []
    defaults: Defaults = Defaults()
    inhibit: list[Inhibit] = []
    silences: list[Silence] = []
    maintenance: list[Maintenance] = []


def json_schema() -> dict:
    """The JSON Schema of rule files, for editors (`python -m rules.model > rules/rules.schema.json`)."""
    schema = RuleFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sitroom rule file"
    return schema


if __name__ == "__main__":
    import json

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
