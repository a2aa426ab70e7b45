"""The nouns that flow through the pipeline: posts, scores, signals and alerts."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields
from typing import Any


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return ["info", "warning", "critical"].index(self.value)


class AlertStatus(str, enum.Enum):
    FIRING = "firing"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass
class Post:
    """One post or comment from an owned channel, in the shape every source produces."""

    source: str  # "generic", "facebook", "x", "replay"
    id: str
    channel: str
    text: str
    created_at: float  # unix seconds, UTC
    author_id: str = ""
    author_name: str = ""
    followers: int = 0
    likes: int = 0
    shares: int = 0
    replies: int = 0
    language: str | None = None
    url: str | None = None
    geo: tuple[float, float] | None = None  # (lat, lon)
    place: str | None = None  # a place name the platform attached
    author_location: str | None = None  # where the author says they are (their profile), free text
    in_reply_to: str | None = None
    observed_at: float | None = None  # when followers/likes/shares/replies were read (unix s); None = on receipt

    @property
    def key(self) -> str:
        """Identity used for dedup: the same id from the same source is one post."""
        return f"{self.source}:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.geo is not None:
            d["geo"] = list(self.geo)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Post":
        d = dict(d)
        if d.get("geo") is not None:
            d["geo"] = tuple(d["geo"])
        return cls(**d)


@dataclass
class Scores:
    """What the detectors say about one post."""

    language: str = "und"
    sentiment: str = "neutral"  # negative / neutral / positive
    sentiment_score: float = 0.0  # -1 .. 1
    topic: str | None = None
    topic_score: float = 0.0
    topic_scores: dict[str, float] = field(default_factory=dict)  # multi-label: each topic's score from 0.25 up
    region: str | None = None
    reach: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Scores":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})  # scores of older versions still load


@dataclass
class Signal:
    """An unusual change a rule found, with the evidence people need to judge it."""

    rule: str
    labels: dict[str, str]  # the group this signal is about, e.g. {"region": "koeln"}
    current: float
    baseline: float | None
    window_s: int
    at: float  # event time the signal was computed for
    post_keys: list[str] = field(default_factory=list)  # representative posts, best first
    matched: list[str] = field(default_factory=list)  # post keys that newly matched (keyword rules)


@dataclass
class Alert:
    """One alert: the same object on every platform, whatever its messages look like."""

    id: int
    fingerprint: str
    rule: str
    severity: Severity
    departments: list[str]
    labels: dict[str, str]
    summary: dict[str, str]  # language -> text
    status: AlertStatus = AlertStatus.FIRING
    current: float = 0.0
    baseline: float | None = None
    measure: str = "count"  # what current/baseline are: count (posts), share (negative), reach (people)
    window_s: int = 0
    post_keys: list[str] = field(default_factory=list)
    started_at: float = 0.0  # event time of first firing
    began_at: float | None = None  # event time the change it reports began (bot/explanation.py)
    new_terms: list[str] = field(default_factory=list)  # terms new against the baseline when it fired
    updated_at: float = 0.0  # event time of last evidence
    created_wall: float = 0.0  # wall clock when the alert was created
    acked_by: str | None = None
    acked_via: str | None = None
    acked_at: float | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None
    muted_until: float | None = None  # wall clock; while muted, changes reach no chat platform
    escalated_at: float | None = None
    escalated_by: str | None = None
    reported: float = 0.0  # `current` when people were last told about the size (thread follow-ups)
    history: list[dict[str, Any]] = field(default_factory=list)
    # Noise control (rules/noise.py). Wall clock throughout.
    held_for: str | None = None  # why chat platforms have not seen it yet: group_wait, silence, maintenance, inhibited, muted
    held_until: float | None = None  # when the hold ends; None while an open alert inhibits it
    held_by: str | None = None  # the silence's author, the maintenance window's name, the inhibiting alert's id
    notified_at: float | None = None  # chat platforms last told something new: the first message or a follow-up
    last_update_sent_at: float | None = None  # the alert's messages last got its state (group_interval counts from here)
    update_pending: bool = False  # a newer state waits for group_interval to pass
    repeated_at: float | None = None  # last "still firing" follow-up
    reminded_at: float | None = None  # last reminder of an acknowledged alert
    chain: int = 0  # escalation chain generation: a restarted chain ends the timers of the one before

    def muted(self, now: float) -> bool:
        return self.muted_until is not None and self.muted_until > now

    @property
    def held(self) -> bool:
        """Still held back from chat platforms (it shows in the room only)."""
        return self.held_for is not None

    def sent(self, now: float, news: bool = False) -> None:
        """Chat platforms get the alert's current state now; `news` = a first message or a follow-up."""
        self.last_update_sent_at, self.update_pending = now, False
        if news:
            self.notified_at = now

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["status"] = self.status.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Alert":
        d = {k: v for k, v in d.items() if k in {f.name for f in fields(cls)}}  # older versions still load
        d["severity"] = Severity(d["severity"])
        d["status"] = AlertStatus(d["status"])
        return cls(**d)
