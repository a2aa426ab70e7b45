"""Summaries on request: a topic, a region or both over the last hours, as data.

`build()` reads the store and returns a `Summary`: the counts (exactly the aggregates' sums), the
series per interval with the normal band, the comparison with normal, regions, topics and
channels, the posts that reached furthest, representative posts, and the alerts about it, with a
traffic-light status. bot.answers puts it into words; a chart needs only `series`, `alerts` and
`regions`. docs/summaries.md explains "normal", the status and the choice of posts.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields
from statistics import fmean
from zoneinfo import ZoneInfo

import numpy as np

from bot import oncall, render, representative
from bot.aggregates import Window
from bot.models import AlertStatus, Scores, Severity
from rules import engine

WEEKS = 4  # weeks of history "normal" looks at, like a spike rule's default seasonal_weeks
BEFORE_S = 3 * 3600  # without history at this time of day: this long before the window (at least the window)
SCAN = 12_000  # most posts read per summary; longer windows read each minute's widest-reaching ones
POOL = 300  # most posts the representative ones are chosen from (evenly spread over the window)
EXAMPLES = 5  # representative posts kept (the short answer shows 2)
WIDEST = 5  # posts with the largest audience kept
# Status (docs/summaries.md): volume ratio to normal, negative share, open alerts.
MIN_POSTS = 10  # fewer posts never raise the status by volume or mood alone
CRITICAL_POSTS = 20  # ... nor to critical by volume: 12 posts where 2 are usual is a lot, not a crisis
ELEVATED_RATIO, CRITICAL_RATIO = 2.0, 5.0
SHARE_RISE = 0.15  # negative share this much above normal, or up this much from the first half
MIN_SHARE = 0.4  # ... and at least this share negative
TREND = 0.10  # the negative share moved this much between the halves: "getting worse" / "easing"
RARE = 0.5  # fewer expected posts than this: "usually almost none"
TTL_S = 1800  # how long "more" can expand the last summary of a chat


@dataclass
class Interval:
    """One step of the series: posts, negative posts and reach, and what is normal then."""

    start: float  # unix seconds
    end: float  # exclusive
    n: int
    neg: int
    reach: float
    normal: float | None = None  # expected posts
    low: float | None = None  # the normal band
    high: float | None = None


@dataclass
class PostRef:
    key: str  # source:id
    text: str
    url: str | None
    channel: str
    at: float
    reach: float
    sentiment: str
    topic: str | None = None
    region: str | None = None


@dataclass
class AlertRef:
    id: int
    severity: str
    status: str
    titles: dict[str, str]  # language -> the alert's headline
    departments: list[str]
    started_at: float
    acked_by: str | None = None
    acked_via: str | None = None
    acked_at: float | None = None
    resolved_at: float | None = None
    oncall: str | None = None  # first on-call person of its first department, while nobody has acknowledged it

    @property
    def open(self) -> bool:
        return self.status != AlertStatus.RESOLVED.value


@dataclass
class Normal:
    """What the volume is compared with, and how that was found."""

    method: str  # weekly | daily | before | none
    expected: float | None = None  # posts expected in the whole window
    neg_share: float | None = None  # the negative share then
    days: list[int] = field(default_factory=list)  # weekly / daily: how many days back it averaged
    before_s: int = 0  # before: the span before the window it compared with


@dataclass
class Summary:
    topic: str | None  # the subject: a topic, a region or both (configured names)
    region: str | None
    start: float  # first second of the window
    end: float  # exclusive
    step_s: int  # the series' interval
    tz: str
    n: int
    neg: int
    reach: float
    halves: list[list[int]]  # [[posts, negative], [posts, negative]] before and after `middle`
    middle: float
    normal: Normal
    series: list[Interval]
    regions: list[list]  # [region name or None (not recognised), posts, negative], most first
    topics: list[list]  # [topic name or None (no known topic), posts, negative]
    channels: list[list]  # [channel, posts, negative]
    terms: list[str]
    widest: list[PostRef]
    representative: list[PostRef]
    similarity: str  # how the representative posts were compared: embedding | shingles | none
    matched: int  # the subject's posts among those read
    pool: int  # ... of which the representative ones were chosen from
    alerts: list[AlertRef]  # open ones first, then those resolved during the window
    status: str = "normal"  # normal | elevated | critical
    reasons: list[str] = field(default_factory=list)  # why: alert_critical, alert, volume, mood

    @property
    def window_s(self) -> int:
        return int(self.end - self.start)

    @property
    def share(self) -> float:
        return self.neg / self.n if self.n else 0.0

    @property
    def ratio(self) -> float | None:
        """Posts against the expected number (at least 1, so that a handful is no "∞×")."""
        if self.normal.expected is None:
            return None
        return self.n / max(self.normal.expected, 1.0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Summary":
        d = {k: v for k, v in d.items() if k in {f.name for f in fields(cls)}}
        d["normal"] = Normal(**d["normal"])
        d["series"] = [Interval(**i) for i in d["series"]]
        d["widest"] = [PostRef(**p) for p in d["widest"]]
        d["representative"] = [PostRef(**p) for p in d["representative"]]
        d["alerts"] = [AlertRef(**a) for a in d["alerts"]]
        return cls(**d)


def build(ctx, topic: str | None, region: str | None, window_s: int, now: float | None = None) -> Summary:
    """The summary of a topic and/or region over the `window_s` up to `now` (default: the newest
    post scored, like the rules' event time)."""
    if now is None:
        now = ctx.store.watermark() or time.time()
    cfg, store = ctx.cfg, ctx.store
    dims = {k: v for k, v in (("topic", topic), ("region", region)) if v}
    minutes = max(1, window_s // 60)
    last = int(now // 60)
    first = last - minutes + 1
    step = _step(minutes)
    counts = Window(_counters(store, first, last, fold=step >= 60), tz=cfg.timezone)
    series = [_interval(counts, dims, a, b) for a, b in _buckets(first, last, step)]
    split = min(range(len(series)), key=lambda i: abs(series[i].start / 60 - (first + minutes / 2)))
    halves = [[sum(i.n for i in part), sum(i.neg for i in part)] for part in (series[:split], series[split:])]
    normal = _normal(ctx, dims, first, last, series)
    summary = Summary(
        topic=topic, region=region, start=first * 60.0, end=(last + 1) * 60.0, step_s=step * 60, tz=cfg.timezone,
        n=_int(counts.total("n", dims, first, last)), neg=_int(counts.total("neg", dims, first, last)),
        reach=counts.total("reach", dims, first, last), halves=halves, middle=series[split].start, normal=normal,
        series=series,
        regions=[] if region else _breakdown(counts, dims, "region", first, last),
        topics=[] if topic else _breakdown(counts, dims, "topic", first, last),
        channels=_breakdown(counts, dims, "channel", first, last),
        terms=[], widest=[], representative=[], similarity="none", matched=0, pool=0,
        alerts=_alerts(ctx, topic, region, first * 60.0, (last + 1) * 60.0),
    )
    _posts(ctx, summary, range(first, last + 1))
    summary.status, summary.reasons = status(summary)
    return summary


def status(s: Summary) -> tuple[str, list[str]]:
    """Traffic light and why (docs/summaries.md): critical for an open critical alert or 5× the
    normal volume; elevated for any open alert, 2× the normal volume, or a negative share well
    above normal or rising."""
    reasons = []
    open_alerts = [a for a in s.alerts if a.open]
    if any(a.severity == Severity.CRITICAL.value for a in open_alerts):
        reasons.append("alert_critical")
    elif open_alerts:
        reasons.append("alert")
    ratio = s.ratio
    busy = s.n >= MIN_POSTS
    if busy and ratio is not None and ratio >= ELEVATED_RATIO:
        reasons.append("volume_critical" if ratio >= CRITICAL_RATIO and s.n >= CRITICAL_POSTS else "volume")
    if busy and s.share >= MIN_SHARE:
        above = s.normal.neg_share is not None and s.share - s.normal.neg_share >= SHARE_RISE
        if above or (trend(s) == "worse" and s.share - _share(*s.halves[0]) >= SHARE_RISE):
            reasons.append("mood")
    if {"alert_critical", "volume_critical"} & set(reasons):
        return "critical", reasons
    return ("elevated" if reasons else "normal"), reasons


def trend(s: Summary) -> str | None:
    """How the negative share moved from the first half of the window to the second: worse,
    better or steady; None when a half has too few posts to tell."""
    (n1, neg1), (n2, neg2) = s.halves
    if min(n1, n2) < MIN_POSTS // 2:
        return None
    change = _share(n2, neg2) - _share(n1, neg1)
    return "worse" if change >= TREND else "better" if change <= -TREND else "steady"


def chat_key(platform: str, department: str | None, user: str) -> str:
    """Whose "more" a summary answers: a department's channel on a platform, else the person."""
    return f"{platform}:{department}" if department else f"{platform}:@{user}"


def remember(ctx, chat: str, summary: Summary, lang: str) -> None:
    ctx.store.save_summary(chat, {"lang": lang, "summary": summary.to_dict()}, TTL_S)


def recall(ctx, chat: str) -> tuple[Summary, str] | None:
    """The chat's last summary and its language, while "more" may still expand it."""
    saved = ctx.store.last_summary(chat)
    return (Summary.from_dict(saved["summary"]), saved["lang"]) if saved else None


# --- counts ------------------------------------------------------------------------------------

def _step(minutes: int) -> int:
    """The series' interval in minutes: about 12 to 25 points, whole hours from 6 hours on."""
    return 5 if minutes <= 120 else 15 if minutes <= 360 else 60


def _buckets(first: int, last: int, step: int):
    """(first, last) minutes of each interval, on the clock's multiples of `step` (the first and
    the last may be partial)."""
    a = first
    while a <= last:
        b = min(last, (a // step + 1) * step - 1)
        yield a, b
        a = b + 1


def _counters(store, first: int, last: int, fold: bool) -> dict[int, dict[str, float]]:
    """Per-minute counters for minutes first..last. With `fold`, each whole hour inside comes from
    the hourly aggregates instead, put on the hour's first minute: the same increments, so every
    sum over whole hours is the same number, read with 60 times fewer lookups."""
    if not fold:
        return store.load_aggregates(range(first, last + 1))
    whole = [h for h in range(first // 60, last // 60 + 1) if h * 60 >= first and h * 60 + 59 <= last]
    inside = {m for h in whole for m in range(h * 60, h * 60 + 60)}
    out = store.load_aggregates(m for m in range(first, last + 1) if m not in inside)
    for h, counters in store.load_hours(whole).items():
        out[h * 60] = counters
    return out


def _interval(counts: Window, dims: dict, a: int, b: int) -> Interval:
    return Interval(a * 60.0, (b + 1) * 60.0, _int(counts.total("n", dims, a, b)), _int(counts.total("neg", dims, a, b)),
                    counts.total("reach", dims, a, b))


def _breakdown(counts: Window, dims: dict, by: str, first: int, last: int) -> list[list]:
    """[value, posts, negative] per value of one dim, most posts first; None for the posts without
    one (no region recognised, no known topic), in its place by count: "mostly nowhere" is news."""
    n = counts.groups("n", dims, [by], first, last)
    neg = counts.groups("neg", dims, [by], first, last)
    rows = [[value, _int(c), _int(neg.get((value,), 0))] for (value,), c in n.items() if _int(c)]
    rest_n = _int(counts.total("n", dims, first, last)) - sum(r[1] for r in rows)
    rest_neg = _int(counts.total("neg", dims, first, last)) - sum(r[2] for r in rows)
    if rest_n > 0:
        rows.append([None, rest_n, rest_neg])
    return sorted(rows, key=lambda r: (-r[1], r[0] is None, r[0] or ""))


def _normal(ctx, dims: dict, first: int, last: int, series: list[Interval]) -> Normal:
    """The expected posts: the same local time in past weeks, else on past days (the seasonal
    spike's baseline, rules.engine.seasonal), else the hours before. Fills the series' band."""
    cfg, minutes = ctx.cfg, last - first + 1
    zone = ZoneInfo(cfg.timezone)
    history = Window({}, hours=ctx.store.load_hours(sorted(engine.seasonal_hours(first, minutes, WEEKS, zone))),
                     tz=cfg.timezone)
    expected, days = engine.seasonal(history, "n", dims, first, minutes, WEEKS)
    if expected is not None:
        neg = engine.seasonal(history, "neg", dims, first, minutes, WEEKS)[0] or 0.0
        for i in series:
            a, length = int(i.start // 60), int((i.end - i.start) // 60)
            seen = [v for d in days if (v := history.past("n", dims, a, length, d)) is not None]
            if seen:
                i.normal, i.low, i.high = fmean(seen), min(seen), max(seen)
        method = "weekly" if all(d % 7 == 0 for d in days) else "daily"
        return Normal(method, expected, neg / expected if expected else None, days)
    span = max(BEFORE_S // 60, minutes)
    before = Window(_counters(ctx.store, first - span, first - 1, fold=True), tz=cfg.timezone)
    if not before.total("n", {}, first - span, first - 1):  # nothing at all was counted: no comparison
        return Normal("none")
    n, neg = before.total("n", dims, first - span, first - 1), before.total("neg", dims, first - span, first - 1)
    for i in series:
        i.normal = n * (i.end - i.start) / 60 / span
        i.low, i.high = max(0.0, i.normal - 2 * math.sqrt(i.normal)), i.normal + 2 * math.sqrt(i.normal)
    return Normal("before", n * minutes / span, neg / n if n else None, before_s=span * 60)


def _alerts(ctx, topic: str | None, region: str | None, start: float, end: float) -> list[AlertRef]:
    """Alerts about the subject: the open ones, and those resolved during the window (chart markers)."""
    out = []
    for a in ctx.store.alerts(limit=200):
        if (topic and a.labels.get("topic") != topic) or (region and a.labels.get("region") != region):
            continue
        is_open = a.status != AlertStatus.RESOLVED
        if not is_open and not (a.started_at < end and (a.resolved_at or a.updated_at) >= start):
            continue
        first_dept = a.departments[0] if a.departments else None
        on_call = oncall.who(ctx.cfg, first_dept, 1, time.time()) if a.status == AlertStatus.FIRING and first_dept else None
        out.append(AlertRef(a.id, a.severity.value, a.status.value,
                            {lang: render.title(ctx.cfg, a, lang) for lang in ("de", "en")}, a.departments,
                            a.started_at, a.acked_by, a.acked_via, a.acked_at, a.resolved_at, on_call))
    out.sort(key=lambda r: (not r.open, -r.id))
    return out


# --- posts -------------------------------------------------------------------------------------

def _posts(ctx, s: Summary, minutes: range) -> None:
    """The widest-reaching posts, the representative ones and the key terms, from the posts of
    the window (each minute's widest-reaching ones when the window holds more than SCAN)."""
    per_minute = max(1, SCAN // len(minutes))
    found = [(m, key, reach, sc) for m, key, reach, sc in ctx.store.window_posts(minutes, per_minute)
             if (s.topic is None or sc.topic == s.topic) and (s.region is None or sc.region == s.region)]
    s.matched = len(found)
    if not found:
        return
    widest = sorted(found, key=lambda r: (-r[2], r[1]))[:WIDEST]
    in_time = sorted(found, key=lambda r: (r[0], r[1]))
    if len(in_time) > POOL:  # evenly over the window, so that every phase of it has its say
        in_time = [in_time[i] for i in sorted({round(j * (len(in_time) - 1) / (POOL - 1)) for j in range(POOL)})]
    pool = in_time
    keys = [r[1] for r in pool]
    wanted = list(dict.fromkeys(keys + [r[1] for r in widest]))
    loaded = dict(zip(wanted, ctx.store.load_posts(wanted)))
    refs = {k: _ref(item[0], item[1] or sc, reach) for _, k, reach, sc in pool + widest if (item := loaded.get(k))}
    s.widest = [refs[r[1]] for r in widest if r[1] in refs]
    keys = [k for k in keys if k in refs]
    s.pool = len(keys)
    vectors = [_vector(v) for v in ctx.store.post_vectors(keys)]
    chosen, s.similarity = representative.choose([refs[k].text for k in keys], vectors, EXAMPLES)
    s.representative = [refs[keys[i]] for i in chosen]
    s.terms = representative.key_terms([refs[k].text for k in keys], _names(ctx.cfg))


def _ref(post, scores: Scores, reach: float) -> PostRef:
    return PostRef(post.key, post.text, post.url, post.channel, post.created_at, reach, scores.sentiment,
                   scores.topic, scores.region)


def _vector(raw: bytes | None) -> np.ndarray | None:
    return None if raw is None else np.frombuffer(raw, dtype=np.float16).astype(np.float32)


def _names(cfg) -> set[str]:
    """The organisation's and its accounts' names: every post mentions them, they say nothing."""
    names = [cfg.organisation] + [s.account.lstrip("@") for s in cfg.sources]
    return {w.lower() for n in names for w in n.split()}


def _share(n: int, neg: int) -> float:
    return neg / n if n else 0.0


def _int(x: float) -> int:
    return int(round(x))
