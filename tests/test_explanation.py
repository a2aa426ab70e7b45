"""Alerts explain themselves: the rule's condition, when the change began, the new terms."""

import pytest

from bot import commands, explanation, ingest, render
from bot.models import Post
from rules import loader

T0 = 1763283600.0  # 2025-11-16 09:00 UTC, 10:00 in Berlin
EVERYDAY = [
    "Meine Rechnung ist diesen Monat zu hoch, warum?",
    "Wie kann ich meinen Tarif wechseln?",
    "Der Shop in Köln hatte heute super Beratung",
    "Wann kommt das neue Handy in den Laden?",
    "Roaming im Urlaub, was kostet das?",
]


def test_the_change_begins_after_the_lowest_point_of_the_cusum():
    assert explanation.change_start([0, 0, 1, 0, 0, 0, 4, 5, 3, 6], before=0.5, after=4.5) == 6
    assert explanation.change_start([1] * 5 + [9] * 5, before=1, after=9) == 5
    assert explanation.change_start([2, 3, 2], before=3, after=2) == 0  # no rise: nothing to locate


def test_new_terms_are_far_more_common_than_in_the_baseline_and_pairs_replace_their_words():
    docs = [["kartenzahlung", "laden", "kartenzahlung laden", "rechnung"] for _ in range(8)] + [["rechnung"]] * 2
    baseline = {"rechnung": 300, "laden": 2}
    found = explanation.new_terms(docs, baseline, baseline_posts=1000)
    assert found[0] == "kartenzahlung laden" and "rechnung" not in found
    assert "kartenzahlung" not in found and "laden" not in found  # the pair says it
    assert explanation.new_terms(docs, baseline, 1000, known=lambda t: "kartenzahlung" in t) == ["laden"]
    assert explanation.new_terms(docs[:2], baseline, 1000) == []  # too few posts to tell


@pytest.fixture
def outage(ctx, drain):
    calm = [Post("generic", f"c{i}", "x_support", EVERYDAY[i % len(EVERYDAY)], T0 - 20 * 3600 + i * 400)
            for i in range(150)]
    ingest.accept(ctx, calm)
    drain()
    posts = [Post("generic", f"o{i}", "x_support",
                  f"Kein Netz in Köln seit {i} Minuten, Totalausfall! Kartenzahlung im Laden geht nicht", T0 + i * 30)
             for i in range(30)]
    ingest.accept(ctx, posts)
    drain()
    [alert] = [a for a in ctx.store.alerts() if a.rule == "network-outage-surge"]
    return alert


def test_an_alert_knows_when_its_change_began_and_what_is_new(ctx, outage):
    assert outage.began_at == T0  # the first outage minute, not when the rule noticed it
    assert outage.started_at > T0 + 10 * 60
    assert any("kartenzahlung" in t for t in outage.new_terms), outage.new_terms
    assert not any("köln" in t for t in outage.new_terms)  # everyday word the day before
    assert not any("totalausfall" in t or "kein netz" in t for t in outage.new_terms)  # the topic's own keywords
    card = render.cards(ctx, outage)["cards"]
    assert card["en"]["why"][0] == ("Rule “network-outage-surge”: at least 4× the usual posts "
                                    "(and at least 8) in 20m")
    assert card["en"]["why"][1] == "The change began around 10:00"
    assert card["de"]["why"][1] == "Die Veränderung begann gegen 10:00"
    assert card["de"]["why"][2].startswith("Neu gegenüber dem Vortag: „kartenzahlung")
    explained = commands.handle(ctx, commands.Request("explain 1", "ops", "network")).text
    assert "The change began around 10:00" in explained and "kartenzahlung" in explained


EXTRA = """
rules:
  - {name: big-reach, type: viral_post, reach_above: 50000, departments: [social]}
  - {name: mood, type: sentiment_shift, departments: [social]}
  - {name: words, type: keyword, any: {de: [betrug], en: [scam]}, departments: [security]}
  - {name: angry, type: threshold, metric: negative_share, above: 0.6, min_count: 20, departments: [social]}
"""


def test_every_rule_type_has_a_condition_and_an_explanation(ctx, tmp_path):
    from bot import answers
    from bot.models import Alert, Severity

    (tmp_path / "extra.yaml").write_text(EXTRA)
    rules = loader.load_files(loader.files("rules", tmp_path), ctx.cfg)
    assert {r.type for r in rules} == {"spike", "threshold", "keyword", "sentiment_shift", "viral_post",
                                       "new_topic", "flatline", "composite"}
    ctx.rules = rules
    for i, rule in enumerate(rules, start=1):
        for lang in ("de", "en"):
            line = explanation.condition(rule, lang)
            assert rule.name in line and "{" not in line
        alert = Alert(i, f"fp{i}", rule.name, Severity.WARNING, list(rule.departments), {}, {}, current=5, baseline=1)
        ctx.store.save_alert(alert, 3600)
        text, _ = answers.explain(ctx, i, "en")
        assert text.startswith(f"Alert #{i} comes from rule “{rule.name}”") and "{" not in text
