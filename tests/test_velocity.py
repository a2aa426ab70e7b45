"""Engagement updates and reach velocity: the same post again with new counts, through the real pipeline."""

from __future__ import annotations

import pytest

from bot import engagement, ingest, store
from bot.models import Post
from bot.yamlfile import YamlError
from rules import loader
from tests.test_web import app, http, send, server  # noqa: F401 (fixtures: the real app over HTTP)

T0 = 1763283600.0  # 2025-11-16 09:00 UTC
DAYS = 2 * 86400
RULES = """
rules:
  - name: fast-growth
    type: viral_post
    velocity_above: 500       # people reached per minute between two observations
    match: {channel: x_support}
    window: 15m
    departments: [social]
"""


@pytest.fixture
def velocity_rules(ctx, tmp_path):
    (tmp_path / "velocity.yaml").write_text(RULES)
    ctx.rules = loader.load_files([tmp_path / "velocity.yaml"], ctx.cfg)
    return ctx.rules


def post(pid: str, created: float, observed: float, shares: int = 0, author: str = "u-1", **kw) -> Post:
    return Post("generic", pid, "x_support", "Euer Kundenservice hat mich drei Stunden warten lassen", created,
                author_id=author, followers=100, shares=shares, observed_at=observed, **kw)


def numbers(ctx, pid: str, created: float) -> dict:
    """What the store says about one post: its scores' reach, its TOP entry, the minute's and hour's reach."""
    key = store.POST.format(key=f"generic:{pid}")
    minute = int(created // 60)
    _, scores = ctx.store.get_post(f"generic:{pid}")
    return {
        "scores": scores.reach,
        "top": ctx.redis.zscore(store.TOP.format(minute=minute), key),
        "minute": ctx.store.load_aggregates([minute])[minute].get("reach"),
        "hour": ctx.store.load_hours([minute // 60])[minute // 60].get("reach"),
    }


def test_an_old_post_growing_fast_fires_with_itself_as_evidence(ctx, drain, velocity_rules):
    created = T0 - DAYS
    assert ingest.accept(ctx, [post("fast", created, T0 - 600)]).accepted == ["fast"]
    drain()
    assert numbers(ctx, "fast", created) == {"scores": 100, "top": 100, "minute": 100, "hour": 100}
    assert ctx.store.alerts() == []

    again = ingest.accept(ctx, [post("fast", created, T0, shares=400, likes=3)])
    assert again.updated == ["fast"] and again.accepted == [] and again.duplicates == []
    assert again.to_dict()["updated"] == ["fast"]
    drain()
    reach = 100 + 400 * 25 + 3 * 2  # config.yaml's default weights
    assert numbers(ctx, "fast", created) == {"scores": reach, "top": reach, "minute": reach, "hour": reach}
    stored, _ = ctx.store.get_post("generic:fast")
    assert (stored.shares, stored.likes, stored.observed_at) == (400, 3, T0)
    assert stored.text.startswith("Euer Kundenservice") and stored.created_at == created
    [alert] = ctx.store.alerts()
    assert (alert.rule, alert.departments, alert.current) == ("fast-growth", ["social"], 1)
    assert alert.post_keys == ["generic:fast"]  # two days old, but it is what grew in the window
    assert alert.began_at == T0 // 60 * 60  # when it grew, not when it was written
    assert ctx.store.watermark() == T0
    [(_, _, velocity)] = ctx.store.fast_posts([int(T0 // 60)])
    assert velocity == pytest.approx((reach - 100) / 10)


def test_the_same_counts_again_are_a_duplicate(ctx, drain, velocity_rules):
    ingest.accept(ctx, [post("p", T0 - 300, T0 - 300, shares=10)])
    drain()
    before = numbers(ctx, "p", T0 - 300)
    again = ingest.accept(ctx, [post("p", T0 - 300, T0, shares=10)])
    assert again.duplicates == ["p"] and again.updated == [] and ctx.store.pending_count() == 0
    drain()
    assert numbers(ctx, "p", T0 - 300) == before == {"scores": 350, "top": 350, "minute": 350, "hour": 350}
    assert ctx.store.stats()["duplicates"] == 1 and "updates" not in {k for k, v in ctx.store.stats().items() if v}


def test_older_counts_than_the_stored_ones_are_a_duplicate(ctx, drain, velocity_rules):
    ingest.accept(ctx, [post("p", T0 - 300, T0, shares=10)])
    late = ingest.accept(ctx, [post("p", T0 - 300, T0 - 60, shares=3)])  # read before the stored ones
    assert late.duplicates == ["p"] and late.updated == []


def test_a_slow_grower_does_not_fire(ctx, drain, velocity_rules):
    ingest.accept(ctx, [post("slow", T0 - DAYS, T0 - 5 * 3600)])
    drain()
    assert ingest.accept(ctx, [post("slow", T0 - DAYS, T0, shares=400)]).updated == ["slow"]
    drain()
    assert numbers(ctx, "slow", T0 - DAYS)["minute"] == 10_100  # rescored all the same
    assert ctx.store.alerts() == []  # 10,000 more people in 5 hours: 33 a minute


def test_the_companys_own_post_never_counts(ctx, drain, velocity_rules):
    ingest.accept(ctx, [post("own", T0 - DAYS, T0 - 600, author="u_telviahilfe")])
    drain()
    assert ingest.accept(ctx, [post("own", T0 - DAYS, T0, shares=4000, author="u_telviahilfe")]).updated == ["own"]
    drain()
    assert ctx.store.get_post("generic:own")[1].reach == 100_100  # kept up to date ...
    assert ctx.store.load_aggregates([int((T0 - DAYS) // 60)])[int((T0 - DAYS) // 60)] == {}  # ... never counted
    assert ctx.store.fast_posts([int(T0 // 60)]) == [] and ctx.store.alerts() == []


def test_counts_changed_before_the_first_scoring_still_count(ctx, drain, velocity_rules):
    ingest.accept(ctx, [post("quick", T0 - DAYS, T0 - 300)])
    assert ingest.accept(ctx, [post("quick", T0 - DAYS, T0, shares=400)]).updated == ["quick"]
    drain()  # one worker: the post as first received, then its update
    assert numbers(ctx, "quick", T0 - DAYS) == {"scores": 10_100, "top": 10_100, "minute": 10_100, "hour": 10_100}
    [alert] = ctx.store.alerts()
    assert alert.post_keys == ["generic:quick"]


def test_a_concurrent_worker_does_not_count_an_update_twice(ctx, drain, velocity_rules):
    ingest.accept(ctx, [post("race", T0 - DAYS, T0 - 600)])
    drain()
    ingest.accept(ctx, [post("race", T0 - DAYS, T0, shares=400)])
    key = store.POST.format(key="generic:race")
    reach = engagement.ReachDetector(ctx.cfg.detectors.reach)
    runs = []

    def slow_change(p, scores, counts, seen):
        runs.append(seen)
        if len(runs) == 1:  # another worker applies the same update meanwhile
            engagement.rescore(ctx, [key])
        return engagement.plan(ctx.cfg, ctx.rules, reach, p, scores, counts, seen)

    retention = ctx.cfg.retention
    assert ctx.store.apply_update(key, slow_change, retention.aggregates, retention.hourly, retention.posts) is None
    assert len(runs) == 2 and runs[1]["t"] == T0  # retried on fresh data: already scored
    assert numbers(ctx, "race", T0 - DAYS) == {"scores": 10_100, "top": 10_100, "minute": 10_100, "hour": 10_100}
    tags = ctx.store.load_aggregates([int(T0 // 60)])[int(T0 // 60)]
    assert tags["n|rule=fast-growth"] == 1


def test_http_reports_updates_and_refuses_a_bad_observed_at(ctx, http):  # noqa: F811
    body = {"id": "h1", "channel": "x_support", "text": "Hallo", "created_at": T0 - 600,
            "metrics": {"shares": 1}, "observed_at": T0 - 300}
    assert send(http, "/ingest/posts", body).json()["ids"] == ["h1"]
    r = send(http, "/ingest/posts", {**body, "metrics": {"shares": 9}, "observed_at": "2025-11-16T09:00:00Z"})
    assert r.status_code == 202 and r.json() == {"accepted": 0, "duplicates": [], "ids": [], "updated": ["h1"]}
    bad = send(http, "/ingest/posts", [body, {**body, "id": "h2", "observed_at": "2025-11-16 09:00"}])
    assert bad.status_code == 400
    assert "posts[1].observed_at: ISO 8601 time needs a timezone" in bad.text
    early = send(http, "/ingest/posts", {**body, "id": "h3", "observed_at": T0 - 3600})
    assert early.status_code == 400 and "observed_at: must not be before created_at" in early.text


def test_a_viral_post_rule_needs_a_threshold(ctx, tmp_path):
    (tmp_path / "v.yaml").write_text("rules:\n  - name: nothing\n    type: viral_post\n    departments: [social]\n")
    with pytest.raises(YamlError) as err:
        loader.load_files([tmp_path / "v.yaml"], ctx.cfg)
    assert f"{tmp_path / 'v.yaml'}:2: rules[0]: a viral_post rule needs reach_above, velocity_above or both" in "\n".join(
        err.value.problems)


def test_an_update_can_carry_a_post_above_reach_above(ctx, drain, tmp_path):
    (tmp_path / "r.yaml").write_text(
        "rules:\n  - {name: big, type: viral_post, reach_above: 5000, window: 15m, departments: [social]}\n")
    ctx.rules = loader.load_files([tmp_path / "r.yaml"], ctx.cfg)
    ingest.accept(ctx, [post("b", T0 - DAYS, T0 - 5 * 3600)])
    drain()
    ingest.accept(ctx, [post("b", T0 - DAYS, T0, shares=400)])
    drain()
    [alert] = ctx.store.alerts()
    assert alert.rule == "big" and alert.post_keys == ["generic:b"]
    ingest.accept(ctx, [post("b", T0 - DAYS, T0 + 60, shares=500)])  # above it already: not counted again
    drain()
    assert ctx.store.load_aggregates([int(T0 // 60) + 1])[int(T0 // 60) + 1] == {}


def test_the_simulation_applies_updates_in_the_minute_they_were_observed(tmp_path):
    from bot import config
    from bot.models import Scores
    from bot.simulate import Simulation
    from tests.conftest import ROOT

    cfg = config.load(f"{ROOT}/config.yaml")
    (tmp_path / "velocity.yaml").write_text(RULES)
    rules = loader.load_files([tmp_path / "velocity.yaml"], cfg)
    created = T0 - 3600

    def run(first_seen: float) -> Simulation:
        sim = Simulation(cfg, rules)
        sim.advance(created - 60)
        posts = [post("s", created, first_seen), post("s", created, T0, shares=400)]  # a JSONL with the id twice
        sim.feed(posts, [Scores(language="de", reach=100.0), Scores(language="de", reach=10_100.0)])
        sim.advance(T0 + 59)
        assert sim.series({}, int(created // 60), int(created // 60), "reach") == [10_100]
        return sim

    assert [a.rule for a in run(T0 - 600).firing()] == ["fast-growth"]
    assert run(created).firing() == []  # the same growth over an hour: 167 a minute


def test_velocity_rules_explain_themselves(ctx, velocity_rules):
    from bot import answers, explanation
    from bot.models import Alert, Severity

    [rule] = velocity_rules
    assert explanation.condition(rule, "en") == "Rule “fast-growth”: a post gains more than 500 people reached a minute"
    assert explanation.condition(rule, "de") == ("Regel „fast-growth“: ein Beitrag gewinnt mehr als 500 erreichte "
                                                 "Menschen pro Minute dazu")
    ctx.store.save_alert(Alert(1, "fp", rule.name, Severity.WARNING, ["social"], {}, {}, current=2), 3600)
    for lang, words in (("en", "2 posts gaining more than 500 people reached a minute in 15m"),
                        ("de", "2 Beiträge, die in 15m mehr als 500 erreichte Menschen pro Minute")):
        text, _ = answers.explain(ctx, 1, lang)
        assert words in text and "{" not in text
    both = rule.model_copy(update={"reach_above": 100_000.0})
    assert "100,000 people or gains more than 500 a minute" in explanation.condition(both, "en")
