"""A Summary (bot.summary) in plain words, in German or English: short, or the full breakdown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import render
from bot import summary as summaries
from bot.durations import format_duration
from bot.summary import Summary
from bot.texts import say

_LIGHT = {"normal": "🟢", "elevated": "🟡", "critical": "🔴"}


def text(cfg, s: Summary, lang: str, full: bool = False) -> str:
    """A summary in words: short (at most 8 lines, ends with the "more" hint) or the full breakdown."""
    tz = ZoneInfo(s.tz)
    lines = [_header(cfg, s, lang, tz)]
    if not s.n:
        usual = ""
        if s.normal.expected is not None and s.normal.expected >= summaries.RARE:
            usual = say("sum.quiet.usual", lang, expected=render.number(s.normal.expected, lang))
        lines.append(say("sum.quiet", lang, usual=usual))
    else:
        lines.append(_size(s, lang, tz))
        if full:
            lines.append(_normal_line(s, lang))
            lines += _table(s, lang, tz)
        lines.append(_what(cfg, s, lang, full))
        if full:
            lines.append(say("sum.channels", lang, channels=_counted(cfg, "channel", s.channels, lang, 10)))
        lines.append(_mood(s, lang))
        lines.append(_reach(s, lang, full))
        if full and s.widest:
            lines += [say("sum.widest", lang)] + [_post(p, lang, 200, reach=True) for p in s.widest]
        if full and s.representative:
            lines.append(say("sum.examples", lang, method=say(f"sum.method.{s.similarity}", lang), pool=s.pool,
                             matched=s.matched))
        lines += [_post(p, lang, 200 if full else 100) for p in s.representative[: None if full else 2]]
    lines = [line for line in lines if line]
    if full:
        lines.append(_reasons(s, lang))
        if s.alerts:
            lines += [say("sum.alerts", lang)] + ["• " + _alert(a, lang, tz) for a in s.alerts]
        else:
            lines.append(say("sum.alert.none", lang))
        return "\n".join(lines)
    opened = [a for a in s.alerts if a.open]
    alert = _alert(opened[0], lang, tz) if opened else say("sum.alert.none", lang)
    if len(opened) > 1:
        alert += say("sum.alert.others", lang, n=len(opened) - 1)
    lines.append(f"{alert} · {say('sum.more_hint', lang)}" if s.n else alert)
    return "\n".join(lines)


def _header(cfg, s: Summary, lang: str, tz) -> str:
    topic = render.label_title(cfg, "topic", s.topic, lang) if s.topic else None
    where = render.label_title(cfg, "region", s.region, lang) if s.region else None
    subject_ = say("sum.subject_both", lang, topic=topic, region=where) if topic and where else topic or where
    return say("sum.header", lang, light=_LIGHT[s.status], status=say(f"sum.status.{s.status}", lang), subject=subject_,
               window=format_duration(s.window_s), span=_span(s, lang, tz))


def _span(s: Summary, lang: str, tz) -> str:
    """'08:15–09:15' in the configured time zone; with weekdays when it is longer than half a day."""
    start, end = datetime.fromtimestamp(s.start, tz), datetime.fromtimestamp(s.end, tz)
    if s.window_s <= 12 * 3600:
        return f"{start:%H:%M}–{end:%H:%M}"
    days = say("time.weekdays", lang).split()
    return f"{days[start.weekday()]} {start:%H:%M} – {days[end.weekday()]} {end:%H:%M}"


def _size(s: Summary, lang: str, tz) -> str:
    """How many posts, and how that compares with normal (docs/summaries.md)."""
    n = render.number(s.n, lang)
    (n1, _), (n2, _) = s.halves
    trend = ""
    if max(n1, n2) >= summaries.MIN_POSTS // 2 and (n2 >= 1.5 * n1 or n1 >= 1.5 * n2):
        trend = say("sum.rising" if n2 > n1 else "sum.falling", lang, first=n1, second=n2)
    normal = s.normal
    if normal.expected is None:
        return say("sum.size.none", lang, n=n, trend=trend)
    how = "rare" if normal.expected < summaries.RARE else "more" if s.ratio >= 1.5 else "less" if s.ratio <= 0.67 else "usual"
    values = {"n": n, "trend": trend, "factor": factor(s.ratio, lang)}
    if normal.method == "before":
        window = format_duration(s.window_s)
        expected = render.number(normal.expected, lang)
        return say(f"sum.size.{how}.before", lang, **values, span=format_duration(normal.before_s), expected=expected,
                   window=window)
    return say(f"sum.size.{how}.seasonal", lang, **values, slot=slot(s, lang, tz),
               expected=render.number(normal.expected, lang))


def slot(s: Summary, lang: str, tz) -> str:
    """The time normal stands for: 'an einem Dienstagvormittag' / 'a Tuesday morning' (weekly
    history), 'an einem Vormittag' / 'a morning' (daily), from the middle of the window; past 6
    hours the weekday it ends on alone, past a day the weeks or days before."""
    weekly = s.normal.method == "weekly"
    if s.window_s > 86400:
        return say("sum.slot.weeks" if weekly else "sum.slot.days", lang)
    weekdays = say("sum.weekdays", lang).split()
    if s.window_s > 6 * 3600:  # the day it ends on
        weekday = weekdays[datetime.fromtimestamp(s.end - 1, tz).weekday()]
        return say("sum.slot.weekday", lang, weekday=weekday) if weekly else say("sum.slot.days", lang)
    middle = datetime.fromtimestamp((s.start + s.end) / 2, tz)
    part = _part(middle.hour)
    weekday = weekdays[(middle.weekday() - (1 if middle.hour < 5 else 0)) % 7]  # 02:00 on Wednesday is Tuesday night
    name = say("sum.parts", lang).split()[part]
    article = say("sum.part_articles", lang).split("|")[part]
    if not weekly:
        return say("sum.slot.part", lang, article=article, part=name)
    return say("sum.slot.weekday_part", lang, article=article, weekday=weekday, part=name.lower() if lang == "de" else name)


def _part(hour: int) -> int:
    """Index into sum.parts: night, early morning, morning, midday, afternoon, evening."""
    for index, until in ((0, 5), (1, 9), (2, 12), (3, 14), (4, 18), (5, 22)):
        if hour < until:
            return index
    return 0


def factor(ratio: float | None, lang: str) -> str:
    if ratio is None:
        return ""
    text = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "de" else text


def _normal_line(s: Summary, lang: str) -> str:
    normal = s.normal
    if normal.method in ("weekly", "daily"):
        return say("sum.normal.seasonal", lang, days=", ".join(str(d) for d in normal.days))
    if normal.method == "before":
        return say("sum.normal.before", lang, span=format_duration(normal.before_s))
    return say("sum.normal.none", lang)


def _table(s: Summary, lang: str, tz) -> list[str]:
    """The series per local hour (per local day past a day): posts · negative · normal."""
    daily = s.window_s > 86400
    rows: dict = {}
    for i in s.series:
        local = datetime.fromtimestamp(i.start, tz)
        key = local.date() if daily else (local.date(), local.hour)
        row = rows.setdefault(key, [local, 0, 0, None])
        row[1] += i.n
        row[2] += i.neg
        if i.normal is not None:
            row[3] = (row[3] or 0.0) + i.normal
    days = say("time.weekdays", lang).split()
    out = [say("sum.table.day" if daily else "sum.table.hour", lang)]
    for local, n, neg, normal in rows.values():
        when = f"{days[local.weekday()]} {local:%d.%m.}" if daily else f"{local:%H:%M}"
        expected = render.number(normal, lang) if normal is not None else "–"
        out.append(f"{when}  {render.number(n, lang)} · {render.number(neg, lang)} · {expected}")
    return out


def _counted(cfg, dim: str, rows: list[list], lang: str, limit: int) -> str:
    """'Köln/Bonn (30), Berlin (2)': values of a breakdown with their posts, most first."""
    def name(value):
        if value is None:
            return say("sum.no_region" if dim == "region" else "sum.no_topic", lang)
        return render.label_title(cfg, dim, value, lang)

    return ", ".join(f"{name(v)} ({render.number(n, lang)})" for v, n, _ in rows[:limit])


def _what(cfg, s: Summary, lang: str, full: bool) -> str:
    """Where (for a topic) or which topics (for a region), and the key words people use."""
    limit = 20 if full else 3
    parts = []
    if s.regions:
        parts.append(say("sum.where", lang, regions=_counted(cfg, "region", s.regions, lang, limit)))
    if s.topics:
        parts.append(say("sum.topics", lang, topics=_counted(cfg, "topic", s.topics, lang, limit)))
    if s.terms:
        parts.append(say("sum.terms", lang, terms=", ".join(_quote(t, lang) for t in s.terms[: None if full else 3])))
    return " · ".join(parts)


def _mood(s: Summary, lang: str) -> str:
    usual = ""
    if s.normal.neg_share is not None:
        usual = say("sum.mood.usual", lang, share=round(100 * s.normal.neg_share))
    moved = summaries.trend(s)
    trend = ""
    if moved is not None:
        (n1, neg1), (n2, neg2) = s.halves
        trend = say(f"sum.trend.{moved}", lang, first=round(100 * neg1 / n1), second=round(100 * neg2 / n2))
    return say("sum.mood", lang, share=round(100 * s.share), usual=usual, trend=trend)


def _reach(s: Summary, lang: str, full: bool) -> str:
    widest = ""
    if s.widest and s.widest[0].reach and not full:
        top = s.widest[0]
        widest = say("sum.reach.widest", lang, text=clip(top.text, 80), reach=render.number(top.reach, lang), url=_url(top))
    return say("sum.reach", lang, reach=render.number(s.reach, lang), widest=widest)


def _post(p, lang: str, length: int, reach: bool = False) -> str:
    if reach:
        return say("sum.post_reach", lang, reach=render.number(p.reach, lang), text=clip(p.text, length), url=_url(p))
    return say("sum.post", lang, text=clip(p.text, length), url=_url(p))


def _alert(a, lang: str, tz) -> str:
    values = {"id": a.id, "severity": say(f"severity.{a.severity}", lang)}
    if a.status == "acknowledged":
        return say("sum.alert.acked", lang, **values, who=a.acked_by, time=_clock(a.acked_at, tz))
    if a.status == "resolved":
        return say("sum.alert.resolved", lang, **values, time=_clock(a.resolved_at, tz))
    oncall_ = say("sum.alert.oncall", lang, who=a.oncall) if a.oncall else ""
    return say("sum.alert.firing", lang, **values, time=_clock(a.started_at, tz), oncall=oncall_)


def _reasons(s: Summary, lang: str) -> str:
    factors = {"volume": summaries.ELEVATED_RATIO, "volume_critical": summaries.CRITICAL_RATIO}
    reasons = [say(f"sum.reason.{r}", lang, factor=factor(factors.get(r), lang)) for r in s.reasons]
    return say("sum.why", lang, status=say(f"sum.status.{s.status}", lang).lower(),
               reasons="; ".join(reasons) or say("sum.reason.none", lang))


def _clock(ts: float | None, tz) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M") if ts else "?"


def clip(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _quote(text: str, lang: str) -> str:
    return f"„{text}“" if lang == "de" else f"“{text}”"


def _url(p) -> str:
    return f" {p.url}" if p.url else ""
