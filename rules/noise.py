"""Noise control as pure decisions, the way Alertmanager makes them.

Whether an alert is held back from chat platforms (group_wait, a silence, a maintenance window,
inhibition by another open alert, a mute) and what time alone has made due (a throttled update,
a "still firing" repeat, a reminder of an acknowledged alert) are functions of the alert, its
rule, the silences, maintenance windows, open alerts, inhibit rules and `now` — wall-clock unix
seconds — and nothing else: no Redis, no chat, so a fake clock tests every timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from croniter import croniter

from bot.models import Alert, AlertStatus, Severity

GROUP_WAIT, SILENCE, MAINTENANCE, INHIBITED, MUTED = "group_wait", "silence", "maintenance", "inhibited", "muted"
UPDATE, REPEAT, REMINDER = "update", "repeat", "reminder"


@dataclass(frozen=True)
class Hold:
    """Why an alert is held back from chat platforms, and until when."""

    reason: str  # GROUP_WAIT, SILENCE, MAINTENANCE, INHIBITED or MUTED
    until: float | None  # None: until the inhibiting alert resolves
    by: str | None = None  # the silence's author, the maintenance window's name, the inhibiting alert's id
    note: str = ""  # the silence's or the window's reason


@dataclass(frozen=True)
class SilenceWindow:
    """A silence from chat or from a rule file, on the wall clock."""

    matchers: dict[str, str]
    starts: float
    ends: float
    by: str = ""
    reason: str = ""


# --- matching --------------------------------------------------------------------------------
def facts(alert: Alert) -> dict[str, str]:
    """What matchers compare: the alert's labels, its severity and its rule."""
    return {**alert.labels, "severity": Severity(alert.severity).value, "rule": alert.rule}


def matches(matchers: dict[str, str], alert: Alert) -> bool:
    """Every matcher holds; `department` holds when it is one of the alert's departments."""
    known = facts(alert)
    return all(
        value in alert.departments if key == "department" else known.get(key) == value
        for key, value in matchers.items()
    )


# --- silences --------------------------------------------------------------------------------
def silence_windows(chat: Iterable[dict[str, Any]], written: Iterable[Any]) -> list[SilenceWindow]:
    """Chat silences ({matchers, until, by, reason}) and rule-file silences, as one kind."""
    out = [
        SilenceWindow(dict(s["matchers"]), float(s.get("starts", float("-inf"))), float(s["until"]),
                      s.get("by") or "", s.get("reason") or "")
        for s in chat
    ]
    for s in written:
        starts, ends = s.span(float("-inf"))  # no start written: in force from the beginning
        out.append(SilenceWindow(dict(s.matchers), starts, ends, s.by, s.reason))
    return out


def silenced(alert: Alert, windows: Iterable[SilenceWindow], now: float) -> SilenceWindow | None:
    """The silence in force for this alert that ends last, if any."""
    active = [w for w in windows if w.starts <= now < w.ends and matches(w.matchers, alert)]
    return max(active, key=lambda w: w.ends, default=None)


# --- maintenance windows ---------------------------------------------------------------------
def active_maintenance(window: Any, now: float) -> tuple[float, float] | None:
    """(start, end) of the occurrence of a maintenance window that is active at `now`, if any.

    Starts are local times in the window's time zone; the duration is real time. A start the
    clock skips (spring forward) happens when the clock resumes, as cron does it; a start the
    clock shows twice (fall back) counts from its first showing.
    """
    zone = ZoneInfo(window.timezone)
    # croniter looks strictly before its base: one second later lets a window start exactly at `now`.
    base = datetime.fromtimestamp(now + 1, zone)
    start = croniter(window.cron, base).get_prev(datetime)
    first = start.replace(fold=0)
    if first.utcoffset() != start.utcoffset():  # the repeated hour: its first showing is the start
        start = first
    begin = start.timestamp()
    end = begin + window.duration
    return (begin, end) if begin <= now < end else None


def in_maintenance(alert: Alert, windows: Iterable[Any], now: float) -> tuple[Any, float] | None:
    """(window, end) of the active maintenance window matching this alert that ends last, if any."""
    found = []
    for window in windows:
        if matches(window.matchers, alert) and (span := active_maintenance(window, now)) is not None:
            found.append((window, span[1]))
    return max(found, key=lambda wf: wf[1], default=None)


# --- inhibition ------------------------------------------------------------------------------
def inhibitor(alert: Alert, open_alerts: Iterable[Alert], rules: Iterable[Any]) -> Alert | None:
    """An open alert that holds this one back under an inhibit rule, if any.

    The source must match the rule's `source`, this alert its `target`, and both must have the
    same value for every name in `equal` — a name neither has counts as equal (as in Alertmanager),
    one that only one of them has does not. An alert never inhibits itself.
    """
    rules = [r for r in rules if matches(r.target, alert)]
    if not rules:
        return None
    mine = facts(alert)
    for source in open_alerts:
        if source.id == alert.id or source.status == AlertStatus.RESOLVED:
            continue
        theirs = facts(source)
        for rule in rules:
            if matches(rule.source, source) and all(mine.get(k) == theirs.get(k) for k in rule.equal):
                return source
    return None


# --- holds -----------------------------------------------------------------------------------
def holds(alert: Alert, rule: Any, silences: Iterable[SilenceWindow] = (), maintenance: Iterable[Any] = (),
          open_alerts: Iterable[Alert] = (), inhibit: Iterable[Any] = (), now: float = 0.0) -> list[Hold]:
    """Every reason in force at `now` to keep this alert from chat platforms."""
    found = []
    if rule is not None and now < alert.created_wall + rule.group_wait:
        found.append(Hold(GROUP_WAIT, alert.created_wall + rule.group_wait))
    if (silence := silenced(alert, silences, now)) is not None:
        found.append(Hold(SILENCE, silence.ends, silence.by, silence.reason))
    if (window := in_maintenance(alert, maintenance, now)) is not None:
        found.append(Hold(MAINTENANCE, window[1], window[0].name, window[0].reason))
    if (source := inhibitor(alert, open_alerts, inhibit)) is not None:
        found.append(Hold(INHIBITED, None, str(source.id)))
    if alert.muted(now):
        found.append(Hold(MUTED, alert.muted_until))
    return found


def hold(alert: Alert, rule: Any, silences: Iterable[SilenceWindow] = (), maintenance: Iterable[Any] = (),
         open_alerts: Iterable[Alert] = (), inhibit: Iterable[Any] = (), now: float = 0.0) -> Hold | None:
    """The hold that lasts longest (inhibition: open-ended), or None when the alert may be posted."""
    found = holds(alert, rule, silences, maintenance, open_alerts, inhibit, now)
    return max(found, key=lambda h: float("inf") if h.until is None else h.until, default=None)


# --- what time has made due ------------------------------------------------------------------
def throttled(alert: Alert, rule: Any, now: float) -> bool:
    """An in-place update now would come sooner than group_interval after the last one."""
    last = alert.last_update_sent_at if alert.last_update_sent_at is not None else alert.notified_at
    return rule is not None and last is not None and now < last + rule.group_interval


def raised(alert: Alert, severity: Severity | str | None) -> Severity | None:
    """The new severity when `severity` is above the alert's (severity never falls while it is open)."""
    if severity is None:
        return None
    severity = Severity(severity)
    return severity if severity.rank > Severity(alert.severity).rank else None


def due(alert: Alert, rule: Any, now: float, quiet: bool = False) -> list[str]:
    """What time has made due for a posted alert: UPDATE (a throttled state), REPEAT, REMINDER.

    `quiet`: a silence, maintenance window or inhibition covers the alert now; it still gets its
    pending update (the message must not show an old state) but no repeat or reminder.
    """
    if alert.status == AlertStatus.RESOLVED or alert.held:
        return []
    out = []
    if alert.update_pending and not throttled(alert, rule, now):
        out.append(UPDATE)
    if rule is None or quiet or alert.muted(now):
        return out
    if alert.status == AlertStatus.FIRING and rule.repeat_interval:
        last = alert.notified_at if alert.notified_at is not None else alert.created_wall
        if now >= last + rule.repeat_interval:
            out.append(REPEAT)
    if alert.status == AlertStatus.ACKNOWLEDGED and rule.remind_after:
        last = max(alert.acked_at or 0.0, alert.reminded_at or 0.0)
        if now >= last + rule.remind_after:
            out.append(REMINDER)
    return out

