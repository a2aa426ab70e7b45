"""The schema of rule files. Strict: an unknown key or a bad duration is an error with its line."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cached_property
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import Duration
from bot.models import Severity

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
    """Volume in the window is far above normal: the same hour and weekday in the weeks before
    (seasonal), or, without that history, the same-sized windows of the hours before."""

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

    @field_validator("any", "all", "none")
    @classmethod
    def _terms(cls, v: Terms) -> Terms:
        clean = lambda terms: [t.strip().lower() for t in terms if t.strip()]  # noqa: E731
        return {k: clean(t) for k, t in v.items()} if isinstance(v, dict) else clean(v)

    @cached_property
    def patterns(self) -> tuple[re.Pattern | None, list[re.Pattern], re.Pattern | None]:
        """Compiled once per rule: (any, each of all, none). A term may start a word."""
        return _pattern(self.any), [_pattern([t]) for t in self.all], _pattern(self.none)

    def tags(self, post, scores) -> bool:
        """Whether this post counts for the rule (the match filters apply later, through the aggregates)."""
        return self.matches(post.text)

    def matches(self, text: str) -> bool:
        any_, all_, none = self.patterns
        if any_ and not any_.search(text):
            return False
        if not all(p.search(text) for p in all_):
            return False
        return not (none and none.search(text))


class SentimentShift(Base):
    """The share of negative posts in the window rises well above its share in the hours before."""

    type: Literal["sentiment_shift"]
    baseline: Duration = 3 * 3600
    min_increase: float = Field(0.2, gt=0, le=1)  # in share points: 0.2 = from 30 % to 50 % negative
    min_count: int = Field(10, ge=1)  # posts in the window before a share means anything


class ViralPost(Base):
    """A single post reaching very many people (followers, shares, likes, replies)."""

    type: Literal["viral_post"]
    reach_above: float = Field(gt=0)
    min_count: int = Field(1, ge=1)

    def tags(self, post, scores) -> bool:
        return scores.reach > self.reach_above


class NewTopic(Base):
    """A topic nobody has named yet: a burst of terms that were rare before (detectors.emerging)."""

    type: Literal["new_topic"]
    min_count: int = Field(5, ge=1)  # posts about the emerging topic within the window


class Flatline(Base):
    """A channel goes silent although it usually is not: ingestion may be broken (wall clock)."""

    type: Literal["flatline"]
    silent_for: Duration = 1800  # no post at all for this long
    baseline: Duration = 24 * 3600  # how far back "usually" looks
    min_rate: float = Field(6.0, gt=0)  # posts per hour it usually has; quieter channels may be silent


class Composite(Base):
    """Other rules' alerts together: all (or any) of them fired within the window."""

    type: Literal["composite"]
    all: list[str] = []  # rule names
    any: list[str] = []  # rule names


def _pattern(terms: list[str]) -> re.Pattern | None:
    if not terms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")", re.IGNORECASE)


Rule = Annotated[
    Union[Spike, Threshold, Keyword, SentimentShift, ViralPost, NewTopic, Flatline, Composite],
    Field(discriminator="type"),
]
TAGGED = (Keyword, ViralPost)  # rules that single out posts as they are scored


class Step(Strict):
    """One step of an escalation chain: after a wait, tell someone."""

    after: Duration  # since the alert fired, or since the previous step
    notify: Literal["oncall"] = "oncall"  # the department channel already has the alert
    level: int = Field(1, ge=1)  # 1 = the first person in the department's on-call list, 2 = the next, ...


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
