"""Region from geo, place tag, text and the author's stated location; the gazetteer; configured languages."""

from __future__ import annotations

import json

import pytest

from bot import config
from bot.config import GeoCircle, Region, Source
from bot.models import Post, Scores
from bot.sources import x as xsource
from bot.yamlfile import YamlError
from detectors import gazetteer
from detectors.language import LanguageDetector
from detectors.region import RegionDetector

REGIONS = [
    Region(name="koeln", title="Köln", places=["Köln", "Cologne"], geo=GeoCircle(lat=50.94, lon=6.96, radius_km=20)),
    Region(name="sylt", title="Sylt", places=["Sylt"]),
]
SOURCES = [Source(name="fb_bayern", platform="facebook", account="telco.bayern", region="koeln"),
           Source(name="x_main", platform="x", account="telco")]


@pytest.fixture(scope="module")
def places():
    return gazetteer.load(("DE", "AT", "CH"), 5000)


@pytest.fixture(scope="module")
def regions(places):
    return RegionDetector(REGIONS, SOURCES, places)


def region(detector: RegionDetector, text: str = "", **kw) -> str | None:
    kw.setdefault("channel", "x_main")
    p = Post(source="generic", id="1", text=text, created_at=0.0, **kw)
    scores = [Scores()]
    detector.score([p], scores)
    return scores[0].region


@pytest.mark.parametrize("text, expected", [
    ("Netz weg in Dortmund seit heute früh", "de-nw"),
    ("Störung in Nürnberg?", "de-by"),
    ("Kein Empfang in Leipzig", "de-sn"),
    ("Totalausfall bei uns in Kiel", "de-sh"),
    ("Leipzig: kein LTE seit Stunden", "de-sn"),  # a big city names itself without "in"
    ("no signal in Munich since noon", "de-by"),  # English exonym
    ("KEIN NETZ IN STUTTGART", "de-bw"),
    ("Kölns Netz", "koeln"),
    # districts
    ("Funkloch in Kreuzberg", "de-be"),
    ("Seit gestern in Altona kein LTE", "de-hh"),
    # Bundesländer by name
    ("Ganz NRW ohne Netz?", "de-nw"),
    ("Großstörung in Bayern", "de-by"),
    # two-word names, and Frankfurt without (Oder) is the big one
    ("Ausfall in Frankfurt am Main", "de-he"),
    ("Ausfall in Frankfurt", "de-he"),
    ("Ausfall in Frankfurt (Oder)", "de-bb"),
    ("Halle (Saale) ohne Netz", "de-st"),
])
def test_cities_districts_and_states_map_to_their_bundesland(regions, text, expected):
    assert region(regions, text) == expected


@pytest.mark.parametrize("text", [
    "Das Essen im Shop war gut",  # after an article
    "Essen im Bus ist verboten",  # a big town's name right before a lowercase word
    "leckeres Essen heute",  # right after one
    "Im Hof kein Empfang",
    "Hof und Garten ohne Netz",  # Hof is small: it needs "in", "aus", ...
    "Die Halle ist voll",
    "Weil das Netz weg ist, rufe ich an",  # Weil am Rhein: small, no cue
    "in der Mitte des Zuges",
    "kein netz in essen",  # lowercase is never a gazetteer name in running text
    "Bornheim-Mitte hat Netz",  # the second part of a compound
    "Wir haben #Wissen geteilt",  # small places need a cue even as a hashtag
])
def test_everyday_words_are_not_places(regions, text):
    assert region(regions, text) is None


@pytest.mark.parametrize("text, expected", [
    ("Netz tot in Essen", "de-nw"), ("kein Netz in Hof", "de-by"), ("Grüße aus Halle", "de-st"),
    ("Essen: Störung am Hauptbahnhof", "de-nw"), ("#Essen ohne Netz", "de-nw"),
])
def test_the_same_words_with_a_cue_are_places(regions, text, expected):
    assert region(regions, text) == expected


def test_configured_regions_win(regions):
    # A configured place name beats a gazetteer place mentioned earlier in the text.
    assert region(regions, "In Dortmund und Köln kein Netz") == "koeln"
    # A gazetteer place inside a configured circle is that region (Frechen is 12 km from Köln).
    assert region(regions, "Störung in Frechen") == "koeln"
    assert region(regions, "Störung in Düsseldorf") == "de-nw"
    # Configured places without a circle still win, and the channel's default comes last.
    assert region(regions, "Kein Netz auf Sylt") == "sylt"
    assert region(regions, "Kein Netz", channel="fb_bayern") == "koeln"
    assert region(regions, "Kein Netz in Kiel", channel="fb_bayern") == "de-sh"


def test_geo_position_place_tag_and_stated_location(regions):
    assert region(regions, "x", geo=(48.78, 9.18)) == "de-bw"  # Stuttgart: nearest gazetteer place
    assert region(regions, "x", geo=(50.95, 6.95)) == "koeln"  # inside the configured circle
    assert region(regions, "x", geo=(54.5, 3.0)) is None  # the North Sea
    assert region(regions, "Netz tot", place="Mitte, Berlin") == "de-be"  # tags are written to say where
    # The author's stated location: no guards, but weaker than the text.
    assert region(regions, "kein netz", author_location="essen") == "de-nw"
    assert region(regions, "kein netz", author_location="Nürnberg, Bayern") == "de-by"
    assert region(regions, "Störung in Kiel", author_location="München") == "de-sh"
    assert region(regions, "kein netz", author_location="somewhere over the rainbow") is None


def test_other_markets_by_country(regions):
    assert region(regions, "Kein Netz in Wien") == "at"
    assert region(regions, "Roaming in Zürich geht nicht") == "ch"
    assert region(regions, "No coverage anywhere in Switzerland") == "ch"
    assert region(regions, "Störung in Graz", author_location="Berlin") == "at"
    germany_only = RegionDetector(REGIONS, SOURCES, gazetteer.load(("DE",), 5000))
    assert region(germany_only, "Kein Netz in Wien") is None


def test_gazetteer_names_and_titles(places):
    assert places.names[gazetteer.key("Köln")].region == "de-nw"
    assert places.names[gazetteer.key("Koeln")] == places.names[gazetteer.key("Köln")]  # umlauts fold
    assert gazetteer.key("Neustadt") not in places.names  # many towns of similar size: ambiguous
    assert gazetteer.title("de-nw") == "Nordrhein-Westfalen" and gazetteer.title("de-by", "en") == "Bavaria"
    assert gazetteer.title("at") == "Austria" and gazetteer.title("koeln") is None


def test_region_settings_are_validated(tmp_path):
    base = ("organisation: T\ndepartments:\n  - {name: n, title: N, language: de}\n"
            "sources:\n  - {name: s, platform: x, account: a}\n")
    path = tmp_path / "config.yaml"
    path.write_text(base + "detectors:\n  gazetteer:\n    countries: [DE, XX]\n")
    with pytest.raises(YamlError) as err:
        config.load(path)
    assert err.value.problems == [f"{path}:8: detectors.gazetteer.countries[1]: unknown country code 'XX'; "
                                  "write an ISO 3166 alpha-2 code like DE, AT or CH"]
    path.write_text(base + "detectors:\n  gazetteer:\n    countries: [de, ch]\n")
    assert config.load(path).detectors.gazetteer.countries == ["DE", "CH"]


def test_posts_keep_loading_and_x_fills_the_stated_location():
    old = {"source": "x", "id": "1", "channel": "c", "text": "t", "created_at": 1.0}
    assert Post.from_dict(old).author_location is None
    payload = {"data": [{"id": "5", "text": "kein Netz", "author_id": "9", "created_at": "2026-11-16T09:00:00Z"}],
               "includes": {"users": [{"id": "9", "username": "anna", "location": " Köln, NRW "}]}}
    [post] = xsource.parse(json.dumps(payload).encode(), "x_main")
    assert post.author_location == "Köln, NRW"
    assert Post.from_dict(post.to_dict()) == post


# --- language -------------------------------------------------------------------------------


def test_language_detection_is_restricted_to_the_configured_languages():
    both = LanguageDetector(("de", "en"))
    assert both.detect("Kein Netz seit heute früh in der ganzen Stadt") == "de"
    assert both.detect("No signal since this morning in the whole town") == "en"
    assert both.detect("Le réseau ne fonctionne plus depuis ce matin") in ("de", "en", "und")  # never fr
    for unsure in ("ok", "lol", "WTF", "Super", "🙂 ok", "123 !!!"):
        assert both.detect(unsure) == "und", unsure
    german = LanguageDetector(("de",))
    assert german.detect("No signal since this morning") == "de" and german.detect("🙂") == "und"


def test_configured_languages(tmp_path):
    base = ("organisation: T\ndepartments:\n  - {name: n, title: N, language: de}\n"
            "sources:\n  - {name: s, platform: x, account: a}\n")
    path = tmp_path / "config.yaml"
    path.write_text(base)
    assert config.load(path).languages() == ["de"]
    path.write_text(base + "topics:\n  - {name: t, title: {de: T, en: T}, description: d, keywords: {en: [x]}}\n")
    assert config.load(path).languages() == ["de", "en"]
    path.write_text(base + "detectors:\n  languages: [en]\n")
    assert config.load(path).languages() == ["en"]


def test_people_can_ask_about_a_land_the_gazetteer_found(ctx, drain):
    from bot import commands, ingest, render

    now = 1763283600.0
    posts = [Post("generic", f"n{i}", "x_support", f"Kein Netz in Nürnberg, Totalausfall {i}", now + i * 20)
             for i in range(6)]
    ingest.accept(ctx, posts)
    drain()
    assert {ctx.store.get_post(p.key)[1].region for p in posts} == {"de-by"}
    assert render.label_title(ctx.cfg, "region", "de-by", "de") == "Bayern"
    assert render.label_title(ctx.cfg, "region", "de-by", "en") == "Bavaria"
    answer = commands.handle(ctx, commands.Request("was ist los in Bayern?", "ops", "network")).text
    assert "Bayern" in answer and "6 Beiträge" in answer, answer
    assert "Bavaria" in commands.handle(ctx, commands.Request("summary Bavaria", "ops", "network")).text
