"""Emerging topics: terms that were rare in the hours before burst, and are merged into named topics.

Pure: the history (term counts per time bucket, the recent posts' terms, the topics already named)
is handed in. bot.emerging keeps it in Redis; `Detector` below keeps it in memory (rule tests,
backtests, measurements). Both run the same steps:
1. `record()` reduces each scored post to its terms (unigrams and adjacent bigrams, each once);
2. `find()` picks the terms whose count in the recent window is far above their smoothed rate
   in the baseline (a Poisson tail: brand-new terms qualify with a handful of posts, everyday
   words only with a big jump), and merges terms that occur in the same posts;
3. `name()` matches those bursts with the topics named before (so a restart finds the same
   topic) and names the new ones after their top terms.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from detectors.topics import KEYWORD_SCORE, fold, term_pattern

POSTS_FIELD = "#posts"  # a bucket's post count, next to its term counts (no term starts with '#')


@dataclass(frozen=True)
class Settings:
    """How sensitive the detector is; the defaults are measured (see bench/emerging.py)."""

    bucket: int = 600  # seconds per bucket of term counts
    window: int = 1800  # the recent period a burst is looked for in
    baseline: int = 24 * 3600  # what "rare before" compares with: a whole day covers daily vocabulary
    min_count: int = 5  # posts with a term in the window before it can burst
    min_ratio: float = 4.0  # ... and this many times the posts its baseline rate expects
    min_surprise: float = 6.0  # ... and -log10 of the Poisson probability of so many (1 in a million)
    prior: float = 0.5  # pseudo-count for a term's baseline: unseen terms count as half a post
    min_baseline_posts: int = 100  # warm-up: no topics before the baseline holds this many posts
    min_authors: int = 2  # one person repeating themselves is not a topic
    merge_share: float = 0.5  # a term joins a topic when this share of its posts are the topic's
    max_terms: int = 30  # per post
    examples: int = 5  # representative posts per topic
    max_topics: int = 10  # per evaluation, most surprising first
    keep_named: int = 7 * 86400  # how long a named topic is remembered after it was last seen


# --- terms -------------------------------------------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|\|")  # "|" marks where a URL or mention stood
# Written for this project: function words and chat filler of German and English social posts.
STOPWORDS = frozenset(
    """
    der die das den dem des ein eine einer eines einem einen und oder aber als auch an auf aus bei
    bin bis bist da dann dass daß dein deine deinen dem denn dich dir doch du durch er es etwas euch
    euer eure euren für fuer gegen gibt hab habe haben hat hatte hätte haette hier ich ihr ihre ihren
    ihm ihn ihnen im in ins ist ja jetzt kann kannst man mein meine meinen meinem meiner meines mich
    mir mit muss müssen nach noch nur ob ohne schon sehr sein seine seit sich sie sind so soll sollte
    über ueber um uns unser unsere vom von vor war was weil wenn wer wie wieder wir wird wo zu zum zur
    mal gerade grad heute immer einfach bitte danke hallo leider echt ganz mehr viel viele alle alles
    geht gehen wurde wurden werden sei sowas diese dieser dieses diesem diesen könnte koennte würde
    wuerde wäre waere dazu damit dort eigentlich also warum wann welche welcher welches am eben halt
    kein keine keinen keiner nicht nichts nix nie gar jemand schön gut okay ok mfg lg gruß gruss
    liebe lieber leute euer habt seid sehe sagt sagen macht machen gemacht neue neuen neuer
    the and or but if of to in on at for from by with about as into than then so is are was were be
    been being am me my mine you your yours he she it its we our they them their this that these
    those there here what which who whom whose when where why how all any some no not nor only own
    same too very can could will would shall should may might must do does did done doing have has
    had having just also get got getting still again now today please thanks thank hi hello hey pls
    plz thx you're i'm it's don't can't won't isn't doesn't didn't i've i'll that's there's what's
    let's out up down off over under more most other such via rt amp one know need want like lol
    really yes yeah guys anyone why's haven't wasn't aren't since new neu neues weder either neither
    """.split()
)


def terms(text: str, max_terms: int = 30) -> list[str]:
    """A post's terms: lowercase words (no URLs, mentions, numbers or stopwords) and adjacent pairs."""
    text = _MENTION.sub(" | ", _URL.sub(" | ", text.replace("’", "'"))).lower()
    words = [tok if _keep(tok) else None for tok in _TOKEN.findall(text)]  # None: no pair across it
    unigrams = list(dict.fromkeys(w for w in words if w))
    bigrams = list(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:]) if a and b and a != b))
    return (unigrams + bigrams)[:max_terms]


def _keep(tok: str) -> bool:
    if tok in STOPWORDS or tok.isdigit() or len(tok) > 30:
        return False
    has_digit = any(ch.isdigit() for ch in tok)
    return len(tok) >= (2 if has_digit else 3)


class KnownTerms:
    """Terms that are already covered: configured topic keywords, the organisation and its accounts.

    They never make a topic on their own: a surge of "störung" is the known topic's business, and
    pairs with the organisation's name ("telvia app") say no more than their other word.
    """

    def __init__(self, keywords: Iterable[tuple[str, str]] = (), names: Iterable[str] = ()):
        patterns = [term_pattern(k, lang) for k, lang in keywords]
        self._keywords = re.compile("|".join(patterns)) if patterns else None
        self._names = {fold(n).strip() for n in names if n.strip()}
        self._seen: dict[str, bool] = {}

    @classmethod
    def from_config(cls, cfg) -> "KnownTerms":
        keywords = [(k, lang) for t in cfg.topics for lang, kws in t.keywords.items() for k in kws]
        names = [cfg.organisation] + [s.account.lstrip("@") for s in cfg.sources]
        return cls(keywords, names)

    def __call__(self, term: str) -> bool:
        if term not in self._seen:
            folded = fold(term)
            named = folded in self._names or any(w in self._names for w in folded.split())
            self._seen[term] = named or bool(self._keywords and self._keywords.search(folded))
        return self._seen[term]


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """What the detector keeps of one post: identity, time, author, mood, dims and terms."""

    key: str  # source:id
    at: float
    author: str
    negative: bool
    dims: dict[str, str]  # channel, language, region, topic (by similarity) where known
    terms: tuple[str, ...]

    def dumps(self) -> str:
        return json.dumps([self.key, self.at, self.author, int(self.negative), self.dims, self.terms], ensure_ascii=False)

    @classmethod
    def loads(cls, raw: str | bytes) -> "Record":
        key, at, author, negative, dims, words = json.loads(raw)
        return cls(key, at, author, bool(negative), dims, tuple(words))


def feeds(scores) -> bool:
    """Whether a post feeds the detector: not when a configured keyword already assigned it.

    Keyword posts are what the configured topics' rules watch; posts assigned only by similarity
    stay in, because similarity assigns generously and something new often lands near an example.
    """
    return scores.topic_score < KEYWORD_SCORE


def record(post, scores, max_terms: int = 30) -> Record:
    dims = {"channel": post.channel, "language": scores.language}
    if scores.region:
        dims["region"] = scores.region
    if scores.topic:
        dims["topic"] = scores.topic
    return Record(post.key, post.created_at, post.author_id, scores.sentiment == "negative", dims,
                  tuple(terms(post.text, max_terms)))


def bucketed(records: Iterable[Record], bucket: int) -> dict[int, Counter]:
    """Term document counts per bucket, with each bucket's post count under POSTS_FIELD."""
    out: dict[int, Counter] = defaultdict(Counter)
    for r in records:
        counts = out[int(r.at // bucket)]
        counts.update(r.terms)
        counts[POSTS_FIELD] += 1
    return dict(out)


def baseline_buckets(now: float, settings: Settings) -> range:
    """The buckets that lie wholly before the recent window, as far back as the baseline reaches."""
    last = int((now - settings.window) // settings.bucket) - 1
    return range(last - settings.baseline // settings.bucket + 1, last + 1)


# --- bursts ------------------------------------------------------------------------------------


def surprise(count: int, expected: float) -> float:
    """-log10 P(X >= count) for X ~ Poisson(expected): how unlikely so many posts are by chance."""
    if count <= expected or count <= 0:
        return 0.0
    if expected <= 0:
        return math.inf
    log_pmf = count * math.log(expected) - expected - math.lgamma(count + 1)
    total, term, k = 1.0, 1.0, count
    while term > 1e-12 * total and k < count + 1000:
        k += 1
        term *= expected / k
        total += term
    return -(log_pmf + math.log(total)) / math.log(10)


@dataclass
class Burst:
    """Terms that burst together, the window's posts that carry them, and how unexpected they are."""

    terms: list[str]
    posts: set[int]  # indices into the window's records
    score: float
    expected: float  # posts the top term would have in the window at its baseline rate


# (terms) -> (baseline count per term, posts in the baseline)
BaselineFn = Callable[[list[str]], tuple[Mapping[str, int], int]]


def find(window: list[Record], baseline: BaselineFn, known: Callable[[str], bool], settings: Settings) -> list[Burst]:
    """Bursting terms of the window's records, merged greedily by the posts they share."""
    counts: Counter = Counter()
    for r in window:
        counts.update(r.terms)
    candidates = [t for t, c in counts.items() if c >= settings.min_count and not known(t)]
    if not candidates:
        return []
    base, base_posts = baseline(candidates)
    if base_posts < settings.min_baseline_posts:
        return []  # warming up: without history every term looks new
    n = len(window)
    scored: dict[str, tuple[float, float]] = {}
    for t in candidates:
        expected = n * (base.get(t, 0) + settings.prior) / (base_posts + 1)
        if counts[t] >= settings.min_ratio * expected:
            s = surprise(counts[t], expected)
            if s >= settings.min_surprise:
                scored[t] = (s, expected)
    if not scored:
        return []
    carriers: dict[str, set[int]] = defaultdict(set)
    for i, r in enumerate(window):
        for t in r.terms:
            if t in scored:
                carriers[t].add(i)
    bursts: list[Burst] = []
    for t in sorted(scored, key=lambda t: (-scored[t][0], t)):
        posts = carriers[t]
        best = max(bursts, key=lambda b: len(posts & b.posts), default=None)
        if best is not None and len(posts & best.posts) >= settings.merge_share * len(posts):
            best.terms.append(t)
            best.posts |= posts
        else:
            bursts.append(Burst([t], set(posts), scored[t][0], scored[t][1]))
    return [b for b in bursts if _authors(window, b.posts) >= settings.min_authors]


def _authors(window: list[Record], posts: set[int]) -> int:
    """Distinct authors; posts without an author id count as one each."""
    named = {window[i].author for i in posts if window[i].author}
    return len(named) + sum(1 for i in posts if not window[i].author)


# --- topics ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmergingTopic:
    """A topic nobody has named yet, as the rules and people see it."""

    id: str
    name: str  # its top terms, fixed when it was first named
    terms: tuple[str, ...]
    count: int  # posts about it in the detector's window
    baseline: float  # posts its top term would have in that window at the rate of the hours before
    first_seen: float  # event time it was first named
    post_keys: tuple[str, ...]  # representative posts: the most typical first, no near-duplicates
    regions: dict[str, int]
    languages: dict[str, int]
    negative_share: float
    score: float  # -log10 of the chance of its top term's count
    window: int  # seconds: the detector's window
    posts: tuple[tuple[int, dict], ...] = field(default=(), repr=False)  # (minute, dims) of its recent posts

    def groups(self, dims: Mapping[str, str], group_by: list[str], first: int, last: int) -> dict[tuple, int]:
        """Its posts in minutes first..last that match `dims`, counted per value of `group_by`."""
        out: Counter = Counter()
        for minute, d in self.posts:
            if first <= minute <= last and all(d.get(k) == v for k, v in dims.items()):
                if all(g in d for g in group_by):
                    out[tuple(d[g] for g in group_by)] += 1
        return dict(out)

    def expected(self, seconds: int) -> float:
        """Posts its baseline rate expects in a window of `seconds`."""
        return self.baseline * seconds / self.window


def name(
    bursts: list[Burst], window: list[Record], horizon: list[Record], registry: dict[str, dict], now: float, settings: Settings
) -> tuple[list[EmergingTopic], dict[str, dict]]:
    """Topics for the bursts, named as before where a burst matches a remembered topic.

    `registry` maps topic id -> {name, terms, first_seen, last_seen}; returns the topics and the
    registry entries to write back (new or seen again).
    """
    changed: dict[str, dict] = {}
    merged: dict[str, tuple[dict, list[str], set[int], float, float]] = {}
    for burst in sorted(bursts, key=lambda b: -b.score)[: settings.max_topics]:
        own = set(burst.terms)
        counts = Counter(t for i in burst.posts for t in window[i].terms if t in own)
        ranked = sorted(burst.terms, key=lambda t: -counts[t])  # stable: the most surprising first among equals
        topic_id = _match(ranked, registry)
        if topic_id is None:
            label = _label(ranked, counts)
            topic_id = hashlib.sha1(f"{label}|{int(now // settings.bucket)}".encode()).hexdigest()[:10]
            registry[topic_id] = {"name": label, "terms": ranked[:12], "first_seen": now, "last_seen": now}
        entry = registry[topic_id]
        entry["last_seen"] = now
        entry["terms"] = list(dict.fromkeys(entry["terms"] + ranked))[:12]
        changed[topic_id] = entry
        if topic_id in merged:  # two bursts of one remembered topic: one topic
            _, t, p, s, e = merged[topic_id]
            merged[topic_id] = (entry, t + ranked, p | burst.posts, max(s, burst.score), max(e, burst.expected))
        else:
            merged[topic_id] = (entry, ranked, set(burst.posts), burst.score, burst.expected)
    topics = [
        _topic(topic_id, entry, ranked, posts, score, expected, window, horizon, settings)
        for topic_id, (entry, ranked, posts, score, expected) in merged.items()
    ]
    return sorted(topics, key=lambda t: -t.score), changed


def forget(registry: dict[str, dict], now: float, settings: Settings) -> list[str]:
    """Drop the topics not seen for `keep_named`; returns their ids."""
    old = [i for i, e in registry.items() if now - e["last_seen"] > settings.keep_named]
    for topic_id in old:
        del registry[topic_id]
    return old


def _match(ranked: list[str], registry: dict[str, dict]) -> str | None:
    """The remembered topic that shares most of these terms (at least half of the smaller set)."""
    mine = set(ranked[:12])
    best, best_share = None, 0.0
    for topic_id, entry in registry.items():
        theirs = set(entry["terms"])
        share = len(mine & theirs) / min(len(mine), len(theirs)) if mine and theirs else 0.0
        if share >= 0.5 and share > best_share:
            best, best_share = topic_id, share
    return best


def _label(ranked: list[str], counts: Counter) -> str:
    """A readable name: the top two or three terms; a pair replaces its single words when it is common."""
    order = sorted(ranked, key=lambda t: -counts[t] * (1.5 if " " in t else 1.0))
    chosen: list[str] = []
    covered: set[str] = set()
    for t in order:
        words = set(t.split())
        if words <= covered:
            continue
        chosen = [c for c in chosen if not set(c.split()) <= words] + [t]
        covered |= words
        if len(chosen) == 3 or len(covered) >= 3:
            break
    return ", ".join(chosen)


def _topic(topic_id, entry, ranked, posts, score, expected, window, horizon, settings) -> EmergingTopic:
    members = [window[i] for i in sorted(posts)]
    wanted = set(ranked)
    regions = Counter(r.dims["region"] for r in members if "region" in r.dims)
    languages = Counter(r.dims.get("language", "und") for r in members)
    about = [r for r in horizon if wanted.intersection(r.terms)]
    return EmergingTopic(
        id=topic_id,
        name=entry["name"],
        terms=tuple(dict.fromkeys(ranked)),
        count=len(members),
        baseline=round(expected, 2),
        first_seen=entry["first_seen"],
        post_keys=tuple(representatives(members, ranked, settings.examples)),
        regions=dict(regions.most_common()),
        languages=dict(languages.most_common()),
        negative_share=round(sum(r.negative for r in members) / len(members), 3) if members else 0.0,
        score=round(score, 2),
        window=settings.window,
        posts=tuple((int(r.at // 60), r.dims) for r in about),
    )


def representatives(members: list[Record], ranked: list[str], k: int) -> list[str]:
    """The most typical posts (carrying the topic's most common terms), skipping near-duplicates.

    Typical = the sum of the weights of the topic's terms a post carries, the most common term
    weighing most; near-duplicate = more than half of its terms shared with a post already chosen.
    """
    weight = {t: len(ranked) - i for i, t in enumerate(ranked)}
    order = sorted(members, key=lambda r: (-sum(weight.get(t, 0) for t in r.terms), len(r.terms), r.at, r.key))
    chosen: list[Record] = []
    for r in order:
        mine = set(r.terms)
        if any(_jaccard(mine, set(c.terms)) > 0.5 for c in chosen):
            continue
        chosen.append(r)
        if len(chosen) == k:
            break
    return [r.key for r in chosen]


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


# --- in memory ---------------------------------------------------------------------------------


def horizon_of(rules: Iterable, settings: Settings) -> int:
    """Seconds of recent posts topics must carry: the detector's window or the longest new_topic rule's."""
    windows = [r.window for r in rules if getattr(r, "type", None) == "new_topic"]
    return min(max([settings.window, *windows]), settings.baseline) + 60  # rules count whole minutes


class Detector:
    """The whole detector with its history in memory, for simulations and measurements.

    `observe(posts, scores)` and `current(now)` as bot.emerging does them against Redis.
    """

    def __init__(self, known: Callable[[str], bool], settings: Settings = Settings(), horizon: int | None = None):
        self.known = known
        self.settings = settings
        self.horizon = horizon or settings.window
        self.counts: dict[int, Counter] = defaultdict(Counter)
        self.records: list[Record] = []
        self.registry: dict[str, dict] = {}
        self._minute: int | None = None
        self._topics: list[EmergingTopic] = []
        self._range = range(0)  # the baseline buckets summed in _base
        self._base: Counter = Counter()

    @classmethod
    def from_config(cls, cfg, rules: Iterable = (), settings: Settings = Settings()) -> "Detector":
        return cls(KnownTerms.from_config(cfg), settings, horizon_of(rules, settings))

    def observe(self, posts: list, scores: list) -> None:
        fresh = [record(p, s, self.settings.max_terms) for p, s in zip(posts, scores) if feeds(s)]
        for b, counts in bucketed(fresh, self.settings.bucket).items():
            self.counts[b].update(counts)
            if b in self._range:  # a late post: the baseline already summed its bucket
                self._base.update(counts)
        self.records.extend(fresh)

    def current(self, now: float) -> list[EmergingTopic]:
        """The emerging topics at event time `now` (recomputed once per minute)."""
        if self._minute == int(now // 60):
            return self._topics
        s = self.settings
        self._minute = int(now // 60)
        self.records = [r for r in self.records if r.at > now - self.horizon]
        self._slide(baseline_buckets(now, s))
        horizon = [r for r in self.records if r.at <= now]
        window = [r for r in horizon if r.at > now - s.window]
        lookup = lambda wanted: ({t: self._base[t] for t in wanted}, self._base[POSTS_FIELD])  # noqa: E731
        self._topics, _ = name(find(window, lookup, self.known, s), window, horizon, self.registry, now, s)
        forget(self.registry, now, s)
        return self._topics

    def _slide(self, wanted: range) -> None:
        """Keep _base the sum of the baseline buckets' counts, adding and subtracting as time moves."""
        if self._range and wanted.start < self._range.stop and self._range.start < wanted.stop:
            for b in self._range:
                if b not in wanted and b in self.counts:
                    self._base.subtract(self.counts[b])
            for b in wanted:
                if b not in self._range and b in self.counts:
                    self._base.update(self.counts[b])
        else:
            self._base = Counter()
            for b in wanted:
                self._base.update(self.counts.get(b, {}))
        self._range = wanted
        for b in [b for b in self.counts if b < wanted.start]:
            del self.counts[b]
