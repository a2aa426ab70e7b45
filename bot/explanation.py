"""Why an alert fired, in words a card can carry: the rule's condition, when the change began,
and the terms that are new compared with the baseline.

The numbers (current against baseline) are the card's size line; the posts that caused it are
its examples. What this module adds is found once, when the alert fires, and kept on the alert
(`began_at`, `new_terms`), so every card and every platform shows the same explanation.
"""

from __future__ import annotations

from collections import Counter

from bot import emerging, render
from bot.aggregates import DIMS, Window, post_dims
from bot.durations import format_duration
from bot.texts import say
from detectors.emerging import POSTS_FIELD, baseline_buckets, surprise
from detectors.emerging import terms as post_terms

LOOK_BACK = 3  # windows of per-minute history read to find where the change began
MAX_TERMS = 5
MIN_RATIO = 4.0  # a new term is at least this many times as common as in the baseline ...
MIN_SHARE = 0.2  # ... and in at least this share of the alert's posts
MIN_POSTS = 3  # ... and in at least this many of them
_METRIC = {"negative_count": "neg", "reach": "reach"}


def change_start(values: list[float], before: float, after: float) -> int:
    """Index where a step from level `before` to level `after` most likely began (CUSUM).

    The cumulative sum of (value - midpoint) falls while the series sits at the old level and
    rises after the step, so the step begins right after its lowest point.
    """
    if after <= before or not values:
        return 0
    mid = (before + after) / 2
    total, low, start = 0.0, 0.0, 0
    for i, v in enumerate(values):
        total += v - mid
        if total < low:
            low, start = total, i + 1
    return min(start, len(values) - 1)


def new_terms(docs: list[list[str]], baseline: dict[str, int], baseline_posts: int,
              known=lambda term: False, prior: float = 0.5) -> list[str]:
    """The terms of `docs` (each a post's terms) far more common than in the baseline, most surprising first."""
    counts = Counter(t for doc in docs for t in set(doc) if not known(t))
    n = len(docs)
    found = []
    for term, c in counts.items():
        if c < max(MIN_POSTS, MIN_SHARE * n):
            continue
        expected = n * (baseline.get(term, 0) + prior) / max(baseline_posts, 1)
        if c >= MIN_RATIO * expected:
            found.append((surprise(c, expected), c, term))
    found.sort(key=lambda x: (-x[0], -x[1], x[2]))
    chosen: list[str] = []
    for _, _, term in found:
        # "kein netz" says more than "kein" and "netz" alone: a pair replaces the words it holds.
        if " " in term:
            chosen = [t for t in chosen if t not in term.split()]
        elif any(term in c.split() for c in chosen):
            continue
        chosen.append(term)
    return chosen[:MAX_TERMS]


def find(ctx, rule, labels: dict[str, str], at: float, current: float, baseline: float | None,
         post_keys: list[str]) -> tuple[float | None, list[str]]:
    """(when the change began, terms new against the baseline) for a rule firing at event time `at`."""
    began = _began(ctx, rule, labels, at, current, baseline, post_keys)
    return began, _terms(ctx, rule, labels, at)


def _began(ctx, rule, labels, at, current, baseline, post_keys) -> float | None:
    if rule.type == "flatline":
        return at - current * 60  # current: minutes without a post
    if rule.type in ("new_topic", "viral_post"):
        # A post that grew fast began to matter when it did, however long ago it was made.
        first = int(at // 60) - rule.window // 60 + 1
        fast = _fast(ctx, rule, range(first, first + rule.window // 60))
        grew: dict[str, float] = {}
        for (minute, _, _), item in zip(fast, ctx.store.load_posts(k for _, k, _ in fast)):
            if item is not None:
                grew[item[0].key] = min(grew.get(item[0].key, minute * 60), minute * 60)
        return min((p.created_at if p.created_at >= first * 60 else grew.get(p.key, p.created_at)
                    for p in ctx.store.posts(post_keys)), default=None)
    if rule.type == "composite":
        members = set(rule.all) | set(rule.any)
        starts = [a.began_at or a.started_at for a in ctx.store.open_alerts_by_fingerprint().values()
                  if a.rule in members]
        return min(starts, default=None)
    minutes = max(rule.window // 60, 1)
    last = int(at // 60)
    first = last - LOOK_BACK * minutes + 1
    dims = {**rule.match.dims(), **{k: v for k, v in labels.items() if k in rule.group_by}}
    if rule.type == "keyword":
        dims["rule"] = rule.name
    window = Window(ctx.store.load_aggregates(range(first, last + 1)))
    if rule.type == "sentiment_shift" or getattr(rule, "metric", None) == "negative_share":
        share = baseline or 0.0  # negatives beyond the usual share, minute by minute
        values = [window.total("neg", dims, m, m) - share * window.total("n", dims, m, m) for m in range(first, last + 1)]
        before, after = 0.0, sum(values[-minutes:]) / minutes
    else:
        metric = _METRIC.get(getattr(rule, "metric", ""), "n")
        values = [window.total(metric, dims, m, m) for m in range(first, last + 1)]
        after = sum(values[-minutes:]) / minutes
        before = baseline / minutes if baseline is not None else sum(values[:-minutes]) / max(len(values) - minutes, 1)
    if not any(values) or after <= before:
        return None  # no rise to place in time (a steady level above a fixed threshold, say)
    return (first + change_start(values, before, after)) * 60


def matching_posts(ctx, rule, labels: dict[str, str], at: float, limit: int) -> list:
    """(post, scores) of the rule's highest-reach posts in its window that belong to this group;
    for viral_post rules first the posts that grew fast in the window, fastest first, however old."""
    from rules import engine

    last = int(at // 60)
    minutes = range(last - rule.window // 60 + 1, last + 1)
    fast = {k: v for _, k, v in reversed(_fast(ctx, rule, minutes))}  # each post at its highest velocity
    fast = dict(sorted(fast.items(), key=lambda kv: -kv[1]))
    candidates = [*fast, *(k for k, _ in ctx.store.top_posts(minutes, per_minute=30)[:300] if k not in fast)]
    wanted = {k: v for k, v in {**rule.match.dims(), **labels}.items() if k in DIMS}
    tagged = rule.type in ("keyword", "viral_post")
    quick = getattr(rule, "velocity_above", None)
    out = []
    for key, item in zip(candidates, ctx.store.load_posts(candidates)):
        if item is None or item[1] is None:
            continue
        post, scores = item
        dims = post_dims(post, scores)
        if any(dims.get(k) != v for k, v in wanted.items()):
            continue
        grew = quick is not None and fast.get(key, 0.0) > quick
        if tagged and not grew and rule.name not in engine.tag([rule], post, scores):
            continue
        out.append((post, scores))
        if len(out) == limit:
            break
    return out


def _fast(ctx, rule, minutes) -> list[tuple[int, str, float]]:
    """(minute, storage key, reach per minute) of posts that grew in these minutes, for viral_post rules."""
    return ctx.store.fast_posts(minutes, per_minute=30)[:300] if rule.type == "viral_post" else []


def _terms(ctx, rule, labels, at) -> list[str]:
    """New terms in the alert's posts of its window, against the day before the window."""
    if rule.type in ("flatline", "composite"):
        return []
    if rule.type == "new_topic":  # its name is its top terms already
        return [t for t in labels.get("emerging", "").split(", ") if t][:MAX_TERMS]
    docs = [post_terms(post.text) for post, _ in matching_posts(ctx, rule, labels, at, 300)]
    if len(docs) < MIN_POSTS:
        return []
    vocabulary = sorted({t for d in docs for t in d})
    day_before = baseline_buckets(at - rule.window + emerging.SETTINGS.window, emerging.SETTINGS)
    sums = ctx.store.emerging_sums(day_before, [POSTS_FIELD, *vocabulary])
    # Configured keywords are what the topic is; what is new beyond them tells people more.
    return new_terms(docs, sums, sums.pop(POSTS_FIELD), emerging.known_terms(ctx))


def condition(rule, lang: str) -> str:
    """The rule and what makes it fire, in one line."""
    window = format_duration(rule.window)
    values = {"rule": rule.name, "window": window, "min_count": getattr(rule, "min_count", 1)}
    if rule.type == "spike":
        text = say("why.spike", lang, factor=f"{rule.factor:g}", **values)
    elif rule.type == "threshold":
        above = f"{round(100 * rule.above)} %" if rule.metric == "negative_share" else render.number(rule.above, lang)
        text = say(f"why.threshold_{rule.metric}", lang, above=above, **values)
    elif rule.type == "keyword":
        quote = "„{}“" if lang == "de" else "“{}”"
        words = rule.words(lang)[:4]
        text = say("why.keyword", lang, terms=", ".join(quote.format(w) for w in words), **values)
    elif rule.type == "sentiment_shift":
        text = say("why.sentiment_shift", lang, increase=round(100 * rule.min_increase), **values)
    elif rule.type == "viral_post":
        text = say(viral_key("why", rule), lang, **viral_numbers(rule, lang), **values)
    elif rule.type == "new_topic":
        text = say("why.new_topic", lang, **values)
    elif rule.type == "flatline":
        text = say("why.flatline", lang, silent=format_duration(rule.silent_for), rate=f"{rule.min_rate:g}", **values)
    elif rule.type == "anomaly":
        text = say("why.anomaly", lang, metric=say(f"anomaly.{rule.metric}", lang), score=f"{rule.score_above:g}", **values)
    else:
        members = ", ".join(rule.all or rule.any)
        text = say("why.composite_all" if rule.all else "why.composite_any", lang, members=members, **values)
    return text


def viral_key(kind: str, rule) -> str:
    """The text key of a viral_post rule's condition: reach, velocity or both (kind: why, explain)."""
    if rule.velocity_above is None:
        return f"{kind}.viral_post"
    return f"{kind}.viral_velocity" if rule.reach_above is None else f"{kind}.viral_both"


def viral_numbers(rule, lang: str) -> dict[str, str]:
    """A viral_post rule's thresholds, as its texts show them."""
    number = lambda v: "" if v is None else render.number(v, lang)  # noqa: E731
    return {"above": number(rule.reach_above), "velocity": number(rule.velocity_above)}


def lines(cfg, alert, rule, lang: str) -> list[str]:
    """The card's explanation: condition, when the change began, the new terms (what is known)."""
    out = [condition(rule, lang)] if rule is not None else []
    if alert.began_at:
        out.append(say("why.began", lang, time=render.local_time(cfg, alert.began_at)))
    if alert.new_terms:
        quote = "„{}“" if lang == "de" else "“{}”"
        out.append(say("why.terms", lang, terms=", ".join(quote.format(t) for t in alert.new_terms)))
    return out
