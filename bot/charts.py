"""Charts as PNG images: a summary's volume against its normal band, and its posts by region or topic.

matplotlib draws them with the Agg backend and its own DejaVu fonts, so nothing beyond the wheel is
needed on a bare Debian; it is imported when the first chart is drawn, so that workers start as
fast as before. Every word on a chart is in the reader's language, every time in the configured
time zone. Sized for a phone (1000 px wide, large type) and without chart junk: no frame on top
and right, few ticks, the lines named where they end instead of a legend.
"""

from __future__ import annotations

import io
import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from bot import render
from bot.summary_text import clip

if TYPE_CHECKING:
    from bot.summary import Interval, Summary

log = logging.getLogger("sitroom.charts")
WIDTH, HEIGHT, DPI = 10.0, 5.6, 100  # inches at DPI: 1000 × 560 px
MAX_BARS = 10
TTL_S = 30 * 86400  # how long a kept chart can be loaded at /charts/<id>.png
MAX_TICKS = 6  # at most this many steps between the first and the last tick
DAY_LABELS_MIN = 26 * 60  # longer windows are labelled by day (weekday and date), shorter ones by time of day
# Colours: one strong colour per meaning, the rest grey.
POSTS, NORMAL, BAND, NEGATIVE, OTHER, ALERT, INK, MUTED = (
    "#1f5fa8", "#8a8a8a", "#e3e3e3", "#c0392b", "#9db7d5", "#d35400", "#222222", "#6b6b6b")
_STEPS_MIN = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880)  # tick spacing candidates, minutes
_LOCK = threading.Lock()  # matplotlib's font cache is shared; one drawing at a time is plenty fast

WORDS = {
    "de": {
        "posts": "Beiträge", "normal": "normal", "negative": "negativ", "share": "% negativ",
        "per": "Beiträge je {step}", "hour": "Stunde", "no_region": "ohne erkennbare Region",
        "no_topic": "ohne bekanntes Thema", "by_region": "Regionen", "by_topic": "Themen",
        "bars_sub": "Beiträge, davon negativ (rot)", "neg_of": "{n} ({neg} negativ)",
        "volume_alt": "{title}: Beiträge je {step} ({start}–{end}, {peak}){band}; "
                      "darunter der Anteil negativer Beiträge{alerts}",
        "peak_alt": "höchstens {n} um {at}", "none_alt": "keine",
        "band_alt": " gegen den üblichen Bereich (grau)", "alerts_alt": "; Alarm {ids}",
        "bars_alt": "{title}: {rows}",
    },
    "en": {
        "posts": "posts", "normal": "normal", "negative": "negative", "share": "% negative",
        "per": "posts per {step}", "hour": "hour", "no_region": "no recognisable region",
        "no_topic": "no known topic", "by_region": "Regions", "by_topic": "Topics",
        "bars_sub": "posts, of which negative (red)", "neg_of": "{n} ({neg} negative)",
        "volume_alt": "{title}: posts per {step} ({start}–{end}, {peak}){band}; "
                      "below, the share of negative posts{alerts}",
        "peak_alt": "at most {n} at {at}", "none_alt": "none",
        "band_alt": " against the usual range (grey)", "alerts_alt": "; alert {ids}",
        "bars_alt": "{title}: {rows}",
    },
}


@dataclass
class Chart:
    name: str  # a file name, e.g. "volume.png"
    png: bytes
    alt: str  # one line in the reader's language: what the chart shows (alt text / caption)


# --- the charts --------------------------------------------------------------------------------

def volume(series: list[Interval], lang: str, tz: str, title: str, alerts: Sequence[tuple[float, str]] = ()) -> Chart:
    """Posts per interval against the normal band, the negative share below, alerts marked."""
    figure = volume_figure(series, lang, tz, title, alerts)
    return Chart("volume.png", _png(figure), _volume_alt(series, lang, tz, title, alerts))


def bars(rows: list[tuple[str, int, int]], lang: str, title: str) -> Chart:
    """Horizontal bars: label, posts, of which negative (stacked), largest first, at most 10."""
    rows = _largest(rows)
    shown = ", ".join(f"{label} {_count(n, neg, lang)}" for label, n, neg in rows[:5])
    return Chart("bars.png", _png(bars_figure(rows, lang, title)), WORDS[lang]["bars_alt"].format(title=title, rows=shown))


def for_summary(cfg, s: Summary, lang: str) -> list[Chart]:
    """The charts a summary answer carries: its volume, and its regions (or topics) when there are ≥ 2."""
    title = f"{_subject(cfg, s, lang)} · {_span(s.start, s.end, s.tz, lang)}"
    # An alert that began before the window is marked at its start: it is still part of the picture.
    marks = [(max(a.started_at, s.start), f"#{a.id}") for a in s.alerts if a.started_at < s.end]
    out = [volume(s.series, lang, s.tz, title, marks)]
    dim, rows = ("region", s.regions) if s.regions else ("topic", s.topics)
    if len(rows) >= 2:
        none = WORDS[lang]["no_region" if dim == "region" else "no_topic"]
        named = [(render.label_title(cfg, dim, value, lang) if value else none, n, neg) for value, n, neg in rows]
        chart = bars(named, lang, f"{WORDS[lang][f'by_{dim}']}: {title}")
        out.append(Chart(f"{dim}s.png", chart.png, chart.alt))
    return out


def keep(ctx, chart: Chart) -> str:
    """Store the PNG for TTL_S under a random 128-bit id; returns its path, "/charts/<id>.png".

    The web app serves it there without a login: the id is the capability, as for report pages.
    """
    return f"/charts/{ctx.store.save_chart(chart.png, TTL_S)}.png"


class Later(Sequence):
    """Charts drawn when first looked at, so that a text answer can go out before them.

    Drawing never raises: a failure is logged and leaves no charts, and the text still goes out.
    """

    def __init__(self, draw: Callable[[], list[Chart]]):
        self._draw, self._charts, self._lock = draw, None, threading.Lock()

    def _drawn(self) -> list[Chart]:
        with self._lock:
            if self._charts is None:
                try:
                    self._charts = list(self._draw())
                except Exception:  # a chart is a bonus: never let it take the answer with it
                    log.exception("charts could not be drawn; the answer goes out without them")
                    self._charts = []
            return self._charts

    def __len__(self) -> int:
        return len(self._drawn())

    def __getitem__(self, i):
        return self._drawn()[i]

    def __repr__(self) -> str:
        return f"Later({'not drawn' if self._charts is None else self._charts!r})"


def later(cfg, s: Summary, lang: str) -> Later:
    """for_summary(...), drawn on first use."""
    return Later(lambda: for_summary(cfg, s, lang))


# --- drawing -----------------------------------------------------------------------------------

def _mpl():
    """matplotlib's Figure and Agg canvas, imported on first use (it costs about half a second)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return Figure, FigureCanvasAgg


def volume_figure(series: list[Interval], lang: str, tz: str, title: str, alerts: Sequence[tuple[float, str]] = ()):
    """The volume chart as a matplotlib Figure (volume() renders it as PNG)."""
    if not series:
        raise ValueError("a volume chart needs at least one interval")
    Figure, _ = _mpl()
    words, zone = WORDS[lang], ZoneInfo(tz)
    edges = [i.start for i in series] + [series[-1].end]
    posts = [i.n for i in series]
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, facecolor="white")
    fig.subplots_adjust(left=0.095, right=0.85, top=0.8, bottom=0.1, hspace=0.18)
    top, below = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    _heading(fig, title, words["per"].format(step=_step(series, lang)))

    def steps(values):  # a value per interval, drawn flat across it
        return values + values[-1:]

    lows = [math.nan if i.low is None else i.low for i in series]
    highs = [math.nan if i.high is None else i.high for i in series]
    normals = [math.nan if i.normal is None else i.normal for i in series]
    has_band = any(not math.isnan(v) for v in highs)
    if has_band:
        mask = [not math.isnan(v) for v in steps(highs)]
        top.fill_between(edges, steps(lows), steps(highs), where=mask, step="post", color=BAND, linewidth=0)
        top.step(edges, steps(normals), where="post", color=NORMAL, linewidth=1.6, linestyle=(0, (4, 3)))
    top.step(edges, steps(posts), where="post", color=POSTS, linewidth=3)
    peak = max(max(posts), max((v for v in highs if not math.isnan(v)), default=0), 1)
    top.set_ylim(0, peak * 1.18)
    labels = [(posts[-1], words["posts"], POSTS)]
    if has_band and not math.isnan(normals[-1]):
        labels.append((normals[-1], words["normal"], NORMAL))
    _direct_labels(top, edges[-1], labels, peak * 1.18)

    shares = [100.0 * i.neg / i.n if i.n else 0.0 for i in series]
    widths = [(b - a) * 0.86 for a, b in zip(edges, edges[1:])]
    below.bar(edges[:-1], shares, width=widths, align="edge", color=NEGATIVE, linewidth=0)
    below.set_ylim(0, 100)
    below.set_yticks([0, 50, 100])
    below.yaxis.set_major_formatter(_formatter(lambda v: _percent(v, lang)))
    below.text(edges[-1] + (edges[-1] - edges[0]) * 0.015, 50, words["share"], color=NEGATIVE, fontsize=15,
               va="center", ha="left", clip_on=False)

    last_x, level = -math.inf, 0
    for at, label in sorted(a for a in alerts if edges[0] <= a[0] <= edges[-1]):
        for ax in (top, below):
            ax.axvline(at, color=ALERT, linewidth=1.8, zorder=3)
        # labels of alerts close together go one line lower each, so that they stay readable
        level = (level + 1) % 3 if at - last_x < (edges[-1] - edges[0]) * 0.08 else 0
        last_x = at
        top.text(at, peak * (1.17 - 0.11 * level), f" {label}", color=ALERT, fontsize=15, fontweight="bold", va="top", ha="left",
                 bbox={"facecolor": "white", "edgecolor": "none", "pad": 1}, zorder=4)

    from matplotlib.ticker import MaxNLocator

    top.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True, min_n_ticks=2))
    top.yaxis.set_major_formatter(_formatter(lambda v: _num(v, lang)))
    ticks = _ticks(edges[0], edges[-1], zone)
    below.set_xticks(ticks, [_tick_label(t, zone, edges[-1] - edges[0], lang) for t in ticks])
    below.set_xlim(edges[0], edges[-1])
    for ax in (top, below):
        _plain(ax)
    top.tick_params(axis="x", length=0)
    return fig


def bars_figure(rows: list[tuple[str, int, int]], lang: str, title: str):
    """The bar chart as a matplotlib Figure (bars() renders it as PNG)."""
    Figure, _ = _mpl()
    rows = _largest(rows)
    if not rows:
        raise ValueError("a bar chart needs at least one row")
    words = WORDS[lang]
    height = max(3.0, min(HEIGHT, 1.7 + 0.42 * len(rows)))
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, facecolor="white")
    fig.subplots_adjust(left=0.3, right=0.97, top=1 - 1.05 / height, bottom=0.25 / height)
    ax = fig.add_subplot()
    _heading(fig, title, words["bars_sub"], height)
    y = list(range(len(rows)))[::-1]  # the largest on top
    counts, negs = [r[1] for r in rows], [r[2] for r in rows]
    ax.barh(y, negs, color=NEGATIVE, height=0.7, linewidth=0)
    ax.barh(y, [n - g for n, g in zip(counts, negs)], left=negs, color=OTHER, height=0.7, linewidth=0)
    top = max(max(counts), 1)
    for yi, n, neg in zip(y, counts, negs):
        ax.text(n + top * 0.015, yi, _count(n, neg, lang), va="center", ha="left", fontsize=15, color=INK)
    ax.set_yticks(y, [clip(r[0], 26) for r in rows])
    ax.set_xlim(0, top * 1.45)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.xaxis.set_visible(False)
    _plain(ax)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="y", length=0, labelsize=16)
    return fig


def _png(fig) -> bytes:
    _, Canvas = _mpl()
    out = io.BytesIO()
    with _LOCK:
        Canvas(fig).print_png(out, metadata={"Software": None})
    return out.getvalue()


def _heading(fig, title: str, subtitle: str | None, height: float = HEIGHT) -> None:
    """Title (bold) and subtitle top left: the reader's eye starts there."""
    fig.text(0.012, 1 - 0.18 / height, clip(title, 70), fontsize=21, fontweight="bold", color=INK, va="top", ha="left")
    if subtitle:
        fig.text(0.012, 1 - 0.62 / height, subtitle, fontsize=15, color=MUTED, va="top", ha="left")


def _plain(ax) -> None:
    """No frame on top and right, quiet ticks, large type."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.tick_params(labelsize=15, colors=INK, length=4, color="#999999")


def _direct_labels(ax, x: float, labels: list[tuple[float, str, str]], top: float) -> None:
    """Name each line at its right end, pushed apart when they would overlap."""
    gap = top * 0.11
    placed: list[float] = []
    for y, text, colour in sorted(labels, key=lambda t: -t[0]):
        if placed and placed[-1] - y < gap:
            y = placed[-1] - gap
        placed.append(y)
        ax.annotate(text, (x, y), xytext=(8, 0), textcoords="offset points", color=colour, fontsize=16,
                    fontweight="bold", va="center", ha="left", annotation_clip=False)


def _formatter(fn):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fn(v))


def _ticks(start: float, end: float, zone: ZoneInfo) -> list[float]:
    """x ticks on round local times (xx:00, xx:30, midnight, ...), at most MAX_TICKS steps apart."""
    span_min = (end - start) / 60
    steps = [s for s in _STEPS_MIN if (s >= 1440) == (span_min > DAY_LABELS_MIN)]  # days are labelled as days
    step = next((s for s in steps if span_min / s <= MAX_TICKS), steps[-1])
    out, t = [], math.ceil(start / 300) * 300
    while t <= end:
        local = datetime.fromtimestamp(t, zone)
        minutes = local.hour * 60 + local.minute
        if (step >= 1440 and minutes == 0 and local.toordinal() % (step // 1440) == 0) or (step < 1440 and minutes % step == 0):
            out.append(float(t))
        t += 300
    return out


def _tick_label(t: float, zone: ZoneInfo, span_s: float, lang: str) -> str:
    local = datetime.fromtimestamp(t, zone)
    if span_s <= DAY_LABELS_MIN * 60:
        return f"{local:%H:%M}"
    day = _weekday(local, lang)
    return f"{day} {local.day}." if lang == "de" else f"{day} {local.day}"


def _weekday(local: datetime, lang: str) -> str:
    from bot.texts import say

    return say("time.weekdays", lang).split()[local.weekday()]


def _span(start: float, end: float, tz: str, lang: str) -> str:
    """'09:00–10:00' in the time zone; with weekdays for windows longer than half a day."""
    zone = ZoneInfo(tz)
    a, b = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone)
    if end - start <= 12 * 3600:
        return f"{a:%H:%M}–{b:%H:%M}"
    return f"{_weekday(a, lang)} {a:%H:%M} – {_weekday(b, lang)} {b:%H:%M}"


def _step(series: list[Interval], lang: str) -> str:
    """The series' interval in words: '5 min', 'Stunde' / 'hour'. The first and last may be partial."""
    seconds = max(i.end - i.start for i in series)
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return WORDS[lang]["hour"] if minutes == 60 else f"{minutes // 60} h"


def _subject(cfg, s: Summary, lang: str) -> str:
    from bot.texts import say

    topic = render.label_title(cfg, "topic", s.topic, lang) if s.topic else None
    region = render.label_title(cfg, "region", s.region, lang) if s.region else None
    return say("sum.subject_both", lang, topic=topic, region=region) if topic and region else topic or region or ""


def _volume_alt(series: list[Interval], lang: str, tz: str, title: str, alerts) -> str:
    words, zone = WORDS[lang], ZoneInfo(tz)
    top = max(series, key=lambda i: i.n)
    band = words["band_alt"] if any(i.high is not None for i in series) else ""
    inside = [label for at, label in alerts if series[0].start <= at <= series[-1].end]
    return words["volume_alt"].format(
        title=title, step=_step(series, lang),
        start=f"{datetime.fromtimestamp(series[0].start, zone):%H:%M}", end=f"{datetime.fromtimestamp(series[-1].end, zone):%H:%M}",
        peak=words["peak_alt"].format(n=_num(top.n, lang), at=f"{datetime.fromtimestamp(top.start, zone):%H:%M}")
        if top.n else words["none_alt"], band=band,
        alerts=words["alerts_alt"].format(ids=", ".join(inside)) if inside else "")


def _largest(rows) -> list[tuple[str, int, int]]:
    return sorted(((str(label), int(n), int(neg)) for label, n, neg in rows), key=lambda r: -r[1])[:MAX_BARS]


def _num(x: float, lang: str) -> str:
    return render.number(round(x), lang)


def _count(n: int, neg: int, lang: str) -> str:
    """'35 (31 negativ)', or just '2' when none is negative."""
    return WORDS[lang]["neg_of"].format(n=_num(n, lang), neg=_num(neg, lang)) if neg else _num(n, lang)


def _percent(v: float, lang: str) -> str:
    return f"{v:.0f} %" if lang == "de" else f"{v:.0f}%"

