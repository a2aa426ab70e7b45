"""Who is on call at a level and a moment: a department's list, or its schedule's rotations and overrides.

Pure functions of the config and a time (seconds since the epoch). Hand-overs are computed on
the rotation's local wall clock, so a weekly Monday 09:00 hand-over stays at 09:00 local time
across daylight-saving changes (that week's shift is an hour shorter or longer instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config, Override, Rotation, Schedule

_SEARCH = 1000  # hand-overs and override boundaries looked at when searching for the next change


@dataclass(frozen=True)
class Slot:
    """One escalation level right now: who, until when, and why."""

    level: int
    person: str
    until: float | None  # the next moment someone else takes over; None: nobody is due to
    rotation: str | None = None  # the rotation's name (None for a plain on-call list)
    override: Override | None = None  # set when an override put this person here
    instead: str | None = None  # whom the override replaces (the rotation's person)


def schedule_of(cfg: Config, department: str) -> Schedule | None:
    dept = cfg.department(department)
    return cfg.schedule(dept.oncall.schedule) if dept else None


def zone(cfg: Config, schedule: Schedule) -> ZoneInfo:
    """The schedule's time zone: its own, else the config's."""
    return ZoneInfo(schedule.timezone or cfg.timezone)


def levels(cfg: Config, department: str) -> int:
    """How many escalation levels the department has (0: nobody is on call)."""
    dept = cfg.department(department)
    if dept is None:
        return 0
    schedule = cfg.schedule(dept.oncall.schedule)
    return len(schedule.rotations) if schedule else len(dept.oncall.people)


def who(cfg: Config, department: str, level: int, at: float) -> str | None:
    """The person on call at `level` (1 = first) at time `at`; levels past the last mean the last."""
    count = levels(cfg, department)
    if not count:
        return None
    level = min(max(level, 1), count)
    schedule = schedule_of(cfg, department)
    if schedule is None:
        return cfg.department(department).oncall.people[level - 1]
    return _scheduled(cfg, schedule, level, at)[0]


def roster(cfg: Config, department: str, at: float) -> list[Slot]:
    """Every level of the department at time `at`, in order, with who and until when."""
    schedule = schedule_of(cfg, department)
    if schedule is None:
        dept = cfg.department(department)
        return [Slot(i + 1, name, None) for i, name in enumerate(dept.oncall.people if dept else [])]
    out = []
    for level, rotation in enumerate(schedule.rotations, start=1):
        person, override = _scheduled(cfg, schedule, level, at)
        instead = _rotation_person(rotation, _rotation_zone(cfg, schedule, rotation), at) if override else None
        out.append(Slot(level, person, _next_change(cfg, schedule, level, at, person), rotation.name, override, instead))
    return out


def handover(rotation: Rotation, tz: ZoneInfo, k: int) -> float:
    """The moment of the rotation's k-th hand-over after `start` (negative k: before it).

    A wall time that does not exist (the hour skipped in spring) is read with the offset before
    the change, i.e. one hour later on the clock; a repeated wall time (autumn) is its first occurrence.
    """
    return (rotation.start + k * timedelta(seconds=rotation.shift)).replace(tzinfo=tz).timestamp()


def turn(rotation: Rotation, tz: ZoneInfo, at: float) -> int:
    """The number of the last hand-over at or before `at` (0 = `start`; the rotation runs backwards too)."""
    wall = datetime.fromtimestamp(at, tz).replace(tzinfo=None)
    k = (wall - rotation.start) // timedelta(seconds=rotation.shift)  # exact except near a DST change
    while handover(rotation, tz, k + 1) <= at:
        k += 1
    while handover(rotation, tz, k) > at:
        k -= 1
    return k


def _rotation_zone(cfg: Config, schedule: Schedule, rotation: Rotation) -> ZoneInfo:
    return ZoneInfo(rotation.timezone) if rotation.timezone else zone(cfg, schedule)


def _rotation_person(rotation: Rotation, tz: ZoneInfo, at: float) -> str:
    return rotation.people[turn(rotation, tz, at) % len(rotation.people)]


def _interval(override: Override, tz: ZoneInfo) -> tuple[float, float]:
    return override.from_.replace(tzinfo=tz).timestamp(), override.until.replace(tzinfo=tz).timestamp()


def _scheduled(cfg: Config, schedule: Schedule, level: int, at: float) -> tuple[str, Override | None]:
    """The person at a (valid) level and whether an override put them there."""
    tz = zone(cfg, schedule)
    for override in reversed(schedule.overrides):  # the one written last wins
        start, end = _interval(override, tz)
        if override.level == level and start <= at < end:
            return override.who, override
    rotation = schedule.rotations[level - 1]
    return _rotation_person(rotation, _rotation_zone(cfg, schedule, rotation), at), None


def _next_change(cfg: Config, schedule: Schedule, level: int, at: float, person: str) -> float | None:
    """The first hand-over or override boundary after `at` at which someone other than `person` is on call."""
    tz = zone(cfg, schedule)
    rotation = schedule.rotations[level - 1]
    rot_tz = _rotation_zone(cfg, schedule, rotation)
    boundaries = sorted(t for o in schedule.overrides if o.level == level for t in _interval(o, tz))
    rotates = len(set(rotation.people)) > 1  # a one-person rotation never changes anyone by itself
    t = at
    for _ in range(_SEARCH):
        candidates = [b for b in boundaries if b > t]
        if rotates:
            candidates.append(handover(rotation, rot_tz, turn(rotation, rot_tz, t) + 1))
        if not candidates:
            return None
        t = min(candidates)
        if _scheduled(cfg, schedule, level, t)[0] != person:
            return t
    return None
