"""Alerts as cards: one platform-neutral description that every adapter translates."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.durations import format_duration
from bot.models import Alert, AlertStatus
from bot.texts import say


def label_title(cfg: Config, dim: str, value: str, lang: str) -> str:
    """A human name for a topic, region or channel value."""
    if dim == "topic" and (t := cfg.topic(value)):
        return getattr(t.title, lang)
    if dim == "region" and (r := cfg.region(value)):
        return r.title
    if dim == "region" and value:
        from detectors import gazetteer  # a place outside the configured regions: a Land or a country

        return gazetteer.title(value, lang) or value
    if dim == "channel" and (s := cfg.source(value)):
        return s.title or s.account
    return value


def local_time(cfg: Config, ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, ZoneInfo(cfg.timezone)).strftime("%H:%M")


def title(cfg: Config, alert: Alert, lang: str, rule=None) -> str:
    """The alert's one-line headline in `lang`."""
    values = {
        "topic": label_title(cfg, "topic", alert.labels.get("topic", ""), lang) or "?",
        "region": label_title(cfg, "region", alert.labels.get("region", ""), lang) or say("card.everywhere", lang),
        "channel": label_title(cfg, "channel", alert.labels.get("channel", ""), lang),
        "emerging": alert.labels.get("emerging", ""),
        "current": _num(alert.current, lang),
        "baseline": _num(alert.baseline or 0, lang),
        "window": format_duration(alert.window_s),
        "factor": f"{alert.current / alert.baseline:.0f}×" if alert.baseline else "∞",
    }
    template = alert.summary.get(lang)
    if template:
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):  # a bad placeholder must not hide the alert
            return template
    what = ", ".join(label_title(cfg, k, v, lang) for k, v in alert.labels.items()) or alert.rule
    return say("generic.message", lang, what=what)


def _size(alert: Alert, lang: str) -> str:
    """How big, compared with normal, in words that fit what the rule measures."""
    window = format_duration(alert.window_s)
    if alert.measure == "share":
        base = "" if alert.baseline is None else say("card.share_base", lang, baseline=round(100 * alert.baseline))
        return say("card.size_share", lang, share=round(100 * alert.current), window=window) + base
    if alert.measure == "silence":
        return say("card.size_silence", lang, minutes=_num(alert.current, lang), baseline=_num(alert.baseline or 0, lang))
    if alert.measure == "reach":
        return say("card.size_reach", lang, current=_num(alert.current, lang), window=window)
    if alert.baseline is not None:
        return say("card.size", lang, current=_num(alert.current, lang), window=window, baseline=_num(alert.baseline, lang))
    return say("card.size_nobase", lang, current=_num(alert.current, lang), window=window)


def _via(alert: Alert) -> str:
    return next((h.get("via", "") for h in reversed(alert.history) if h.get("action") == "resolved"), "")


def number(x: float, lang: str) -> str:
    """A number as people of that language write it."""
    return _num(x, lang)


def _num(x: float, lang: str) -> str:
    """847095 -> '847,095' (en) or '847.095' (de); small values keep one decimal."""
    text = f"{x:,.0f}" if abs(x) >= 10 or x == int(x) else f"{x:.1f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "de" else text


def card(cfg: Config, alert: Alert, lang: str, posts: list[dict] | None = None, rule=None) -> dict:
    """Everything a platform needs to show the alert, already in the reader's language.

    `why` explains it (bot/explanation.py): the rule's condition when `rule` is given, when the
    change began, and the terms new against the baseline."""
    from bot import explanation

    region = alert.labels.get("region")
    where = label_title(cfg, "region", region, lang) if region else say("card.everywhere", lang)
    size = _size(alert, lang)
    status_line = say("card.since", lang, time=local_time(cfg, alert.started_at))
    if alert.status == AlertStatus.ACKNOWLEDGED:
        status_line = say("card.acked", lang, who=alert.acked_by, via=alert.acked_via, time=local_time(cfg, alert.acked_at))
    elif alert.status == AlertStatus.RESOLVED and alert.resolved_by:
        status_line = say("card.resolved_by", lang, who=alert.resolved_by, via=_via(alert), time=local_time(cfg, alert.resolved_at))
    elif alert.status == AlertStatus.RESOLVED:
        status_line = say("card.resolved", lang, time=local_time(cfg, alert.resolved_at))
    notes = _noise_notes(cfg, alert, lang) if alert.status != AlertStatus.RESOLVED else []
    if alert.escalated_at and alert.status != AlertStatus.RESOLVED:
        notes.append(say("card.escalated", lang, who=alert.escalated_by, time=local_time(cfg, alert.escalated_at)))
    if alert.muted(time.time()) and alert.status != AlertStatus.RESOLVED:
        notes.append(say("card.muted", lang, time=local_time(cfg, alert.muted_until)))
    actions = []
    if alert.status != AlertStatus.RESOLVED:
        wanted = ["ack"] if alert.status == AlertStatus.FIRING else []
        wanted += ["resolve", "mute", "escalate"]
        actions = [{"action": a, "label": say(f"button.{a}", lang)} for a in wanted]
    return {
        "id": alert.id,
        "severity": alert.severity.value,
        "severity_label": say(f"severity.{alert.severity.value}", lang),
        "status": alert.status.value,
        "status_label": say(f"status.{alert.status.value}", lang),
        "title": title(cfg, alert, lang),
        "where": say("card.where", lang, where=where),
        "size": size,
        "why": explanation.lines(cfg, alert, rule, lang),
        "status_line": " · ".join([status_line, *notes]),
        "departments": alert.departments,
        "posts_label": say("card.posts", lang),
        "posts": posts or [],
        "actions": actions,
        "started_at": alert.started_at,
    }


FOLLOW_UP_TEXTS = ("severity_raised", "repeat", "reminder")  # thread follow-ups with words of their own
_HELD = {"group_wait": "card.held_wait", "silence": "card.held_silence", "maintenance": "card.held_maintenance",
         "inhibited": "card.held_inhibited"}  # a mute shows as "muted until" already


def _noise_notes(cfg: Config, alert: Alert, lang: str) -> list[str]:
    """Lines for an open alert's card: a rising severity, and why chat platforms have not seen it yet."""
    notes = []
    raised = next((h for h in reversed(alert.history) if h.get("action") == "severity_raised"), None)
    if raised is not None:
        values = {"severity": say(f"severity.{raised['to']}", lang), "time": local_time(cfg, raised["at"])}
        key = "card.raised_ack_broken" if raised.get("ack_broken") else "card.raised"
        notes.append(say(key, lang, who=raised.get("ack_broken"), **values))
    if alert.held_for in _HELD:
        notes.append(say(_HELD[alert.held_for], lang, by=alert.held_by, time=local_time(cfg, alert.held_until)))
    return notes


def follow_up(cfg: Config, alert: Alert, change: str, detail: dict, lang: str) -> str:
    """The reply in an alert's thread for a change in FOLLOW_UP_TEXTS (also said in the room)."""
    size = _size(alert, lang)
    if change == "severity_raised":
        severity = say(f"severity.{detail.get('severity', alert.severity.value)}", lang)
        if detail.get("ack_broken"):
            return say("followup.ack_broken", lang, id=alert.id, severity=severity, size=size, who=detail["ack_broken"])
        return say("followup.raised", lang, id=alert.id, severity=severity, size=size)
    if change == "repeat":
        return say("followup.repeat", lang, id=alert.id, time=local_time(cfg, alert.started_at), size=size)
    return say("followup.reminder", lang, id=alert.id, who=detail.get("who") or alert.acked_by,
               ago=format_duration(detail.get("ago", 0)))


def cards(ctx, alert: Alert) -> dict:
    """The alert as a card in each language, with its example posts (those not yet expired)."""
    examples = [
        {"text": post.text[:280], "author": post.author_name, "channel": post.channel, "url": post.url}
        for post in ctx.store.posts(alert.post_keys)
    ]
    rule = next((r for r in ctx.rules or () if r.name == alert.rule), None)
    return {
        "id": alert.id,
        "departments": alert.departments,
        "cards": {lang: card(ctx.cfg, alert, lang, examples, rule) for lang in ("de", "en")},
    }
