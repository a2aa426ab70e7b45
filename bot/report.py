"""Department reports: what happened in a period for one department's topics and regions.

`build()` reads the store and returns a `Report`: posts and negative posts (exactly the aggregates'
sums), the comparison with normal (bot.summary's "normal") and with the period before, tables by
topic and region, alerts opened and closed with the time to acknowledge, the posts that reached
furthest and representative ones. `make()` renders it (bot.report_text), keeps its page for
/reports/<id> and returns the chat text; bot.report_schedule sends the reports of config.yaml.
docs/reports.md explains what a report holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from bot import render, report_text, summary
from bot.aggregates import Window
from bot.models import Alert, AlertStatus
from bot.summary import Interval, Normal, PostRef
from rules import engine



@dataclass
class Row:
    """One line of a table: a topic or region (None: no known topic, no recognised place)."""

    value: str | None
    n: int
    neg: int
    expected: float | None = None  # posts normal for this period; None without history to compare with


@dataclass
class AlertLine:
    """An alert opened or closed in the period, on the wall clock."""

    id: int
    severity: str
    status: str
    titles: dict[str, str]
    opened_at: float  # when people were told: its first message, or the end of its hold
    closed_at: float | None = None
    acked_at: float | None = None
    acked_by: str | None = None
    ack_s: float | None = None  # time from opened_at to the first acknowledgement


@dataclass
class Report:
    department: str
    lang: str
    tz: str
    start: float  # first second of the period
    end: float  # exclusive
    topics: list[str]  # the filters (empty: all)
    regions: list[str]
    n: int
    neg: int
    reach: float
    previous: list[int]  # [posts, negative] in the period of the same length before
    previous_start: float
    normal: Normal
    series: list[Interval]
    by_topic: list[Row]
    by_region: list[Row]
    alerts: list[AlertLine]
    widest: list[PostRef] = field(default_factory=list)
    representative: list[PostRef] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.neg / self.n if self.n else 0.0

    @property
    def previous_share(self) -> float | None:
        n, neg = self.previous
        return neg / n if n else None

    @property
    def opened(self) -> list[AlertLine]:
        return [a for a in self.alerts if self.start <= a.opened_at < self.end]

    @property
    def closed(self) -> list[AlertLine]:
        return [a for a in self.alerts if a.closed_at is not None and self.start <= a.closed_at < self.end]

    @property
    def median_ack_s(self) -> float | None:
        """Median time to acknowledge of the alerts opened in the period that were acknowledged."""
        times = [a.ack_s for a in self.opened if a.ack_s is not None]
        return median(times) if times else None


@dataclass
class Made:
    report: Report
    text: str  # the chat message, ending with the page's link
    path: str  # /reports/<id>
    charts: dict  # name -> bot.charts.Chart
    images: dict  # name -> {"url": "/charts/<id>.png", "alt": ...}
    html: str


# --- the period ------------------------------------------------------------------------------

def back(end: float, seconds: int, tz: str) -> float:
    """`seconds` before `end`; whole days are local calendar days, so that a daily report at 08:00
    covers 08:00 to 08:00 also across a daylight-saving change (23 or 25 hours)."""
    if seconds % 86400:
        return end - seconds
    local = datetime.fromtimestamp(end, ZoneInfo(tz))
    return (local - timedelta(days=seconds // 86400)).timestamp()  # aware arithmetic is on the wall clock


# --- building --------------------------------------------------------------------------------

def build(ctx, department: str, start: float, end: float, topics=(), regions=(), lang: str | None = None,
          tz: str | None = None, previous_start: float | None = None) -> Report:
    """The report of [start, end) for posts of `topics` in `regions` (empty: all) and the department's alerts."""
    cfg, store = ctx.cfg, ctx.store
    dept = cfg.department(department)
    lang, tz = lang or dept.language, tz or cfg.timezone
    first, last = int(start // 60), int(end // 60) - 1
    minutes = last - first + 1
    scopes = _scopes(topics, regions)
    counts = Window(summary._counters(store, first, last, fold=True), tz=cfg.timezone)
    buckets = list(summary._buckets(first, last, summary._step(minutes)))
    series, normals = [], []
    for dims in scopes:  # each post has one topic and one region: the scopes' sums add up exactly
        part = [summary._interval(counts, dims, a, b) for a, b in buckets]
        normals.append(summary._normal(ctx, dims, first, last, part))
        series = part if not series else [_add(x, y) for x, y in zip(series, part)]
    if previous_start is None:
        previous_start = first * 60.0 - minutes * 60
    p_first = int(previous_start // 60)
    before = Window(summary._counters(store, p_first, first - 1, fold=True), tz=cfg.timezone)
    zone = ZoneInfo(cfg.timezone)
    history = Window({}, hours=store.load_hours(sorted(engine.seasonal_hours(first, minutes, summary.WEEKS, zone))),
                     tz=cfg.timezone)
    table = dict(counts=counts, history=history, scopes=scopes, first=first, last=last)
    report = Report(
        department=department, lang=lang, tz=tz, start=first * 60.0, end=(last + 1) * 60.0, topics=list(topics),
        regions=list(regions), n=_sum(counts, "n", scopes, first, last), neg=_sum(counts, "neg", scopes, first, last),
        reach=sum(counts.total("reach", d, first, last) for d in scopes),
        previous=[_sum(before, m, scopes, p_first, first - 1) for m in ("n", "neg")], previous_start=p_first * 60.0,
        normal=_merge(normals), series=series, by_topic=_rows(by="topic", **table),
        by_region=_rows(by="region", **table), alerts=_alerts(ctx, department, first * 60.0, (last + 1) * 60.0),
    )
    _posts(ctx, report, scopes, range(first, last + 1))
    return report


def _scopes(topics, regions) -> list[dict[str, str]]:
    """The aggregate dims a report adds up: every topic in every region of the filters."""
    return [{k: v for k, v in (("topic", t), ("region", r)) if v} for t in (topics or [None]) for r in (regions or [None])]


def _sum(counts: Window, metric: str, scopes, first: int, last: int) -> int:
    return summary._int(sum(counts.total(metric, d, first, last) for d in scopes))


def _add(a: Interval, b: Interval) -> Interval:
    def both(x, y):
        return None if x is None or y is None else x + y

    return Interval(a.start, a.end, a.n + b.n, a.neg + b.neg, a.reach + b.reach, both(a.normal, b.normal),
                    both(a.low, b.low), both(a.high, b.high))


def _merge(normals: list[Normal]) -> Normal:
    """One "normal" for several scopes: the expected posts add up; none when one scope has none."""
    if len(normals) == 1:
        return normals[0]
    if any(n.expected is None for n in normals):
        return Normal("none")
    expected = sum(n.expected for n in normals)
    neg = sum((n.neg_share or 0.0) * n.expected for n in normals)
    methods = {n.method for n in normals}
    return Normal(methods.pop() if len(methods) == 1 else "before", expected, neg / expected if expected else None,
                  normals[0].days, max(n.before_s for n in normals))


def _rows(counts: Window, history: Window, scopes, by: str, first: int, last: int) -> list[Row]:
    """Posts per topic (or region) in the report's scope, most first, each with its normal."""
    rows: dict = {}
    for dims in scopes:
        if by in dims:  # a filtered value is a row even without posts: "none, usually 3" is news
            found = [[dims[by], _sum(counts, "n", [dims], first, last), _sum(counts, "neg", [dims], first, last)]]
        else:
            found = summary._breakdown(counts, dims, by, first, last)
        for value, n, neg in found:
            row = rows.setdefault(value, Row(value, 0, 0, 0.0 if value is not None else None))
            row.n, row.neg = row.n + n, row.neg + neg
            if row.expected is not None:
                expected = engine.seasonal(history, "n", {**dims, by: value}, first, last - first + 1, summary.WEEKS)[0]
                row.expected = None if expected is None else row.expected + expected
    return sorted(rows.values(), key=lambda r: (-r.n, r.value is None, r.value or ""))


def _alerts(ctx, department: str, start: float, end: float) -> list[AlertLine]:
    """The department's alerts opened or closed in [start, end), oldest first."""
    out = []
    for a in ctx.store.alerts(department=department, limit=1000):
        line = _line(a)
        line.titles = {lang: render.title(ctx.cfg, a, lang) for lang in ("de", "en")}
        if start <= line.opened_at < end or (line.closed_at is not None and start <= line.closed_at < end):
            out.append(line)
    return sorted(out, key=lambda a: (a.opened_at, a.id))


def _line(a: Alert) -> AlertLine:
    """When people were told and acknowledged, from the alert's history (wall clock)."""
    def first(action: str) -> dict | None:
        return next((h for h in a.history if h.get("action") == action), None)

    held, released, acked = first("held"), first("released"), first("acknowledged")
    told = released["at"] if held and released else a.created_wall
    closed = first("resolved")
    closed_at = closed["at"] if closed else (a.resolved_at if a.status == AlertStatus.RESOLVED else None)
    return AlertLine(a.id, a.severity.value, a.status.value, {}, told, closed_at,
                     acked["at"] if acked else None, acked.get("by") if acked else None,
                     max(0.0, acked["at"] - told) if acked else None)


def _posts(ctx, r: Report, scopes, minutes: range) -> None:
    """The furthest-reaching and representative posts, chosen per scope as summaries choose them."""
    widest, examples = [], []
    for dims in scopes:
        found = SimpleNamespace(topic=dims.get("topic"), region=dims.get("region"), widest=[], representative=[])
        summary._posts(ctx, found, minutes)
        widest += found.widest
        examples.append(found.representative)
    r.widest = sorted({p.key: p for p in widest}.values(), key=lambda p: (-p.reach, p.key))[: summary.WIDEST]
    r.representative = [p for group in zip(*[g + [None] * summary.EXAMPLES for g in examples]) for p in group if p]
    r.representative = r.representative[: summary.EXAMPLES]  # each scope's most central first, in turn


# --- rendering and keeping -----------------------------------------------------------------

def charts_of(cfg, r: Report) -> dict:
    """The report's charts by name: posts over time against normal with the alerts (volume), and
    posts by topic and by region where there are two or more."""
    from bot import charts

    marks = [(a.opened_at, f"#{a.id}") for a in r.opened]
    out = {"volume": charts.volume(r.series, r.lang, r.tz, report_text.chart_title(cfg, r, "volume"), marks)}
    for by, rows in (("topic", r.by_topic), ("region", r.by_region)):
        if len(rows) >= 2:
            bars = [(report_text.label(cfg, by, row.value, r.lang), row.n, row.neg) for row in rows]
            out[by] = charts.bars(bars, r.lang, report_text.chart_title(cfg, r, by))
    return out


def make(ctx, department: str, start: float, end: float, **options) -> Made:
    """Build, draw and keep a report (its page for report_text.page_ttl, charts for charts.TTL_S);
    returns its chat text and page."""
    from bot import charts

    r = build(ctx, department, start, end, **options)
    drawn = charts_of(ctx.cfg, r)
    images = {name: {"url": charts.keep(ctx, c), "alt": c.alt} for name, c in drawn.items()}
    html = report_text.page(ctx.cfg, r, images)
    path = f"/reports/{ctx.store.save_report(html, report_text.page_ttl(ctx.cfg))}"
    return Made(r, report_text.text(ctx.cfg, r, ctx.cfg.server.base_url() + path), path, drawn, images, html)


def on_demand(ctx, department: str, since: str, now: float, lang: str | None = None) -> Made:
    """`sitroom report`: the department's report (the filters of its first configured report) from
    `since` (a duration like 24h, or a local time like 2026-12-01T08:00) until `now`."""
    from bot.config import _local_time
    from bot.durations import parse_duration

    spec = next((r for r in ctx.cfg.reports if r.department == department), None)
    tz = (spec.timezone if spec else None) or ctx.cfg.timezone
    try:
        seconds = parse_duration(since)
        start = back(now, seconds, tz)
        previous = back(start, seconds, tz)
    except ValueError:
        try:
            start = _local_time(since).replace(tzinfo=ZoneInfo(tz)).timestamp()
        except ValueError:
            raise ValueError(f"'{since}' is neither a duration (24h, 7d) nor a local time (2026-12-01T08:00)") from None
        previous = start - (now - start)
    if now - start < 60:
        raise ValueError(f"'{since}' is not at least a minute before now")
    return make(ctx, department, start, now, topics=spec.topics if spec else [], regions=spec.regions if spec else [],
                lang=lang or (spec.language if spec else None), tz=tz, previous_start=previous)


def standalone(cfg, made: Made) -> str:
    """The page with its charts inside (data: addresses), to open as a file."""
    import base64

    images = {name: {"url": "data:image/png;base64," + base64.b64encode(c.png).decode(), "alt": c.alt}
              for name, c in made.charts.items()}
    return report_text.page(cfg, made.report, images)
