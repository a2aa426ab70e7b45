"""Emerging topics: the pure detector, its Redis-backed history across restarts, and new_topic alerts."""

from __future__ import annotations

import os

import pytest
import yaml

from bot import emerging, ingest
from bot.context import Context
from bot.models import Post, Scores
from detectors import emerging as detector
from detectors.emerging import KnownTerms
from tests.conftest import ROOT

T0 = 1763283600.0  # 2025-11-16 09:00 Europe/Berlin
HOUR = 3600

# Everyday questions, free of the configured topics' keywords (so they feed the detector).
EVERYDAY = {
    "de": [
        "Wie lange dauert die Lieferung von meinem Handy?",
        "Kann ich im Shop mit Karte bezahlen?",
        "Welche Öffnungszeiten hat der Laden am Samstag?",
        "Gibt es das Smartphone auch in Schwarz?",
        "Wo finde ich die PUK meiner SIM-Karte?",
        "Mein Paket ist noch nicht angekommen.",
        "Wie ändere ich meine Adresse im Kundenkonto?",
        "Kann man die Mailbox ausschalten?",
        "Wie funktioniert die Rufnummernmitnahme?",
        "Habt ihr Hüllen für das Telvia Nova 4?",
    ],
    "en": [
        "How long does delivery of my phone take?",
        "Can I pay by card in the shop?",
        "What are the store opening hours on Saturday?",
        "Is the smartphone also available in black?",
        "Where do I find the PUK for my SIM card?",
        "My parcel still has not arrived.",
        "How do I change my address in my account?",
        "How does number porting work?",
    ],
}
# A new subject: moving an eSIM to a new phone fails (German), several ways of saying it.
ESIM = [
    "Die eSIM-Übertragung auf mein Pixel bricht bei 90 Prozent ab",
    "eSIM-Übertragung klappt seit dem Wochenende bei niemandem",
    "Wer hat die eSIM-Übertragung hinbekommen? Bei mir Fehler E17",
    "eSIM-Übertragung hängt bei mir auch, App zeigt nur einen Kreis",
    "Wie lange soll die eSIM-Übertragung dauern? Seit Stunden nichts",
    "eSIM-Übertragung abgebrochen, jetzt ist die alte SIM auch tot",
    "Übertragung der eSIM geht einfach nicht, Fehler E17 in der App",
    "eSIM-Übertragung abgebrochen, jetzt ist die alte SIM auch tot",  # the same words again
    "eSIM-Übertragung abgebrochen, jetzt ist die alte SIM auch tot!",
]
# A new subject in English: the visual voicemail app crashes.
VOICEMAIL = [
    "Visual voicemail crashes every time I open it",
    "Anyone else whose visual voicemail crashes on start?",
    "Visual voicemail crashes since this morning, can't hear messages",
    "My visual voicemail crashes right after the splash screen",
    "Visual voicemail crashes on my Pixel and on my wife's iPhone",
    "visual voicemail crashes again. please fix",
]


def everyday(start: float, end: float, per_hour: int, prefix: str = "bg") -> tuple[list[Post], list[Scores]]:
    """Steady everyday traffic, German and English in turn, from different people."""
    posts, scores = [], []
    step = HOUR / per_hour
    texts = [(t, "de") for t in EVERYDAY["de"]] + [(t, "en") for t in EVERYDAY["en"]]
    for i in range(int((end - start) / step)):
        text, lang = texts[i % len(texts)]
        posts.append(Post("generic", f"{prefix}{i}", "x_support", text, start + i * step, author_id=f"a{i % 97}"))
        scores.append(Scores(language=lang, sentiment="neutral"))
    return posts, scores


def burst(texts: list[str], start: float, lang: str, prefix: str, region: str | None = None, step: float = 60):
    posts = [Post("generic", f"{prefix}{i}", "x_support", t, start + i * step, author_id=f"{prefix}-author{i}")
             for i, t in enumerate(texts)]
    scores = [Scores(language=lang, sentiment="negative", region=region) for _ in texts]
    return posts, scores


def run(known, *batches, until: float) -> list:
    """Feed batches to an in-memory detector and ask for the topics at event time `until`."""
    found = detector.Detector(known)
    for posts, scores in batches:
        found.observe(posts, scores)
    return found.current(until)


# --- the pure detector ----------------------------------------------------------------------------


def test_terms_are_words_and_adjacent_pairs_without_noise():
    got = detector.terms("Die eSIM-Übertragung klappt nicht!! https://t.co/x @TelviaHilfe 2024 #Pixel8 5G")
    assert got == ["esim", "übertragung", "klappt", "pixel8", "5g", "esim übertragung", "übertragung klappt", "pixel8 5g"]
    assert detector.terms("I can’t open the voicemail app") == ["open", "voicemail", "app", "voicemail app"]
    assert len(detector.terms(" ".join(f"wort{i}x" for i in range(50)))) == 30


def test_a_burst_of_a_new_german_term_pair_becomes_one_named_topic():
    bg = everyday(T0 - 8 * HOUR, T0, 30)
    new = burst(ESIM, T0 - 15 * 60, "de", "esim", region="koeln_bonn")
    [topic] = run(KnownTerms(), bg, new, until=T0)
    assert topic.name.startswith("esim übertragung")
    assert {"esim", "übertragung"} <= set(topic.terms)
    assert topic.count == len(ESIM) and topic.baseline < 1
    assert topic.regions == {"koeln_bonn": len(ESIM)} and topic.languages == {"de": len(ESIM)}
    assert topic.negative_share == 1.0 and topic.first_seen == T0
    # Representative: distinct posts, and of the three copies of one complaint at most one.
    assert len(topic.post_keys) == len(set(topic.post_keys)) >= 3
    assert len({"generic:esim5", "generic:esim7", "generic:esim8"} & set(topic.post_keys)) <= 1


def test_representative_posts_are_the_most_typical_without_near_duplicates():
    def rec(key, text):
        return detector.Record(key, T0, key, False, {}, tuple(detector.terms(text)))

    members = [
        rec("copy1", "eSIM-Übertragung abgebrochen, Fehler E17"),
        rec("copy2", "eSIM-Übertragung abgebrochen, Fehler E17!"),
        rec("copy3", "RT eSIM-Übertragung abgebrochen, Fehler E17"),
        rec("other", "eSIM-Übertragung hängt seit Stunden"),
        rec("weak", "Übertragung der Kontakte dauert"),
    ]
    ranked = ["esim", "übertragung", "esim übertragung", "abgebrochen", "e17"]
    assert detector.representatives(members, ranked, 3) == ["copy1", "other", "weak"]


def test_a_burst_in_english_is_named_too_and_apart_from_a_simultaneous_one():
    bg = everyday(T0 - 8 * HOUR, T0, 30)
    topics = run(KnownTerms(), bg, burst(VOICEMAIL, T0 - 10 * 60, "en", "vm"),
                 burst(ESIM[:6], T0 - 12 * 60, "de", "esim"), until=T0)
    names = sorted(t.name for t in topics)
    assert len(topics) == 2
    assert names[0].startswith("esim übertragung") and names[1].startswith("visual voicemail")
    vm = next(t for t in topics if t.name.startswith("visual"))
    assert all(k.startswith("generic:vm") for k in vm.post_keys) and vm.count == len(VOICEMAIL)


def test_steady_everyday_vocabulary_names_nothing_even_when_traffic_doubles():
    quiet = everyday(T0 - 8 * HOUR, T0 - 30 * 60, 30)
    busy = everyday(T0 - 30 * 60, T0, 60, prefix="busy")
    found = detector.Detector(KnownTerms())
    found.observe(*quiet)
    found.observe(*busy)
    for minute in range(0, 31, 5):
        assert found.current(T0 - 30 * 60 + minute * 60) == []


def test_configured_keywords_and_the_brand_make_no_topic_on_their_own():
    bg = everyday(T0 - 8 * HOUR, T0, 30)
    texts = ["Störung?", "Schon wieder Störung!", "Telvia Störung bei euch?", "Störung seit heute", "Störung!!",
             "Störung, Telvia?"]
    storm = burst(texts, T0 - 10 * 60, "de", "st")
    configured = KnownTerms([("störung", "de")], ["Telvia"])
    assert run(configured, bg, storm, until=T0) == []
    # Without the configuration the same posts are a topic: the filter is what kept them out.
    assert [t.name for t in run(KnownTerms(), bg, storm, until=T0)] == ["störung"]


def test_posts_a_keyword_assigned_to_a_configured_topic_do_not_feed_it():
    assert detector.feeds(Scores(topic="phishing", topic_score=0.62))  # by similarity only: feeds
    assert not detector.feeds(Scores(topic="phishing", topic_score=1.0))  # by keyword
    bg = everyday(T0 - 8 * HOUR, T0, 30)
    posts, scores = burst(VOICEMAIL, T0 - 10 * 60, "en", "vm")
    for s in scores:
        s.topic, s.topic_score = "customer_service", 1.0
    assert run(KnownTerms(), bg, (posts, scores), until=T0) == []


def test_no_topics_while_warming_up_without_history():
    assert run(KnownTerms(), burst(ESIM, T0 - 15 * 60, "de", "esim"), until=T0) == []


def test_one_person_repeating_themselves_is_no_topic():
    bg = everyday(T0 - 8 * HOUR, T0, 30)
    posts, scores = burst(VOICEMAIL, T0 - 10 * 60, "en", "vm")
    for p in posts:
        p.author_id = "same-person"
    assert run(KnownTerms(), bg, (posts, scores), until=T0) == []


def test_a_named_topic_keeps_its_name_as_its_words_shift():
    found = detector.Detector(KnownTerms())
    found.observe(*everyday(T0 - 8 * HOUR, T0 + HOUR, 30))
    found.observe(*burst(ESIM, T0 - 15 * 60, "de", "esim"))
    [first] = found.current(T0)
    later = [t.replace("Übertragung", "Übertragung Fehler E17") for t in ESIM]
    found.observe(*burst(later, T0 + 20 * 60, "de", "later"))
    [again] = found.current(T0 + 30 * 60)
    assert (again.id, again.name, again.first_seen) == (first.id, first.name, T0)


# --- history in Redis ---------------------------------------------------------------------------


def test_restart_finds_the_same_topic_under_the_same_id_and_name(ctx, redis_url):
    emerging.observe(ctx, *everyday(T0 - 8 * HOUR, T0, 30))
    emerging.observe(ctx, *burst(ESIM, T0 - 15 * 60, "de", "esim"))
    [topic] = emerging.current(ctx, T0)
    assert topic.name.startswith("esim übertragung") and topic.count == len(ESIM)
    assert set(emerging.examples(ctx, topic.name)) == set(topic.post_keys)
    # Within the same event-time minute the answer is not recomputed.
    emerging.observe(ctx, *burst(VOICEMAIL, T0 - 5 * 60, "en", "vm"))
    assert emerging.current(ctx, T0 + 30) == [topic]
    # A new process: nothing in memory, everything in Redis.
    restarted = Context.create(os.path.join(ROOT, "config.yaml"), redis_url=redis_url)
    topics = {t.name.split(",")[0]: t for t in emerging.current(restarted, T0 + 60)}
    assert set(topics) == {"esim übertragung", "visual voicemail"}
    same = topics["esim übertragung"]
    assert (same.id, same.first_seen, same.count) == (topic.id, T0, len(ESIM))
    assert sorted(restarted.store.emerging_topics()) == sorted(t.id for t in topics.values())


def test_the_same_counts_in_redis_as_in_memory(ctx):
    batches = [everyday(T0 - 8 * HOUR, T0, 30), burst(VOICEMAIL, T0 - 10 * 60, "en", "vm")]
    for posts, scores in batches:
        emerging.observe(ctx, posts, scores)
    from_redis = emerging.current(ctx, T0)
    in_memory = run(KnownTerms.from_config(ctx.cfg), *batches, until=T0)
    assert [(t.id, t.name, t.count, t.baseline, t.post_keys) for t in from_redis] == [
        (t.id, t.name, t.count, t.baseline, t.post_keys) for t in in_memory
    ]
    assert len(from_redis) == 1


# --- through the pipeline: a new_topic rule -------------------------------------------------------

RULE = """
rules:
  - name: new-topic
    type: new_topic
    window: 30m
    min_count: 5
    severity: warning
    departments: [care]
    message:
      de: "Neues Thema: {emerging} — {current} Beiträge in {window}"
      en: "New topic: {emerging} — {current} posts in {window}"
"""


@pytest.fixture
def topic_ctx(redis, redis_url, env_secrets, tmp_path):
    """The shipped config with only one new_topic rule, routed to customer care."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "topics.yaml").write_text(RULE, encoding="utf-8")
    with open(os.path.join(ROOT, "config.yaml"), encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["rules"] = str(rules)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return lambda: Context.create(path, redis_url=redis_url)


def test_a_new_topic_rule_alerts_once_with_the_topics_name_also_after_a_restart(topic_ctx, scorer, monkeypatch):
    from bot import worker

    # A shorter warm-up than in production keeps the posts the model must score few.
    monkeypatch.setattr(emerging, "SETTINGS", detector.Settings(min_baseline_posts=40))
    ctx = topic_ctx()
    posts, _ = everyday(T0 - 2.5 * HOUR, T0, 30)
    new, _ = burst(ESIM[:6], T0 - 10 * 60, "de", "esim")
    ingest.accept(ctx, posts + new)
    worker.run(ctx, burst=True, scorer=scorer)
    [alert] = ctx.store.alerts()
    assert alert.rule == "new-topic" and alert.departments == ["care"]
    assert alert.labels["emerging"].startswith("esim übertragung")
    assert alert.current >= 5 and alert.baseline < 1
    # Restarted: the burst goes on; the alert is the same one, updated, not a second.
    again = topic_ctx()
    more, _ = burst(ESIM[6:], T0 + 60, "de", "more")
    ingest.accept(again, more)
    worker.run(again, burst=True, scorer=scorer)
    [same] = again.store.alerts()
    assert same.id == alert.id and same.labels["emerging"] == alert.labels["emerging"]
    assert same.current > alert.current
