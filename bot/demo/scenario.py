"""A seeded synthetic day of posts on Telvia's channels, with three incidents at known times."""

from __future__ import annotations

import itertools
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.demo import templates as T
from bot.models import Post

TZ = ZoneInfo("Europe/Berlin")
PAGE = "104857600000001"  # fb_telvia's page id, as in config.yaml
BASE_PER_DAY = 5080  # ordinary posts at scale 1; incidents, noise and brand posts come on top
# Relative volume per local hour: quiet night, busy day, peak in the evening.
HOURLY = [1.2, 0.7, 0.45, 0.35, 0.4, 0.7, 1.5, 2.8, 3.9, 4.4, 4.6, 4.7,
          4.9, 4.7, 4.5, 4.5, 4.7, 5.0, 5.4, 5.8, 6.0, 5.5, 4.0, 2.3]
CHANNELS = ("x_support", "x_news", "fb_telvia")


@dataclass(frozen=True)
class Incident:
    """One injected incident: what happened, when (event time), and who should hear of it."""

    name: str
    department: str
    start: float
    end: float
    topic: str
    region: str | None


@dataclass(frozen=True)
class _Spec:
    department: str
    start_h: float
    end_h: float
    topic: str
    region: str | None
    posts: int  # at scale 1, including Telvia's own replies
    floor: int  # never fewer, whatever the scale: incidents stay detectable
    p_de: float
    channels: tuple[int, int, int]  # weights for x_support / x_news / fb_telvia
    profile: tuple[tuple[float, float], ...]  # (fraction of window, relative intensity)


SPECS = {
    "outage": _Spec("network", 8.5, 11.0, "network_outage", "koeln_bonn", 360, 140, 0.72, (55, 10, 35),
                    ((0, .1), (.1, .6), (.3, 1), (.6, .9), (.85, .4), (1, .15))),
    "recall": _Spec("devices", 13.0, 16.0, "device_recall", None, 260, 130, 0.55, (35, 35, 30),
                    ((0, .05), (.05, .4), (.3, .8), (.5, 1), (.75, .7), (1, .3))),
    "phishing": _Spec("security", 18.0, 20.5, "phishing", None, 220, 130, 0.65, (50, 10, 40),
                      ((0, .2), (.15, .9), (.3, 1), (.45, .5), (.6, .6), (.75, 1), (.9, .5), (1, .3))),
}


@dataclass
class Scenario:
    """The generated day: posts sorted by event time, and the incidents hidden in them."""

    start: float
    end: float
    posts: list[Post]
    incidents: list[Incident]
    _lang: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # post id -> template language
    _kind: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # post id -> template kind


def incident_at(scenario: Scenario, t: float) -> Incident | None:
    """The incident running at event time t, if any."""
    return next((i for i in scenario.incidents if i.start <= t < i.end), None)


def generate(seed: int = 7, day: str = "2026-11-16", scale: float = 1.0) -> Scenario:
    """One day (local midnight to midnight) of posts; `scale` multiplies ordinary volume."""
    rng = random.Random(seed)
    start = datetime.fromisoformat(day).replace(tzinfo=TZ).timestamp()
    end = start + 86400
    slots: list[tuple[float, str]] = []
    cats = list(T.BASE_MIX)
    cat_w = [T.BASE_MIX[c][1] for c in cats]
    for hour, w in enumerate(HOURLY):
        n = round(BASE_PER_DAY * scale * w / sum(HOURLY) * rng.uniform(0.93, 1.07))
        for _ in range(n):
            kind = "support" if rng.random() < 0.05 else rng.choices(cats, cat_w)[0]
            slots.append((start + hour * 3600 + rng.random() * 3600, kind))
    for kind, per_day in T.NOISE_PER_DAY.items():
        for _ in range(round(per_day * max(scale, 0.75))):
            hour = rng.choices(range(24), HOURLY)[0]
            slots.append((start + hour * 3600 + rng.random() * 3600, kind))
    for _ in range(max(3, round(8 * scale))):
        slots.append((start + rng.uniform(7, 21) * 3600, "brand"))
    incidents = []
    for name, spec in SPECS.items():
        inc = Incident(name, spec.department, start + spec.start_h * 3600, start + spec.end_h * 3600,
                       spec.topic, spec.region)
        incidents.append(inc)
        for minute, author, _text in T.INCIDENT[name]["viral"]:
            slots.append((inc.start + minute * 60 + rng.random() * 60, f"{name}_viral:{author}"))
        for _ in range(max(spec.floor, round(spec.posts * scale))):
            t = _sample_time(rng, inc, spec.profile)
            slots.append((t, f"{name}_support" if rng.random() < 0.08 else name))
    slots.sort()
    writer = _Writer(rng)
    scen = Scenario(start, end, [], incidents)
    for t, kind in slots:
        post, lang = writer.write(t, kind, incident_at(scen, t) if kind.startswith(tuple(SPECS)) else None)
        scen.posts.append(post)
        scen._lang[post.id] = lang
        scen._kind[post.id] = kind.split(":")[0]
    return scen


def _sample_time(rng: random.Random, inc: Incident, profile) -> float:
    """A time in the incident window, drawn from a piecewise-linear intensity (rejection sampling)."""
    while True:
        x, y = rng.random(), rng.random()
        for (x0, y0), (x1, y1) in zip(profile, profile[1:]):
            if x0 <= x <= x1:
                if y <= y0 + (y1 - y0) * (x - x0) / (x1 - x0):
                    return inc.start + x * (inc.end - inc.start)
                break


def _ascii(s: str) -> str:
    s = s.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss").replace("ı", "i")
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode())


_SLOT = re.compile(r"\{([^{}]*)\}")
_THANKS = re.compile(r"(?i)danke|lob\b|thanks|shoutout|pünktlich|läuft|great|happy|top\b")
_UMLAUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})


class _Author(NamedTuple):
    x_id: str
    handle: str
    display: str
    followers: int
    first: str  # what Telvia's support calls them in a reply ("" for organisations)
    fb_id: str
    fb_name: str
    known: bool = False  # an influencer or Telvia itself: never geotagged, never on Facebook as a person


_SUPPORT = _Author(T.SUPPORT[0], T.SUPPORT[1], T.SUPPORT[2], T.SUPPORT[3], "", PAGE, "Telvia", True)
_BRAND = _Author(T.BRAND[0], T.BRAND[1], T.BRAND[2], T.BRAND[3], "", PAGE, "Telvia", True)


class _Writer:
    """Turns (time, kind) slots into posts, in time order so replies can point back."""

    def __init__(self, rng: random.Random):
        self.rng, self.seq = rng, 0
        self.authors = {lang: self._pool(lang, n) for lang, n in (("de", 2600), ("en", 1400))}
        # A few people post a lot, most post once: Zipf-like weights over each pool.
        self.cum = {lang: list(itertools.accumulate(1 / (i + 8) ** 0.9 for i in range(len(p))))
                    for lang, p in self.authors.items()}
        self.infl = {i[0]: (_Author(i[0], i[1], i[2], i[3], "", i[0], i[2], True), i[4]) for i in T.INFLUENCERS}
        self.recent: dict[str, list[tuple[str, str, str, str]]] = {}  # group -> (id, channel, first, lang)
        self.fb_parent = "913377000000001"  # yesterday's page post, until today's first one
        self.news_parent: str | None = None
        self.viral: dict[str, str] = {}  # incident -> id of its viral post
        city_w, place_w = [c[4] for c in T.CITIES], [p[4] for p in T.OUTAGE_PLACES]
        self.slots = {
            "city": lambda c: self._place(c, T.CITIES, city_w),
            "place": lambda c: self._place(c, T.OUTAGE_PLACES, place_w),
            "phone": lambda c: rng.choice(T.PHONES), "tariff": lambda c: rng.choice(T.TARIFFS),
            "router": lambda c: rng.choice(T.ROUTERS),
            "link": lambda c: "https://" + rng.choice(T.SCAM_LINKS) + "".join(rng.choices("abcdefghkmnpqrstxyz23456789", k=5)),
            "amount": lambda c: f"{rng.randint(14, 189)}{',' if c['lang'] == 'de' else '.'}{rng.choice(['99', '95', '47', '00', '12'])}",
            "n": lambda c: str(rng.randint(2, 9)), "mins": lambda c: str(rng.choice([15, 20, 25, 30, 40, 45, 60, 90])),
            "emoji": lambda c: rng.choice(T.EMOJI[c["mood"]]), "first": lambda c: c.get("first", ""),
            "sig": lambda c: rng.choice(T.SUPPORT_SIGS), "since": self._since, "ago": self._ago,
        }

    def _pool(self, lang: str, n: int) -> list[_Author]:
        rng, out = self.rng, []
        for _ in range(n):
            en_name = lang == "en" and rng.random() < 0.6  # the rest: Germans who write in English
            first = rng.choice(T.FIRST_EN if en_name else T.FIRST_DE)
            last = rng.choice(T.LAST_EN if en_name else T.LAST_DE)
            f, l = _ascii(first), _ascii(last)
            handle = rng.choice([f"{f}{l[0]}{rng.randint(70, 99)}", f"{f}_{l}", f"{l}{rng.randint(1, 999)}",
                                 f"{f}_{l}"[:15], f"real_{f}", f"{f}{rng.randint(1, 9999)}"])
            display = rng.choice([f"{first} {last}"] * 3 + [f"{first} {last[0]}.", first, f"{first} ✨", handle])
            followers = min(int(math.exp(rng.gauss(4.4, 1.6))), 40_000)  # median ~80, long tail
            out.append(_Author(str(rng.randrange(10**8, 10**18)), handle, display, followers, first,
                               str(rng.randrange(10**15, 10**16)), f"{first} {last}"))
        return out

    def _place(self, ctx: dict, table: list, weights: list) -> str:
        row = self.rng.choices(table, weights)[0]
        ctx["geo"] = (row[2], row[3], row[0])
        return row[0] if ctx["lang"] == "de" else row[1]

    def _since(self, ctx: dict) -> str:
        t = min(ctx["t"] - 300, ctx["incident"].start + self.rng.uniform(0, 1500))
        d = datetime.fromtimestamp(t, TZ)
        return f"{d.hour}:{d.minute:02d}" + ("" if ctx["lang"] == "de" else "am")

    def _ago(self, ctx: dict) -> str:
        mins = (ctx["t"] - ctx["incident"].start) / 60 + self.rng.uniform(0, 15)
        de = ctx["lang"] == "de"
        if mins < 50:
            m = max(10, round(mins / 5) * 5)
            return f"{m} Minuten" if de else f"{m} minutes"
        if mins < 85:
            return "einer Stunde" if de else "an hour"
        return f"{round(mins / 60)} Stunden" if de else f"{round(mins / 60)} hours"

    def write(self, t: float, kind: str, inc: Incident | None) -> tuple[Post, str]:
        rng = self.rng
        group, _, sub = kind.partition("_")  # "outage_support" -> ("outage", "support")
        pool = self.recent.get(group if group in SPECS else "base")
        if kind.endswith("support") and not pool:  # nobody to answer yet
            kind = group if group in SPECS else "chatter"
            group, sub = kind, ""
        ctx: dict = {"t": t, "incident": inc, "mood": "neg", "geo": None}
        author: _Author | None = None
        parent = None
        if kind.endswith("support"):  # Telvia answers someone who posted recently
            parent = rng.choice(pool[-30:])
            ctx["first"], lang, channel = parent[2], parent[3], parent[1]
            text = rng.choice(T.INCIDENT[group]["support"][lang] if group in SPECS else T.SUPPORT_REPLY[lang])
            ctx["mood"], author = "pos", (_BRAND if channel == "fb_telvia" else _SUPPORT)
        elif kind == "brand":
            lang = "de" if rng.random() < 0.75 else "en"
            text, channel, author, ctx["mood"] = rng.choice(T.BRAND_POST[lang]), rng.choice(("x_news", "fb_telvia")), _BRAND, "neu"
        elif sub.startswith("viral"):
            author, lang = self.infl[kind.split(":")[1]]
            text, channel = next(v[2] for v in T.INCIDENT[group]["viral"] if v[1] == author.x_id), "x_news"
        else:
            lang = "de" if rng.random() < (SPECS[kind].p_de if kind in SPECS else 0.6) else "en"
            if kind in SPECS:
                table, weights = T.INCIDENT[kind][lang], SPECS[kind].channels
            else:
                table = T.BASE[kind][lang]
                ctx["mood"], _, weights = T.BASE_MIX.get(kind, ("neg", 0, (50, 10, 40)))
            text, channel = rng.choice(table), rng.choices(CHANNELS, weights)[0]
            if _THANKS.search(text):
                ctx["mood"] = "pos"
            opener = rng.choice(T.OPENERS[lang])
            if rng.random() < 0.15 and not text.startswith("@") and ("?" in text or not opener.endswith(":")):
                text = opener + " " + text
            if rng.random() < 0.1 and kind not in SPECS:
                text = text + " " + rng.choice(T.CLOSERS[lang])
        ctx["has_emoji"], ctx["lang"] = "{emoji}" in text, lang
        text = _SLOT.sub(lambda m: self._slot(m.group(1), ctx), text).replace(" ,", ",")
        text = self._decorate(text, kind, lang, channel, ctx)
        return self._post(t, kind, group, lang, channel, text, author, parent, ctx), lang

    def _slot(self, body: str, ctx: dict) -> str:
        if "|" in body or not body:
            return self.rng.choice(body.split("|"))
        return self.slots[body](ctx)

    def _decorate(self, text: str, kind: str, lang: str, channel: str, ctx: dict) -> str:
        """Mentions, emoji, hashtags and typos the way people actually write."""
        rng = self.rng
        if kind == "brand" or kind.endswith("support") or ":" in kind:
            return text
        if channel == "x_support" and "@" not in text and rng.random() < 0.45:
            text = "@TelviaHilfe " + text
        elif channel == "x_news" and "@Telvia" not in text and rng.random() < 0.3:
            text = "@Telvia " + text
        if not ctx["has_emoji"] and rng.random() < 0.22:
            text += " " + rng.choice(T.EMOJI[ctx["mood"]])
        if rng.random() < (0.2 if kind in SPECS else 0.08) and "#" not in text:
            text += " " + rng.choice(T.HASHTAGS.get(kind) or T.HASHTAGS[ctx["mood"]])
        r = rng.random()
        if r < 0.07:
            text = text.lower()
        elif r < 0.12 and lang == "de":
            text = text.translate(_UMLAUT)
        elif r < 0.2:  # one swapped or dropped letter
            words = text.split(" ")
            i = rng.randrange(len(words))
            w = words[i]
            if len(w) > 4 and w.isalpha():
                j = rng.randrange(1, len(w) - 2)
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if rng.random() < 0.5 else w[:j] + w[j + 1:]
            text = " ".join(words)
        elif r < 0.24:
            text = text.rstrip(".!?") + rng.choice(["!!", "!!!", "??", "?!", " …"])
        return text

    def _post(self, t, kind, group, lang, channel, text, author, parent, ctx) -> Post:
        rng = self.rng
        self.seq += 1
        author = author or self._author(lang, channel)
        fb, viral = channel == "fb_telvia", ":" in kind
        if fb:  # comments under the page's latest post: "<post>_<comment>"
            num = str(7_310_000_000_000 + self.seq * 13 + rng.randrange(13))
            pid = PAGE + "_" + num if kind == "brand" else f"{self.fb_parent}_{num}"
            url = f"https://www.facebook.com/{PAGE}/posts/{self.fb_parent}?comment_id={num}" if rng.random() < 0.6 else None
            reply_to = None if kind == "brand" else (parent[0] if parent else f"{PAGE}_{self.fb_parent}")
            if kind == "brand":
                self.fb_parent = num
        else:  # X ids are snowflakes: milliseconds since the X epoch, then a sequence
            pid = str(((int(t * 1000) - 1288834974657) << 22) | (self.seq & 0x3FFFFF))
            url = f"https://x.com/{author.handle}/status/{pid}" if viral or rng.random() < 0.85 else None
            reply_to = parent[0] if parent else None
            if reply_to is None and not viral and kind != "brand":
                r = rng.random()
                if channel == "x_news" and group in self.viral and r < 0.4:
                    reply_to = self.viral[group]
                elif channel == "x_news" and self.news_parent and r < 0.5:
                    reply_to = self.news_parent
                elif group in SPECS and r < 0.15:  # "same here" under someone else's post
                    same = [x[0] for x in self.recent.get(group, [])[-20:] if x[1] == channel]
                    reply_to = rng.choice(same) if same else None
        telvia = author in (_SUPPORT, _BRAND) and kind != "brand"
        base = (200 if telvia else author.followers + 20) ** 0.55 * 0.04 * (2.5 if group in SPECS else 1) * (3 if fb else 1)
        likes = int(rng.expovariate(1.0) * base * 3)
        shares, replies = int(likes * rng.uniform(0.03, 0.3)), int(likes * rng.uniform(0.05, 0.4) + rng.random() * 1.6)
        if viral:
            likes, shares, replies = rng.randint(9000, 24000), rng.randint(2200, 6500), rng.randint(600, 2100)
            self.viral[group] = pid
        if kind == "brand" and not fb:
            self.news_parent = pid
        geo = place = None
        if not fb and not author.known and rng.random() < (0.25 if group in SPECS and ctx["geo"] else 0.07):
            if ctx["geo"] is None:
                c = rng.choices(T.CITIES, [c[4] for c in T.CITIES])[0]
                ctx["geo"] = (c[2], c[3], c[0])
            lat, lon, place = ctx["geo"]
            geo = (round(lat + rng.uniform(-0.015, 0.015), 5), round(lon + rng.uniform(-0.02, 0.02), 5))
        if not (kind.endswith("support") or kind == "brand"):
            self.recent.setdefault(group if group in SPECS else "base", []).append((pid, channel, author.first, lang))
        return Post(source="generic", id=pid, channel=channel, text=text, created_at=round(t, 3),
                    author_id=author.fb_id if fb else author.x_id, author_name=author.fb_name if fb else author.display,
                    followers=0 if fb else author.followers,  # Facebook comments carry no follower count
                    likes=likes, shares=shares, replies=replies,
                    language=lang if not fb and rng.random() < 0.3 else None,  # X sometimes tells, Facebook never
                    url=url, geo=geo, place=place, in_reply_to=reply_to)

    def _author(self, lang: str, channel: str) -> _Author:
        if channel != "fb_telvia" and self.rng.random() < 0.012:
            return self.rng.choice([a for a, lng in self.infl.values() if lng == lang])
        return self.rng.choices(self.authors[lang], cum_weights=self.cum[lang])[0]
