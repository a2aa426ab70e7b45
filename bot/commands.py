"""The one command layer every chat surface talks to: text in, answer out, in German or English."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from bot import actions, alerting, answers, charts, render
from bot import summary as summaries
from bot import summary_text
from bot.durations import format_duration, parse_duration
from bot.models import Alert
from bot.texts import say

_GERMAN = re.compile(
    r"[äöüß]|\b(was|ist|los|wer|hat|offene|alarme|themen|hilfe|bestätig\w*|quittier\w*|bereitschaft|"
    r"zusammenfassung|lage|gerade|der|die|das|und|bitte|zeig\w*|erledigt|stumm\w*|eskalier\w*|letzten|stunden?|regeln|neu|laden|erkläre?|warum)\b",
    re.I,
)
_ENGLISH = re.compile(
    r"\b(what|who|open|alerts|topics|help|the|is|on|call|happening|show|trending|status|summary|resolve|mute|"
    r"escalate|about|last|hours?|explain|why|rules|unmute|silences?|list|topic|because)\b",
    re.I,
)
_VERBS = {
    "ack": r"ack|acknowledge|bestätig\w*|quittier\w*",
    "resolve": r"resolve|close|erledigt|erledige|schließ\w*",
    "mute": r"mute|silence|stumm\w*",
    "escalate": r"escalate|eskalier\w*",
}
_ACTION = re.compile(
    r"^\s*/?(?P<verb>" + "|".join(_VERBS.values()) + r")\b\s*(?:alarm|alert)?\s*#?\s*(?P<id>\d+)?"
    r"(?:\s+(?:for|für)?\s*(?P<duration>\d+\s*[^\W\d_]+))?(?:\s+stumm(?:schalten)?)?[\s.!]*$",
    re.I,
)
_SILENCE = re.compile(
    r"(?:mute|silence|schalte|stumm\w*)\s+(?:the\s+)?(?:topic|thema)\s+(?P<topic>.+?)\s+(?:for|für)\s+"
    r"(?P<duration>\d+\s*\w+)(?:\s+stumm)?[\s.!]*$",
    re.I,
)
_SILENCE_DE = re.compile(  # "Thema Rückruf für 2 Stunden stummschalten"
    r"^\s*(?:schalte\s+)?(?:das\s+)?thema\s+(?P<topic>.+?)\s+(?:für\s+)?(?P<duration>\d+\s*\w+)\s+stumm\w*[\s.!]*$",
    re.I,
)
_REASON = re.compile(r"\s+(?:because|as|weil|wegen|da|grund:|reason:)\s+(?P<reason>\S.*?)[\s.!]*$", re.I)
_UNSILENCE = re.compile(
    r"^\s*(?:unmute|unsilence|end silence for|laut|entstumm\w*|stummschaltung aufheben für)\s+(?:the\s+|das\s+)?"
    r"(?:topic|thema)\s+(?P<topic>.+?)[\s.!]*$|^\s*(?:das\s+)?thema\s+(?P<topic_de>.+?)\s+wieder\s+laut\w*[\s.!]*$",
    re.I,
)
_LIST_SILENCES = re.compile(r"^\s*/?(?:silences|list silences|what is muted\??|stummschaltungen|was ist stumm\w*\??)\s*[?!.]*\s*$", re.I)
_WINDOW = re.compile(
    r"\s*(?:in\s+)?(?:the\s+|den\s+)?(?:last|letzten|letzte|past|seit)\s+(?P<n>\d+)\s*"
    r"(?P<unit>h|hours?|stunden?|std|m|min\w*|d|days?|tagen?|tag)\b",
    re.I,
)
_SUMMARY_ALONE = re.compile(r"^\s*/?(?:summary|zusammenfassung)\s*[?!.]*\s*$", re.I)
_MORE = re.compile(
    r"^\s*/?(?:(?P<en>more|show more|more details|tell me more|details please)|(?P<de>mehr|mehr dazu|zeig mehr|mehr details|"
    r"mehr bitte|details bitte)|(?P<any>details|/details))\s*[?!.]*\s*$",
    re.I,
)
_EXPLAIN = re.compile(r"^\s*/?(?:explain|erkläre?|erklär|warum|why)\s*(?:alarm|alert)?\s*#?\s*(\d+)\s*[?!.]*\s*$", re.I)
_LIST_RULES = re.compile(r"^\s*/?(?:list rules|rules|regeln|regeln anzeigen|zeige regeln)\s*[?!.]*\s*$", re.I)
_RELOAD = re.compile(r"^\s*/?(?:reload rules|regeln neu laden|lade regeln neu)\s*[!.]*\s*$", re.I)
_HELP = re.compile(r"^\s*(?:/?help|/?hilfe|\?|/start|hallo|hello|hi)\s*[!?.]*\s*$", re.I)
_ALERTS = re.compile(r"\b(?:open alerts?|alerts?|offene alarme?|alarme?|status)\b", re.I)
_TOPICS = re.compile(r"^\s*(?:/?topics?|themen|thema|trending|trends?|was wird besprochen)\b", re.I)
_ONCALL = re.compile(r"\b(?:on[- ]?call|bereitschaft|rufbereitschaft)\b", re.I)
_REGION = re.compile(
    r"(?:was ist los in|wie ist die lage in|lage in|what'?s happening in|what is happening in|"
    r"what'?s going on in|status (?:of|in|für|in der)?)\s+(.+?)[\s?!.]*$",
    re.I,
)
_SUMMARY = re.compile(
    r"(?:summary(?: of| about)?|zusammenfassung(?: zu| zum| zur| für)?|what'?s trending about|"
    r"what is trending about|trending about|was gibt es neues zu|wie steht es um)\s+(.+?)[\s?!.]*$",
    re.I,
)


@dataclass
class Request:
    text: str
    user: str  # the name people know the sender by
    department: str | None = None  # the department whose channel this came from; None in DMs
    platform: str = "room"
    user_id: str | None = None  # the sender's id on the platform (the room knows people by name)


@dataclass
class Reply:
    text: str
    lang: str
    alerts: list[Alert] = field(default_factory=list)
    summary: summaries.Summary | None = None  # a summary's data (series, normal band, alerts) for a chart
    # Chart images (bot/charts.py). A summary's are drawn when first looked at (charts.Later), so
    # that platforms send the text first; a chart that fails is logged and left out.
    charts: list[charts.Chart] = field(default_factory=list)


def guess_language(text: str, default: str) -> str:
    """German or English, from the words of the question; the department's language if unclear."""
    de, en = len(_GERMAN.findall(text)), len(_ENGLISH.findall(text))
    if de == en:
        return default
    return "de" if de > en else "en"


def _seconds(n: int, unit: str) -> int | None:
    """n units in seconds; German and English unit words, long or short."""
    unit = unit.lower()
    for prefixes, size in ((("std", "stu", "h"), 3600), (("min", "m"), 60), (("d", "t"), 86400), (("s",), 1)):
        if unit.startswith(prefixes):
            return n * size
    return None


def _window(text: str) -> tuple[str, int]:
    """The question without its time span ('in the last 2 hours'), and that span in seconds."""
    m = _WINDOW.search(text)
    if not m:
        return text, answers.DEFAULT_WINDOW_S
    seconds = _seconds(int(m.group("n")), m.group("unit")) or answers.DEFAULT_WINDOW_S
    return (text[: m.start()] + text[m.end():]).strip(), max(60, min(seconds, 7 * 86400))


def _duration(text: str | None) -> int | None:
    """'2h', '30 min', '2 Stunden', '1h30m' -> seconds; None when absent or unreadable."""
    if not text:
        return None
    m = re.fullmatch(r"(\d+)\s*([^\W\d_]+)", text.strip())
    if m and (seconds := _seconds(int(m.group(1)), m.group(2))):
        return seconds
    try:
        return parse_duration(text)
    except ValueError:
        return None


def handle(ctx, req: Request) -> Reply:
    """Answer one chat message. Never raises for odd input: unknown text gets help."""
    lang = guess_language(req.text, ctx.department_language(req.department))
    text = req.text.strip()
    user_id = req.user_id if req.user_id is not None else req.user
    if _HELP.match(text):
        return Reply(say("help", lang), lang)
    if m := _EXPLAIN.match(text):
        ctx.follow_rules()
        answer, related = answers.explain(ctx, int(m.group(1)), lang)
        return Reply(answer, lang, related)
    if _LIST_RULES.match(text):
        ctx.follow_rules()
        return Reply(answers.rule_list(ctx, lang), lang)
    if _RELOAD.match(text):
        return _reload_rules(ctx, req, user_id, lang)
    if _LIST_SILENCES.match(text):
        ctx.follow_rules()
        return Reply(answers.silences(ctx, lang), lang)
    if m := _UNSILENCE.match(text):
        return _unsilence(ctx, m.group("topic") or m.group("topic_de"), req, user_id, lang)
    reason = _REASON.search(text)
    body = text[: reason.start()] if reason else text
    if m := _SILENCE.search(body) or _SILENCE_DE.match(body):
        why = reason.group("reason") if reason else ""
        return _silence(ctx, m.group("topic"), _duration(m.group("duration")), req, user_id, lang, why)
    if m := _ACTION.match(text):
        verb = next(v for v, pattern in _VERBS.items() if re.fullmatch(pattern, m.group("verb"), re.I))
        if not m.group("id"):
            latest = answers.open_alerts(ctx, req.department)
            return Reply(say("act.which", lang, verb=m.group("verb"), id=latest[0].id if latest else 42), lang)
        return act(ctx, int(m.group("id")), verb, req.platform, user_id, req.user, lang, _duration(m.group("duration")))
    if _ONCALL.search(text):
        return Reply(answers.oncall(ctx, req.department, lang), lang)
    if m := _MORE.match(text):
        return _more(ctx, req, user_id, "de" if m.group("de") else "en" if m.group("en") else None)
    text, window_s = _window(text)
    if m := _REGION.search(text):
        return _summary(ctx, req, user_id, lang, *answers.region(ctx, m.group(1), lang, window_s))
    if _SUMMARY_ALONE.match(text):
        return Reply(say("summary.which", lang, known=", ".join(getattr(t.title, lang) for t in ctx.cfg.topics)), lang)
    if m := _SUMMARY.search(text):
        return _summary(ctx, req, user_id, lang, *answers.summary(ctx, m.group(1), lang, window_s))
    if _TOPICS.search(text):
        return Reply(answers.topics(ctx, lang, window_s), lang)
    if _ALERTS.search(text):
        found_text, found = answers.alerts(ctx, req.department, lang)
        return Reply(found_text, lang, found)
    return Reply(say("unknown", lang), lang)


def _summary(ctx, req: Request, user_id: str, lang: str, answer: str, related: list[Alert], summary) -> Reply:
    """A summary's short answer; the chat remembers it for a "more" right after."""
    if summary is not None:
        summaries.remember(ctx, summaries.chat_key(req.platform, req.department, user_id), summary, lang)
    return Reply(answer, lang, related, summary, charts.later(ctx.cfg, summary, lang) if summary is not None else [])


def _more(ctx, req: Request, user_id: str, lang: str | None) -> Reply:
    """'more' / 'mehr' after a summary: the full breakdown of the same numbers."""
    found = summaries.recall(ctx, summaries.chat_key(req.platform, req.department, user_id))
    if found is None:
        lang = lang or ctx.department_language(req.department)
        return Reply(say("sum.nothing", lang), lang)
    summary, asked_in = found
    lang = lang or asked_in
    related = [a for ref in summary.alerts if ref.open and (a := ctx.store.get_alert(ref.id))]
    return Reply(summary_text.text(ctx.cfg, summary, lang, full=True), lang, related, summary,
                 charts.later(ctx.cfg, summary, lang))


def act(ctx, alert_id: int, action: str, platform: str, user_id: str | None, user_name: str,
        lang: str | None = None, duration_s: int | None = None) -> Reply:
    """A button press or an action typed in chat; answers the person who did it."""
    outcome, alert = actions.act(ctx, alert_id, action, platform, user_id, user_name, duration_s)
    if lang is None:
        lang = ctx.department_language(alert.departments[0]) if alert else "en"
    if outcome == "missing":
        return Reply(say("act.missing", lang, id=alert_id), lang)
    if outcome == "forbidden":
        names = ", ".join(d.title for n in alert.departments if (d := ctx.cfg.department(n)))
        return Reply(say("act.forbidden", lang, id=alert_id, departments=names), lang, [alert])
    if outcome == "unchanged":
        if alert.status.value == "resolved":
            return Reply(say("act.already_resolved", lang, id=alert_id), lang, [alert])
        when = render.local_time(ctx.cfg, alert.acked_at)
        return Reply(say("act.already_acked", lang, id=alert_id, who=alert.acked_by, time=when), lang, [alert])
    until = render.local_time(ctx.cfg, alert.muted_until) if alert.muted_until else ""
    return Reply(say(f"act.{outcome}", lang, id=alert_id, who=user_name, until=until), lang, [alert])


def _may_silence(ctx, req: Request, user_id: str) -> bool:
    """Members may silence (in their department's chat); `sitroom ask` on the server may too."""
    by_dept = req.department is None or ctx.cfg.department(req.department).member(req.platform, user_id)
    return req.platform in actions.TRUSTED or bool(ctx.cfg.person(req.platform, user_id) and by_dept)


def _silence(ctx, topic_name: str, duration_s: int | None, req: Request, user_id: str, lang: str,
             reason: str = "") -> Reply:
    """'mute topic recall for 2h because …': new alerts about the topic are held until then."""
    topic = answers.find_topic(ctx, topic_name)
    if topic is None:
        known = ", ".join(getattr(t.title, lang) for t in ctx.cfg.topics)
        return Reply(say("summary.unknown", lang, name=topic_name, known=known), lang)
    if duration_s is None:
        return Reply(say("silence.how_long", lang, topic=getattr(topic.title, lang)), lang)
    now = time.time()
    if not _may_silence(ctx, req, user_id):
        return Reply(say("silence.forbidden", lang), lang)
    silence = {"matchers": {"topic": topic.name}, "until": now + duration_s, "by": req.user, "via": req.platform,
               "reason": reason[:200], "created": now}
    ctx.store.add_silence(silence)
    ctx.store.audit({"at": now, "user": req.user, "user_id": user_id, "platform": req.platform,
                     "action": "silence", "topic": topic.name, "until": silence["until"], "outcome": "silenced"})
    return Reply(say("silence.done", lang, topic=getattr(topic.title, lang), duration=format_duration(duration_s),
                     until=render.local_time(ctx.cfg, silence["until"])), lang)


def _unsilence(ctx, topic_name: str, req: Request, user_id: str, lang: str) -> Reply:
    """'unmute topic recall': end the chat silences of a topic now; held alerts are posted at once."""
    topic = answers.find_topic(ctx, topic_name)
    if topic is None:
        known = ", ".join(getattr(t.title, lang) for t in ctx.cfg.topics)
        return Reply(say("summary.unknown", lang, name=topic_name, known=known), lang)
    if not _may_silence(ctx, req, user_id):
        return Reply(say("silence.forbidden", lang), lang)
    now = time.time()
    ended = ctx.store.end_silences({"topic": topic.name}, now)
    ctx.store.audit({"at": now, "user": req.user, "user_id": user_id, "platform": req.platform,
                     "action": "unsilence", "topic": topic.name, "outcome": f"ended {ended}"})
    if not ended:
        return Reply(say("silence.none", lang, topic=getattr(topic.title, lang)), lang)
    alerting.release_held(ctx, now)
    return Reply(say("silence.ended", lang, topic=getattr(topic.title, lang)), lang)


def _reload_rules(ctx, req: Request, user_id: str, lang: str) -> Reply:
    """Admins check the rule files and make every worker load them; a broken set changes nothing."""
    from rules import loader
    from bot.yamlfile import YamlError

    admin = any(d.admin and d.member(req.platform, user_id) for d in ctx.cfg.departments)
    ok = admin or req.platform in actions.TRUSTED
    ctx.store.audit({"at": time.time(), "user": req.user, "user_id": user_id, "platform": req.platform,
                     "action": "reload rules", "outcome": "allowed" if ok else "forbidden"})
    if not ok:
        return Reply(say("rules.forbidden", lang), lang)
    try:
        found = loader.load(ctx.rules_path, ctx.cfg)
    except YamlError as e:
        return Reply(say("rules.invalid", lang, problems="\n".join(e.problems[:10])), lang)
    ctx.rules, ctx.rules_version = found, ctx.store.bump_rules_version()
    return Reply(say("rules.reloaded", lang, n=len(found)), lang)
