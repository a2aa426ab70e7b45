"""Region of a post: the configured regions first, then the gazetteer's Bundesländer and countries.

Evidence, strongest first: the geo position, the platform's place tag, place names in the text,
the author's stated location, the channel's default region. At each step the configured regions
(custom areas with place names and a circle) win over the gazetteer, and a gazetteer place that
lies inside a configured region's circle counts as that region.

Place names in the text are guarded against everyday words that are also towns ("Essen", "Hof",
"Halle", "Mitte"): a gazetteer name must be capitalised as the place is, must not follow an
article ("das Essen", "im Hof") or be the second part of a compound ("Bornheim-Mitte"); a one-word
name of a place under 100,000 people also needs a cue before it ("in Hof", "aus Gera", "near
Celle"), and a bigger one without a cue must not touch a lowercase word ("leckeres Essen", "Essen
im Bus"; "Essen: Stau", "#Essen" are fine). The place tag and the stated location are written to
say where, so there any name counts.
"""

from __future__ import annotations

import math
import re

from bot.config import Region, Source
from bot.models import Post, Scores
from detectors.gazetteer import Gazetteer, Place
from detectors.topics import fold

EARTH_RADIUS_KM = 6371.0088
_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r"#?[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?:;\n|]")
_NEXT = re.compile(r"[ \t]*([^\W\d_])")  # the first letter of the next word, if a word follows directly
_INFLECTIONS = ("", "s", "er", "ern")  # Köln → Kölns, Kölner; Berlin → Berliner
# Words after which a capitalised word is a noun, not a place (folded: ä → a).
ARTICLES = frozenset(
    "der die das dem den des ein eine einer einem einen eines im am zum zur vom beim ins ans aufs "
    "mein meine meinem meinen meiner dein deine sein seine ihr ihre unser unsere euer eure kein keine "
    "keinen diese dieser diesem diesen jede jeder jedem jeden welche welcher the a an my your our their "
    "this that his her its no every".split()
)
# Words after which a capitalised word names a place.
CUES = frozenset(
    "in aus nach bei von ab zwischen richtung nahe um via raum region landkreis kreis stadt "
    "from to near at around outside".split()
)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class RegionDetector:
    """Fills scores.region: a configured region's name, a gazetteer region id, or None."""

    name = "region"

    def __init__(self, regions: list[Region], sources: list[Source], gazetteer: Gazetteer | None = None):
        self.regions = list(regions)
        self.gazetteer = gazetteer
        self._defaults = {s.name: s.region for s in sources if s.region}
        # Place names as tuples of folded words (all inflections of the last word), so that
        # finding them costs a dict lookup per word instead of a regex over every name.
        self._places: dict[tuple[str, ...], str] = {}
        for r in self.regions:
            for place in r.places:
                words = tuple(_WORD.findall(fold(place)))
                if not words:
                    continue
                for ending in _INFLECTIONS:
                    self._places.setdefault(words[:-1] + (words[-1] + ending,), r.name)
        self._starts = {words[0] for words in self._places}
        self._longest = max((len(words) for words in self._places), default=0)

    def by_geo(self, geo: tuple[float, float]) -> str | None:
        """The region whose circle holds the point; the nearest centre when circles overlap."""
        best, best_d = None, math.inf
        for r in self.regions:
            if r.geo is None:
                continue
            d = haversine_km(geo, (r.geo.lat, r.geo.lon))
            if d <= r.geo.radius_km and d < best_d:
                best, best_d = r.name, d
        return best

    def by_place(self, text: str) -> str | None:
        """The configured region of the first place name mentioned in the text (longest name at a position)."""
        if not self._places or not text:
            return None
        words = _WORD.findall(fold(text))
        for i, word in enumerate(words):
            if word not in self._starts:
                continue
            for n in range(min(self._longest, len(words) - i), 0, -1):
                found = self._places.get(tuple(words[i : i + n]))
                if found:
                    return found
        return None

    def by_gazetteer(self, text: str, stated: bool = False) -> str | None:
        """The region of the first gazetteer place named in the text (see the module's guards).

        stated: the text was written to say where (a place tag, a profile's location): no guards.
        """
        if self.gazetteer is None or not text:
            return None
        g = self.gazetteer
        tokens = list(_TOKEN.finditer(text))
        folded = [fold(t.group().lstrip("#")) for t in tokens]
        for i, word in enumerate(folded):
            if word not in g.starts and word.removesuffix("s") not in g.starts:
                continue
            for n in range(min(g.longest, len(tokens) - i), 0, -1):
                words = tuple(folded[i : i + n])
                name = words if words in g.names else words[:-1] + (words[-1].removesuffix("s"),)
                place = g.names.get(name)
                if place is not None and (stated or self._named(text, tokens, folded, i, n, name)):
                    return self._configured(place) or place.region
        return None

    def _named(self, text: str, tokens: list[re.Match], folded: list[str], i: int, n: int, name: tuple) -> bool:
        """Whether tokens[i:i+n] name the place here rather than an everyday word."""
        words = [t.group().lstrip("#") for t in tokens[i : i + n]]
        capitals = self.gazetteer.capitals.get(name, (True,) * n)
        if not all(w[:1].isupper() for w, cap in zip(words, capitals) if cap) or not words[0][:1].isupper():
            return False
        start, end = tokens[i].start(), tokens[i + n - 1].end()
        if start and text[start - 1] == "-":
            return False  # the second part of a compound: Bornheim-Mitte, Hermann-Hesse-Bahn
        before = folded[i - 1] if i and not _SENTENCE_END.search(text, tokens[i - 1].end(), start) else ""
        if before in ARTICLES:
            return False
        if n > 1:
            return True
        place = self.gazetteer.names[name]
        if not place.big:  # hashtags too: #Wissen, #Stelle, #Alpen are words before they are towns
            shouted = words[0].isupper() and len(words[0]) > 3  # TO WEDDING: capitals say nothing
            return before in CUES and not shouted
        if place.area or before in CUES or tokens[i].group().startswith("#"):
            return True
        # A big town named without a cue: not next to a lowercase word ("gutes Essen", "Essen im Bus").
        after = _NEXT.match(text, end)
        return not (before and tokens[i - 1].group()[:1].islower()) and not (after and after.group(1).islower())

    def _configured(self, place: Place) -> str | None:
        """The configured region whose circle holds a gazetteer place."""
        return self.by_geo((place.lat, place.lon)) if place.lat or place.lon else None

    def detect(self, post: Post) -> str | None:
        """The region of one post, by the strongest evidence it carries."""
        if post.geo is not None:
            if found := self.by_geo(post.geo):
                return found
            near = self.gazetteer.nearest(*post.geo) if self.gazetteer is not None else None
            if near is not None:
                return near.region
        # The platform's place tag is chosen on purpose; the text may mention other places.
        if post.place and (found := self.by_place(post.place) or self.by_gazetteer(post.place, stated=True)):
            return found
        if found := self.by_place(post.text) or self.by_gazetteer(post.text):
            return found
        location = post.author_location
        if location and (found := self.by_place(location) or self.by_gazetteer(location, stated=True)):
            return found
        return self._defaults.get(post.channel)

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Fill in the region of each post."""
        for post, s in zip(posts, scores):
            s.region = self.detect(post)
