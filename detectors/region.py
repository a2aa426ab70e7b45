"""Region of a post: geo position, then place names, then the source's default region."""

from __future__ import annotations

import math
import re

from bot.config import Region, Source
from bot.models import Post, Scores
from detectors.topics import fold

EARTH_RADIUS_KM = 6371.0088
_WORD = re.compile(r"[^\W_]+")
_INFLECTIONS = ("", "s", "er", "ern")  # Köln → Kölns, Kölner; Berlin → Berliner


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class RegionDetector:
    """Fills scores.region with a configured region's name, or None when nothing says where."""

    name = "region"

    def __init__(self, regions: list[Region], sources: list[Source]):
        self.regions = list(regions)
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
        """The region of the first place name mentioned in the text (longest name at a position)."""
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

    def detect(self, post: Post) -> str | None:
        """The region of one post, by the strongest evidence it carries."""
        if post.geo is not None and (found := self.by_geo(post.geo)):
            return found
        # The platform's place tag is chosen on purpose; the text may mention other places.
        for text in (post.place, post.text):
            if text and (found := self.by_place(text)):
                return found
        return self._defaults.get(post.channel)

    def score(self, posts: list[Post], scores: list[Scores]) -> None:
        """Fill in the region of each post."""
        for post, s in zip(posts, scores):
            s.region = self.detect(post)
