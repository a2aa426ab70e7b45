"""A Report (bot.report) in plain words: a short chat message, and a page with charts, German or English."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import render
from bot import summary as summaries
from bot.summary_text import clip, factor
from bot.texts import say as say_common

TEXTS: dict[str, dict[str, str]] = {
    "title": {"de": "Bericht {dept}", "en": "Report {dept}"},
    "all_topics": {"de": "alle Themen", "en": "all topics"},
    "all_regions": {"de": "alle Regionen", "en": "all regions"},
    "posts": {"de": "{n} Beiträge{versus}", "en": "{n} posts{versus}"},
    "posts.before": {"de": "; {before}: {n}", "en": "; {before}: {n}"},
    "vs.more": {"de": "{factor}× so viele wie üblich (sonst ≈ {expected})",
                "en": "{factor}× the usual number (usually about {expected})"},
    "vs.less": {"de": "weniger als üblich (sonst ≈ {expected})", "en": "fewer than usual (usually about {expected})"},
    "vs.usual": {"de": "etwa so viele wie üblich (≈ {expected})", "en": "about the usual number (≈ {expected})"},
    "vs.rare": {"de": "sonst fast keine", "en": "usually almost none"},
    "vs.none": {"de": "noch keine Vergleichswerte", "en": "nothing to compare with yet"},
    "short.more": {"de": "{factor}× üblich", "en": "{factor}× usual"},
    "short.less": {"de": "weniger (sonst ≈ {expected})", "en": "fewer (usually {expected})"},
    "short.usual": {"de": "üblich (≈ {expected})", "en": "usual (≈ {expected})"},
    "short.rare": {"de": "sonst fast keine", "en": "usually almost none"},
    "short.none": {"de": "–", "en": "–"},
    "before.day": {"de": "am Vortag", "en": "the day before"},
    "before.week": {"de": "in der Vorwoche", "en": "the week before"},
    "before.other": {"de": "im Zeitraum davor", "en": "in the period before"},
    "mood": {"de": "Negativ: {share} %{detail}", "en": "Negative: {share}%{detail}"},
    "mood.before": {"de": " ({before}: {share} %)", "en": " ({before}: {share}%)"},
    "mood.usual": {"de": ", üblich {share} %", "en": ", usually {share}%"},
    "mood.worse": {"de": " – Stimmung schlechter", "en": " – mood getting worse"},
    "mood.better": {"de": " – Stimmung besser", "en": " – mood improving"},
    "mood.steady": {"de": " – Stimmung unverändert", "en": " – mood unchanged"},
    "topics": {"de": "Themen: {rows}", "en": "Topics: {rows}"},
    "regions": {"de": "Regionen: {rows}", "en": "Regions: {rows}"},
    "alerts": {"de": "Alarme: {opened} neu, {closed} erledigt{ack}", "en": "Alerts: {opened} new, {closed} resolved{ack}"},
    "alerts.none": {"de": "Alarme: keine", "en": "Alerts: none"},
    "alerts.ack": {"de": " · bestätigt nach {time} (Median)", "en": " · acknowledged after {time} (median)"},
    "alerts.missing": {"de": ", {n} unbestätigt", "en": ", {n} not acknowledged"},
    "alerts.ack_none": {"de": " · keiner bestätigt", "en": " · none acknowledged"},
    "widest": {"de": "Meistgesehen: „{text}“ (≈ {reach} Menschen){url}", "en": "Seen most: “{text}” (≈ {reach} people){url}"},
    "link": {"de": "Bericht mit Diagrammen: {url}", "en": "Full report with charts: {url}"},
    "quiet": {"de": "Keine Beiträge in diesem Zeitraum – {versus}.", "en": "No posts in this period – {versus}."},
    "min": {"de": "{n} Min.", "en": "{n} min"},
    "hours": {"de": "{h} Std. {m} Min.", "en": "{h} h {m} min"},
    "under_min": {"de": "unter 1 Min.", "en": "under a minute"},
    # the page
    "h.figures": {"de": "Auf einen Blick", "en": "At a glance"},
    "h.volume": {"de": "Beiträge im Verlauf", "en": "Posts over time"},
    "h.topics": {"de": "Themen", "en": "Topics"},
    "h.regions": {"de": "Regionen", "en": "Regions"},
    "h.alerts": {"de": "Alarme", "en": "Alerts"},
    "h.widest": {"de": "Beiträge mit der größten Reichweite", "en": "Posts seen by the most people"},
    "h.examples": {"de": "Typische Beiträge", "en": "Typical posts"},
    "fig.posts": {"de": "Beiträge", "en": "Posts"},
    "fig.negative": {"de": "negativ", "en": "negative"},
    "fig.alerts": {"de": "Alarme neu / erledigt", "en": "Alerts new / resolved"},
    "col.topic": {"de": "Thema", "en": "Topic"},
    "col.region": {"de": "Region", "en": "Region"},
    "col.posts": {"de": "Beiträge", "en": "Posts"},
    "col.negative": {"de": "negativ", "en": "negative"},
    "col.versus": {"de": "im Vergleich", "en": "compared with usual"},
    "opened": {"de": "geöffnet {when}", "en": "opened {when}"},
    "acked": {"de": "bestätigt nach {after} von {who}", "en": "acknowledged after {after} by {who}"},
    "closed": {"de": "erledigt {when}", "en": "resolved {when}"},
    "not_acked": {"de": "nicht bestätigt", "en": "not acknowledged"},
    "open": {"de": "noch offen", "en": "still open"},
    "people": {"de": "≈ {reach} Menschen", "en": "≈ {reach} people"},
    "none": {"de": "Keine.", "en": "None."},
    "note.weekly": {"de": "„Üblich“ ist der Durchschnitt derselben Zeit in den letzten Wochen.",
                    "en": "“Usual” is the average of the same time in the past weeks."},
    "note.daily": {"de": "„Üblich“ ist der Durchschnitt derselben Uhrzeit an den Tagen davor.",
                   "en": "“Usual” is the average of the same time of day on the days before."},
    "note.before": {"de": "„Üblich“ ist geschätzt aus den Stunden vor dem Zeitraum (noch kein längerer Verlauf).",
                    "en": "“Usual” is estimated from the hours before the period (no longer history yet)."},
    "note.none": {"de": "Für einen Vergleich mit üblich gibt es noch keinen Verlauf.",
                  "en": "There is no history yet to compare with."},
    "note.link": {"de": "Diese Seite kann jede Person öffnen, die den Link hat; sie bleibt {days} Tage abrufbar.",
                  "en": "Anyone with the link can open this page; it stays available for {days} days."},
    "chart.topic": {"de": "Themen", "en": "Topics"},
    "chart.region": {"de": "Regionen", "en": "Regions"},
}


PAGE_TTL_S = 30 * 86400  # how long a report's page can be opened, at most


def page_ttl(cfg) -> int:
    """A page quotes customers' posts: it is kept no longer than the posts are (retention.posts)."""
    return min(PAGE_TTL_S, cfg.retention.posts)


def say(key: str, lang: str, **values) -> str:
    entry = TEXTS[key]
    return entry.get(lang, entry["en"]).format(**values)


def label(cfg, dim: str, value: str | None, lang: str) -> str:
    """A topic's or region's name; None is "no known topic" / "no region recognised"."""
    if value is None:
        return say_common("sum.no_topic" if dim == "topic" else "sum.no_region", lang)
    return render.label_title(cfg, dim, value, lang)


def when(ts: float, tz: str, lang: str, date: bool = True) -> str:
    """'Mo 30.03. 08:00' / 'Mon 30 Mar 08:00' in the report's time zone."""
    local = datetime.fromtimestamp(ts, ZoneInfo(tz))
    day = say_common("time.weekdays", lang).split()[local.weekday()]
    if not date:
        return f"{day} {local:%H:%M}"
    month = say_common("time.months", lang).split()[local.month - 1]
    return f"{day} {local:%d.%m.} {local:%H:%M}" if lang == "de" else f"{day} {local.day} {month} {local:%H:%M}"


def span(r, lang: str) -> str:
    return f"{when(r.start, r.tz, lang)} – {when(r.end, r.tz, lang)}"


def chart_title(cfg, r, name: str) -> str:
    """'Netzstörung · Mo 08:00 – Di 08:00' (volume); 'Regionen · …' (bars by topic or region)."""
    what = ", ".join(label(cfg, "topic", t, r.lang) for t in r.topics) or say("all_topics", r.lang)
    if name != "volume":
        what = say(f"chart.{name}", r.lang)
    return f"{what} · {when(r.start, r.tz, r.lang, date=False)} – {when(r.end, r.tz, r.lang, date=False)}"


def versus(n: int, expected: float | None, lang: str, short: bool = False) -> str:
    """How `n` posts compare with the usual number, in words (`short`: for a table cell)."""
    kind = "short" if short else "vs"
    if expected is None:
        return say(f"{kind}.none", lang)
    if expected < summaries.RARE:
        return say(f"{kind}.rare", lang)
    ratio, shown = n / max(expected, 1.0), render.number(expected, lang)
    if ratio >= 1.5:
        return say(f"{kind}.more", lang, factor=factor(ratio, lang), expected=shown)
    return say(f"{kind}.less" if ratio <= 0.67 else f"{kind}.usual", lang, expected=shown)


def duration(seconds: float, lang: str) -> str:
    minutes = int(round(seconds / 60))
    if seconds < 60:
        return say("under_min", lang)
    if minutes < 60:
        return say("min", lang, n=minutes)
    return say("hours", lang, h=minutes // 60, m=minutes % 60)


def _before(r, lang: str) -> str:
    days = round((r.start - r.previous_start) / 86400, 2)
    return say("before.day" if days == 1 else "before.week" if days == 7 else "before.other", lang)


def _subject(cfg, r, lang: str) -> str:
    topics = ", ".join(label(cfg, "topic", t, lang) for t in r.topics) or say("all_topics", lang)
    regions = ", ".join(label(cfg, "region", x, lang) for x in r.regions) or say("all_regions", lang)
    return f"{topics} · {regions}"


def mood(r, lang: str) -> str:
    """The negative share, the period before, usual, and which way it moved."""
    return say("mood", lang, share=round(100 * r.share), detail=_mood_detail(r, lang))


def _mood_detail(r, lang: str) -> str:
    before = ""
    if r.previous_share is not None:
        before = say("mood.before", lang, before=_before(r, lang), share=round(100 * r.previous_share))
    usual = "" if r.normal.neg_share is None else say("mood.usual", lang, share=round(100 * r.normal.neg_share))
    trend = ""
    if r.previous_share is not None and min(r.n, r.previous[0]) >= summaries.MIN_POSTS // 2:
        change = r.share - r.previous_share
        trend = say("mood.worse" if change >= summaries.TREND else "mood.better" if change <= -summaries.TREND
                    else "mood.steady", lang)
    return before + usual + trend


def alerts_line(r, lang: str) -> str:
    if not r.alerts:
        return say("alerts.none", lang)
    return say("alerts", lang, opened=len(r.opened), closed=len(r.closed), ack=_ack_detail(r, lang))


def _ack_detail(r, lang: str) -> str:
    """How fast the alerts opened in the period were acknowledged (median), and how many were not."""
    if not r.opened:
        return ""
    if r.median_ack_s is None:
        return say("alerts.ack_none", lang)
    missing = sum(1 for a in r.opened if a.ack_s is None)
    return say("alerts.ack", lang, time=duration(r.median_ack_s, lang)) + (say("alerts.missing", lang, n=missing) if missing else "")


def _counted(cfg, dim: str, rows, lang: str, limit: int = 4) -> str:
    return ", ".join(f"{label(cfg, dim, row.value, lang)} ({render.number(row.n, lang)})" for row in rows[:limit])


def text(cfg, r, link: str) -> str:
    """The chat message: at most 8 short lines, ending with the page's link."""
    lang = r.lang
    dept = cfg.department(r.department)
    lines = [f"📋 {say('title', lang, dept=dept.title)} – {_subject(cfg, r, lang)} – {span(r, lang)}"]
    if not r.n:
        lines.append(say("quiet", lang, versus=versus(0, r.normal.expected, lang)))
    else:
        before = say("posts.before", lang, before=_before(r, lang), n=render.number(r.previous[0], lang))
        lines.append(say("posts", lang, n=render.number(r.n, lang), versus=f" – {versus(r.n, r.normal.expected, lang)}")
                     + before)
        lines.append(mood(r, lang))
        if len(r.by_topic) > 1 or not r.topics:
            lines.append(say("topics", lang, rows=_counted(cfg, "topic", r.by_topic, lang)))
        if r.by_region:
            lines.append(say("regions", lang, rows=_counted(cfg, "region", r.by_region, lang)))
    lines.append(alerts_line(r, lang))
    if r.widest and r.widest[0].reach:
        top = r.widest[0]
        lines.append(say("widest", lang, text=clip(top.text, 80), reach=render.number(top.reach, lang),
                         url=f" {top.url}" if top.url else ""))
    lines.append(say("link", lang, url=link))
    return "\n".join(lines)


# --- the page --------------------------------------------------------------------------------

CSS = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:780px;margin:0 auto;padding:16px}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.6em 0 .5em}
.sub{color:#5b6475;margin:0 0 1em}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px}
.fig{background:#fff;border-radius:10px;padding:12px 14px;box-shadow:0 1px 2px #0001}
.fig b{display:block;font-size:1.8em;line-height:1.2}.fig span{color:#5b6475;font-size:.92em}
img{max-width:100%;height:auto;background:#fff;border-radius:10px;display:block;margin:8px 0}
.table{overflow-x:auto}table{border-collapse:collapse;width:100%;background:#fff;border-radius:10px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #e6e8ec;vertical-align:top}
td.n{text-align:right;white-space:nowrap}th{font-size:.85em;color:#5b6475;font-weight:600}
blockquote{background:#fff;margin:8px 0;padding:10px 14px;border-left:4px solid #5b7bd5;border-radius:6px}
blockquote small{display:block;color:#5b6475;margin-top:4px}a{color:#2449b5}
footer{color:#5b6475;font-size:.85em;margin:2em 0 1em}
ul.alerts{list-style:none;padding:0}ul.alerts li{background:#fff;border-radius:8px;padding:10px 14px;margin:8px 0}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _link(url: str | None, text: str) -> str:
    """A link to a post; only http(s) addresses become links (posts come from strangers)."""
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer" target="_blank">{_e(text)}</a>'
    return _e(text)


def _image(images: dict, name: str) -> str:
    image = images.get(name)
    if not image:
        return ""
    img = f'<img src="{_e(image["url"])}" alt="{_e(image["alt"])}" title="{_e(image["alt"])}">'
    if image["url"].startswith("data:"):
        return img
    return f'<a href="{_e(image["url"])}" target="_blank">{img}</a>'  # a tap shows it full size


def _table(cfg, dim: str, rows, lang: str) -> str:
    head = "".join(f"<th>{_e(say(k, lang))}</th>" for k in (f"col.{dim}", "col.posts", "col.negative", "col.versus"))
    body = "".join(
        f"<tr><td>{_e(label(cfg, dim, row.value, lang))}</td><td class=n>{_e(render.number(row.n, lang))}</td>"
        f"<td class=n>{round(100 * row.neg / row.n) if row.n else 0}{' %' if lang == 'de' else '%'}</td>"
        f"<td>{_e(versus(row.n, row.expected, lang, short=True)) if row.value is not None else ''}</td></tr>" for row in rows)
    return f'<div class=table><table><tr>{head}</tr>{body}</table></div>' if rows else f"<p>{say('none', lang)}</p>"


def _alerts_list(r, lang: str) -> str:
    """One short paragraph per alert (tables with five columns do not fit a phone)."""
    if not r.alerts:
        return f"<p>{say('none', lang)}</p>"
    items = []
    for a in r.alerts:
        title = a.titles.get(lang) or f"#{a.id}"
        acked = (say("acked", lang, after=duration(a.ack_s, lang), who=a.acked_by or "?") if a.ack_s is not None
                 else say("not_acked", lang))
        closed = say("closed", lang, when=when(a.closed_at, r.tz, lang)) if a.closed_at is not None else say("open", lang)
        items.append(f"<li><b>#{a.id} {_e(say_common(f'severity.{a.severity}', lang))}: {_e(title)}</b><br>"
                     f"{_e(say('opened', lang, when=when(a.opened_at, r.tz, lang)))} · {_e(acked)} · {_e(closed)}</li>")
    return f"<ul class=alerts>{''.join(items)}</ul>"


def _quotes(posts, r, lang: str, reach: bool) -> str:
    if not posts:
        return f"<p>{say('none', lang)}</p>"
    out = []
    for p in posts:
        meta = when(p.at, r.tz, lang) + (" · " + say("people", lang, reach=render.number(p.reach, lang)) if reach else "")
        out.append(f"<blockquote>{_e(clip(p.text, 400))}<small>{_link(p.url, meta)}</small></blockquote>")
    return "".join(out)


def page(cfg, r, images: dict) -> str:
    """The report as one self-contained HTML page (inline CSS; the charts are `images`: name -> {url, alt})."""
    lang = r.lang
    dept = cfg.department(r.department)
    heading = f"{say('title', lang, dept=dept.title)}"
    percent = f"{round(100 * r.share)}{' %' if lang == 'de' else '%'}"
    figures = [
        (render.number(r.n, lang), f"{say('fig.posts', lang)}: {versus(r.n, r.normal.expected, lang)}"),
        (percent, say("fig.negative", lang) + _mood_detail(r, lang)),
        (f"{len(r.opened)} / {len(r.closed)}", say("fig.alerts", lang) + _ack_detail(r, lang)),
    ]
    tiles = "".join(f"<div class=fig><b>{_e(big)}</b><span>{_e(small)}</span></div>" for big, small in figures)
    sections = [
        f"<h2>{say('h.figures', lang)}</h2><div class=figures>{tiles}</div>",
        f"<h2>{say('h.volume', lang)}</h2>{_image(images, 'volume')}",
        f"<h2>{say('h.topics', lang)}</h2>{_image(images, 'topic')}{_table(cfg, 'topic', r.by_topic, lang)}",
        f"<h2>{say('h.regions', lang)}</h2>{_image(images, 'region')}{_table(cfg, 'region', r.by_region, lang)}",
        f"<h2>{say('h.alerts', lang)}</h2>{_alerts_list(r, lang)}",
        f"<h2>{say('h.widest', lang)}</h2>{_quotes(r.widest, r, lang, reach=True)}",
        f"<h2>{say('h.examples', lang)}</h2>{_quotes(r.representative, r, lang, reach=False)}",
    ]
    note = say(f"note.{r.normal.method}", lang)
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
            f"<title>{_e(heading)} – {_e(span(r, lang))}</title><style>{CSS}</style></head><body><main>"
            f"<h1>{_e(heading)}</h1><p class=sub>{_e(_subject(cfg, r, lang))}<br>{_e(span(r, lang))} ({_e(r.tz)})</p>"
            + "".join(sections)
            + f"<footer>{_e(note)} {_e(say('note.link', lang, days=max(1, round(page_ttl(cfg) / 86400))))}</footer></main></body></html>")
