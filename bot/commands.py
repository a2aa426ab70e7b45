"""The one command layer every chat surface talks to: text in, answer out, in German or English."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot import notify, render
from bot.aggregates import Window
from bot.durations import format_duration
from bot.models import Alert
from bot.texts import say

LOOKBACK_S = 3600  # "what's going on" questions look at the last hour of event time

_GERMAN = re.compile(
    r"[äöüß]|\b(was|ist|los|wer|hat|offene|alarme|themen|hilfe|bestätig\w*|quittier\w*|bereitschaft|"
    r"zusammenfassung|lage|gerade|der|die|das|und|bitte|zeig\w*)\b",
    re.I,
)
_ENGLISH = re.compile(r"\b(what|who|open|alerts|topics|help|the|is|on|call|happening|show|trending|status)\b", re.I)
_ACK = re.compile(r"\b(?:ack|acknowledge|bestätig\w*|quittier\w*)\b\s*#?\s*(\d+)?", re.I)
_HELP = re.compile(r"^\s*(?:/?help|/?hilfe|\?|/start|hallo|hello|hi)\s*[!?.]*\s*$", re.I)
_ALERTS = re.compile(r"\b(?:open alerts?|alerts?|offene alarme?|alarme?|status)\b", re.I)
_TOPICS = re.compile(r"\b(?:topics?|themen|thema|trending|trends?)\b", re.I)
_ONCALL = re.compile(r"\b(?:on[- ]?call|bereitschaft|rufbereitschaft)\b", re.I)
_REGION = re.compile(
    r"(?:was ist los in|wie ist die lage in|lage in|what'?s happening in|what is happening in|"
    r"what'?s going on in|status (?:of|in|für|in der)?)\s+(.+?)[\s?!.]*$",
    re.I,
)


@dataclass
class Request:
    text: str
    user: str
    department: str | None = None
    platform: str = "room"


@dataclass
class Reply:
    text: str
    lang: str
    alerts: list[Alert] = field(default_factory=list)


def guess_language(text: str, default: str) -> str:
    """German or English, from the words of the question; the department's language if unclear."""
    de, en = len(_GERMAN.findall(text)), len(_ENGLISH.findall(text))
    if de == en:
        return default
    return "de" if de > en else "en"


def handle(ctx, req: Request) -> Reply:
    """Answer one chat message. Never raises for odd input: unknown text gets help."""
    lang = guess_language(req.text, ctx.department_language(req.department))
    text = req.text.strip()
    if _HELP.match(text):
        return Reply(say("help", lang), lang)
    if m := _ACK.search(text):
        if not m.group(1):
            latest = _open(ctx, req.department)
            return Reply(say("ack.which", lang, id=latest[0].id if latest else 42), lang)
        return acknowledge(ctx, int(m.group(1)), req.user, req.platform, lang)
    if _ONCALL.search(text):
        return _oncall(ctx, req.department, lang)
    if m := _REGION.search(text):
        return _region(ctx, m.group(1), lang)
    if _TOPICS.search(text):
        return _topics(ctx, lang)
    if _ALERTS.search(text):
        return _alerts(ctx, req.department, lang)
    return Reply(say("unknown", lang), lang)


def acknowledge(ctx, alert_id: int, user: str, platform: str, lang: str) -> Reply:
    """Acknowledge an alert; the second of two simultaneous acks is told who was first."""
    outcome, alert = ctx.store.ack_alert(alert_id, user, platform)
    if outcome == "missing":
        return Reply(say("ack.missing", lang, id=alert_id), lang)
    if outcome == "acknowledged":
        notify.alert_changed(ctx, alert, "acknowledged", by=user)
        return Reply(say("ack.done", lang, id=alert_id, who=user), lang, [alert])
    if alert.status.value == "resolved":
        return Reply(say("ack.resolved", lang, id=alert_id), lang, [alert])
    when = render.local_time(ctx.cfg, alert.acked_at)
    return Reply(say("ack.already", lang, id=alert_id, who=alert.acked_by, time=when), lang, [alert])


def _open(ctx, department: str | None) -> list[Alert]:
    return ctx.store.alerts(open_only=True, department=department)


def _alerts(ctx, department: str | None, lang: str) -> Reply:
    alerts = _open(ctx, department) or _open(ctx, None)
    if not alerts:
        return Reply(say("alerts.none", lang), lang)
    lines = [say("alerts.header", lang, n=len(alerts))]
    for a in alerts[:15]:
        lines.append(
            say(
                "alerts.line",
                lang,
                id=a.id,
                severity=say(f"severity.{a.severity.value}", lang),
                title=render.title(ctx.cfg, a, lang),
                status=say(f"status.{a.status.value}", lang),
            )
        )
    return Reply("\n".join(lines), lang, alerts)


def _recent(ctx) -> tuple[Window, int, int]:
    last = int(ctx.store.watermark() // 60)
    first = last - LOOKBACK_S // 60 + 1
    return Window(ctx.store.load_aggregates(range(first, last + 1))), first, last


def _topics(ctx, lang: str) -> Reply:
    window, first, last = _recent(ctx)
    counts = window.groups("n", {}, ["topic"], first, last)
    negatives = window.groups("neg", {}, ["topic"], first, last)
    window_text = format_duration(LOOKBACK_S)
    if not counts:
        return Reply(say("topics.none", lang, window=window_text), lang)
    lines = [say("topics.header", lang, window=window_text)]
    for (topic,), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        title = render.label_title(ctx.cfg, "topic", topic, lang)
        lines.append(say("topics.line", lang, title=title, n=int(n), neg=int(negatives.get((topic,), 0))))
    return Reply("\n".join(lines), lang)


def _fold(text: str) -> str:
    text = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def find_region(ctx, name: str):
    """The configured region a person means by `name` (title, id or one of its places)."""
    wanted = _fold(name).strip(" ?!.")
    for region in ctx.cfg.regions:
        names = [region.name, region.title, *region.places, *region.title.split("/")]
        if any(_fold(n) == wanted for n in names):
            return region
    return None


def _region(ctx, name: str, lang: str) -> Reply:
    region = find_region(ctx, name)
    if region is None:
        known = ", ".join(r.title for r in ctx.cfg.regions)
        return Reply(say("region.unknown", lang, name=name.strip(), known=known), lang)
    window, first, last = _recent(ctx)
    dims = {"region": region.name}
    n = window.total("n", dims, first, last)
    neg = window.total("neg", dims, first, last)
    lines = [say("region.header", lang, region=region.title, window=format_duration(LOOKBACK_S), n=int(n), neg=int(neg))]
    topics = window.groups("n", dims, ["topic"], first, last)
    if topics:
        top = sorted(topics.items(), key=lambda kv: -kv[1])[:3]
        named = ", ".join(f"{render.label_title(ctx.cfg, 'topic', t, lang)} ({int(c)})" for (t,), c in top)
        lines.append(say("region.topics", lang, topics=named))
    alerts = [a for a in _open(ctx, None) if a.labels.get("region") == region.name]
    if alerts:
        lines.append(say("region.alerts", lang, alerts=", ".join(f"#{a.id}" for a in alerts)))
    return Reply("\n".join(lines), lang, alerts)


def _oncall(ctx, department: str | None, lang: str) -> Reply:
    depts = [d for d in ctx.cfg.departments if department in (None, d.name)] or ctx.cfg.departments
    lines = [
        say("oncall.line", lang, dept=d.title, people=", ".join(d.oncall) or say("oncall.nobody", lang))
        for d in depts
    ]
    return Reply("\n".join(lines), lang)
