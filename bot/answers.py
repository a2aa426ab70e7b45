"""Answers to questions: open alerts, topics, summaries of a topic or region, who is on call."""

from __future__ import annotations

import re
import time
import unicodedata
from types import SimpleNamespace
from datetime import datetime

from bot import explanation
from bot import oncall as oncall_schedules
from bot import render
from bot import summary as summaries
from bot import summary_text
from bot.aggregates import Window
from bot.durations import format_duration
from bot.models import Alert
from bot.summary import Summary
from bot.texts import say

DEFAULT_WINDOW_S = 3600  # "what's going on" questions look at the last hour of event time
_IN = re.compile(r"\s+(?:in|im|aus|für|for|around|near|bei)\s+", re.I)  # "Netzausfall in Köln"


def fold(text: str) -> str:
    """Lowercase ASCII for comparing names: Köln == koeln == KOELN."""
    text = text.lower().replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip(" ?!.,\"'")


def find_region(ctx, name: str):
    """The region a person means by `name`: a configured one (title, id or one of its places), else
    a region of the gazetteer's markets (a Land, a country). Either has .name and .title."""
    wanted = fold(name)
    means = lambda names: any(fold(n) in (wanted, f"in {wanted}", f"aus {wanted}") for n in names)  # noqa: E731
    for region in ctx.cfg.regions:
        if means([region.name, region.title, *region.places, *region.title.split("/")]):
            return region
    from detectors import gazetteer

    for rid, names in gazetteer.named_regions(ctx.cfg.detectors.gazetteer.countries):
        if means([rid, *names]):
            return SimpleNamespace(name=rid, title=names[0])
    return None


def find_topic(ctx, name: str):
    """The known topic a person means: its id, a title, or one of its keywords."""
    wanted = fold(name).removeprefix("the ").removeprefix("den ").removeprefix("die ").removeprefix("das ")
    for topic in ctx.cfg.topics:
        names = [topic.name, topic.name.replace("_", " "), topic.title.de, topic.title.en]
        names += [k for words in topic.keywords.values() for k in words]
        if any(fold(n) == wanted for n in names):
            return topic
    for topic in ctx.cfg.topics:  # part of a word of the title or id: "recall", "Rückruf" in "Geräterückruf"
        words = {fold(w) for w in [*topic.name.split("_"), *topic.title.de.split(), *topic.title.en.split()]}
        if wanted in words or (len(wanted) >= 5 and any(wanted in w for w in words)):
            return topic
    return None


def open_alerts(ctx, department: str | None) -> list[Alert]:
    return ctx.store.alerts(open_only=True, department=department)


def alerts(ctx, department: str | None, lang: str) -> tuple[str, list[Alert]]:
    found = open_alerts(ctx, department) or open_alerts(ctx, None)
    if not found:
        return say("alerts.none", lang), []
    lines = [say("alerts.header_one" if len(found) == 1 else "alerts.header", lang, n=len(found))]
    for a in found[:15]:
        lines.append(say("alerts.line", lang, id=a.id, severity=say(f"severity.{a.severity.value}", lang),
                         title=render.title(ctx.cfg, a, lang), status=say(f"status.{a.status.value}", lang)))
    return "\n".join(lines), found


def _recent(ctx, window_s: int) -> tuple[Window, int, int]:
    last = int(ctx.store.watermark() // 60)
    first = last - window_s // 60 + 1
    return Window(ctx.store.load_aggregates(range(first, last + 1))), first, last


def topics(ctx, lang: str, window_s: int = DEFAULT_WINDOW_S) -> str:
    window, first, last = _recent(ctx, window_s)
    counts = window.groups("n", {}, ["topic"], first, last)
    negatives = window.groups("neg", {}, ["topic"], first, last)
    span = format_duration(window_s)
    if not counts:
        return say("topics.none", lang, window=span)
    lines = [say("topics.header", lang, window=span)]
    for (topic,), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        title = render.label_title(ctx.cfg, "topic", topic, lang)
        lines.append(say("topics.line", lang, title=title, n=int(n), neg=int(negatives.get((topic,), 0))))
    return "\n".join(lines)


def subject(ctx, name: str, region_first: bool = False):
    """(topic, region) a person means: a topic, a region, or "<topic> in <region>"; (None, None) if neither."""
    if region_first and (found := find_region(ctx, name)):
        return None, found
    if found := find_topic(ctx, name):
        return found, None
    if found := find_region(ctx, name):
        return None, found
    parts = _IN.split(name.strip(), maxsplit=1)
    if len(parts) == 2 and (topic := find_topic(ctx, parts[0])) and (where := find_region(ctx, parts[1])):
        return topic, where
    return None, None


def region(ctx, name: str, lang: str, window_s: int = DEFAULT_WINDOW_S) -> tuple[str, list[Alert], Summary | None]:
    """'What is happening in Bonn?': the region's summary."""
    topic, found = subject(ctx, name, region_first=True)
    if topic is None and found is None:
        known = ", ".join(r.title for r in ctx.cfg.regions)
        return say("region.unknown", lang, name=name.strip(), known=known), [], None
    return _summarize(ctx, topic, found, lang, window_s)


def summary(ctx, name: str, lang: str, window_s: int = DEFAULT_WINDOW_S) -> tuple[str, list[Alert], Summary | None]:
    """A topic, a region or a topic in a region, in plain words (bot.summary; docs/summaries.md)."""
    topic, found = subject(ctx, name)
    if topic is None and found is None:
        return say("sum.unknown", lang, name=name.strip(), topics=", ".join(getattr(t.title, lang) for t in ctx.cfg.topics),
                   regions=", ".join(r.title for r in ctx.cfg.regions)), [], None
    return _summarize(ctx, topic, found, lang, window_s)


def _summarize(ctx, topic, found, lang: str, window_s: int) -> tuple[str, list[Alert], Summary]:
    built = summaries.build(ctx, topic.name if topic else None, found.name if found else None, window_s)
    related = [a for ref in built.alerts if ref.open and (a := ctx.store.get_alert(ref.id))]
    return summary_text.text(ctx.cfg, built, lang), related, built


def oncall(ctx, department: str | None, lang: str, now: float | None = None) -> str:
    """Who is on call: a department's list, or its schedule's levels right now and until when."""
    now = time.time() if now is None else now
    depts = [d for d in ctx.cfg.departments if department in (None, d.name)] or ctx.cfg.departments
    out = []
    for d in depts:
        schedule = oncall_schedules.schedule_of(ctx.cfg, d.name)
        if schedule is None:
            out.append(say("oncall.line", lang, dept=d.title, people=", ".join(d.oncall.people) or say("oncall.nobody", lang)))
            continue
        tz = oncall_schedules.zone(ctx.cfg, schedule)
        out.append(say("oncall.schedule", lang, dept=d.title, schedule=schedule.name, zone=tz.key))
        for slot in oncall_schedules.roster(ctx.cfg, d.name, now):
            line = say("oncall.level", lang, level=slot.level, rotation=slot.rotation, who=slot.person)
            if slot.until is not None:
                line += say("oncall.until", lang, when=when(slot.until, tz, lang, now))
            if slot.override is not None:
                line += (say("oncall.override", lang, instead=slot.instead) if slot.instead != slot.person
                         else say("oncall.override_plain", lang))
                line += say("oncall.reason", lang, reason=slot.override.reason) if slot.override.reason else ""
            out.append(line)
    return "\n".join(out)


def when(ts: float, tz, lang: str, now: float) -> str:
    """A moment as people say it in `tz`: 'Mo 09:00' within the coming week, else with the date."""
    local, today = datetime.fromtimestamp(ts, tz), datetime.fromtimestamp(now, tz).date()
    weekday = say("time.weekdays", lang).split()[local.weekday()]
    clock = local.strftime("%H:%M")
    if (local.date() - today).days <= 6:
        return say("time.weekday", lang, weekday=weekday, time=clock)
    return say("time.date", lang, weekday=weekday, day=f"{local.day:02d}" if lang == "de" else local.day,
               month_number=f"{local.month:02d}", month=say("time.months", lang).split()[local.month - 1], time=clock)


def explain(ctx, alert_id: int, lang: str) -> tuple[str, list[Alert]]:
    """Why an alert fired: its rule, the condition, and the numbers it saw."""
    alert = ctx.store.get_alert(alert_id)
    if alert is None:
        return say("act.missing", lang, id=alert_id), []
    rule = next((r for r in ctx.rules if r.name == alert.rule), None)
    if rule is None:
        return say("explain.gone", lang, id=alert_id, rule=alert.rule), [alert]
    depts = ", ".join(d.title for n in alert.departments if (d := ctx.cfg.department(n)))
    window = format_duration(rule.window)
    pct = alert.measure == "share"
    numbers = {
        "current": round(100 * alert.current) if pct else render.number(alert.current, lang),
        "baseline": round(100 * (alert.baseline or 0)) if pct else render.number(alert.baseline or 0, lang),
        "window": window, "min_count": getattr(rule, "min_count", 1),
    }
    if rule.type == "spike":
        detail = say("explain.spike", lang, **numbers, factor=f"{rule.factor:g}", baseline_window=format_duration(rule.baseline))
    elif rule.type == "threshold":
        detail = say("explain.threshold", lang, **numbers, metric=rule.metric, above=f"{rule.above:g}")
    elif rule.type == "keyword":
        terms = ", ".join(f"„{t}“" if lang == "de" else f"“{t}”" for t in rule.words(lang))
        detail = say("explain.keyword", lang, **numbers, terms=terms)
    elif rule.type == "sentiment_shift":
        detail = say("explain.sentiment_shift", lang, **numbers, increase=round(100 * rule.min_increase))
    elif rule.type == "viral_post":
        detail = say(explanation.viral_key("explain", rule), lang, **numbers, **explanation.viral_numbers(rule, lang))
    elif rule.type == "new_topic":
        detail = say("explain.new_topic", lang, **numbers)
    elif rule.type == "flatline":
        detail = say("explain.flatline", lang, **numbers, silent=format_duration(rule.silent_for), rate=f"{rule.min_rate:g}")
    elif rule.type == "anomaly":
        detail = say("explain.anomaly", lang, **numbers, metric=say(f"anomaly.{rule.metric}", lang), score=f"{rule.score_above:g}")
    else:
        detail = say("explain.composite", lang, window=window, members=", ".join(rule.all or rule.any))
    lines = [say("explain.header", lang, id=alert_id, rule=rule.name, type=rule.type, departments=depts,
                 description=rule.description or render.title(ctx.cfg, alert, lang)), detail]
    filters = {**rule.match.dims(), **{k: v for k, v in alert.labels.items() if k in rule.group_by}}
    if filters:
        lines.append(say("explain.filters", lang, filters=", ".join(
            f"{k} = {render.label_title(ctx.cfg, k, v, lang)}" for k, v in filters.items())))
    lines += explanation.lines(ctx.cfg, alert, None, lang)  # when it began, what is new
    return "\n".join(lines), [alert]


def rule_list(ctx, lang: str) -> str:
    lines = [say("rules.list", lang, n=len(ctx.rules))]
    lines += [say("rules.line", lang, name=r.name, type=r.type, departments=", ".join(r.departments)) for r in ctx.rules]
    return "\n".join(lines)


def silences(ctx, lang: str) -> str:
    """What is silenced now (from chat and from rule files) and which maintenance windows are on."""
    from rules import noise

    now = time.time()
    lines = []
    for s in sorted(ctx.store.silences(now), key=lambda s: s["until"]):
        lines.append(say("silences.chat", lang, what=_matchers(ctx, s["matchers"], lang), by=s.get("by") or "?",
                         until=render.local_time(ctx.cfg, s["until"]), why=_why(s.get("reason"), lang)))
    for s in getattr(ctx.rules, "silences", []):
        starts, ends = s.span(now)
        if starts <= now < ends:
            lines.append(say("silences.file", lang, what=_matchers(ctx, s.matchers, lang), by=s.by,
                             until=render.local_time(ctx.cfg, ends), why=_why(s.reason, lang)))
    for m in getattr(ctx.rules, "maintenance", []):
        if (span := noise.active_maintenance(m, now)) is not None:
            lines.append(say("silences.maintenance", lang, name=m.name, what=_matchers(ctx, m.matchers, lang),
                             until=render.local_time(ctx.cfg, span[1]), why=_why(m.reason, lang)))
    if not lines:
        return say("silences.none", lang)
    return "\n".join([say("silences.header", lang)] + lines)


def _matchers(ctx, matchers: dict[str, str], lang: str) -> str:
    if not matchers:
        return say("silences.everything", lang)
    return ", ".join(render.label_title(ctx.cfg, k, v, lang) or f"{k}={v}" for k, v in matchers.items())


def _why(reason: str | None, lang: str) -> str:
    return f" — {reason}" if reason else ""
