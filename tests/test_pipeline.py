"""Posts in, scored by a real RQ worker, rules fire, alerts stored — on a real Redis."""

from bot import commands, ingest
from bot.models import AlertStatus, Post

T0 = 1763283600.0  # 2025-11-16 09:00 Europe/Berlin


def outage_posts(n=30, start=T0, prefix="o"):
    return [
        Post("generic", f"{prefix}{i}", "x_support", f"Kein Netz in Köln seit {i} Minuten, Totalausfall!", start + i * 30, followers=50 + i)
        for i in range(n)
    ]


def test_posts_flow_to_an_alert_in_the_right_department(ctx, drain):
    result = ingest.accept(ctx, outage_posts())
    assert len(result.accepted) == 30
    drain()
    assert ctx.store.stats()["scored"] == 30
    alerts = ctx.store.alerts()
    assert [a.rule for a in alerts] == ["network-outage-surge"]
    alert = alerts[0]
    assert alert.departments == ["network"]
    assert alert.labels["region"] == "koeln_bonn"
    assert alert.current >= 8 and len(alert.post_keys) == 3


def test_duplicates_are_accepted_once(ctx, drain):
    posts = outage_posts(5)
    assert len(ingest.accept(ctx, posts).accepted) == 5
    again = ingest.accept(ctx, posts[:3] + outage_posts(2, prefix="new"))
    assert again.duplicates == ["o0", "o1", "o2"] and again.accepted == ["new0", "new1"]
    drain()
    assert ctx.store.stats()["scored"] == 7


def test_calm_traffic_raises_no_alert(ctx, drain):
    calm = [
        Post("generic", f"c{i}", "fb_telvia", "Danke für die schnelle Hilfe mit meinem Vertrag!", T0 + i * 60)
        for i in range(40)
    ]
    ingest.accept(ctx, calm)
    drain()
    assert ctx.store.alerts() == []


def test_an_alert_keeps_one_identity_while_it_grows(ctx, drain):
    ingest.accept(ctx, outage_posts(15))
    drain()
    ingest.accept(ctx, outage_posts(15, start=T0 + 450, prefix="more"))
    drain()
    alerts = ctx.store.alerts()
    assert len(alerts) == 1 and alerts[0].current > 15


def test_alert_resolves_when_quiet(ctx, drain):
    ingest.accept(ctx, outage_posts(20))
    drain()
    later = [Post("generic", "late", "fb_telvia", "Alles gut, danke!", T0 + 4 * 3600)]
    ingest.accept(ctx, later)
    drain()
    [alert] = ctx.store.alerts()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at == T0 + 4 * 3600


def test_ack_from_chat_is_recorded_once(ctx, drain):
    ingest.accept(ctx, outage_posts())
    drain()
    [alert] = ctx.store.alerts()
    first = commands.handle(ctx, commands.Request(f"ack {alert.id}", "aylin.demir", "network"))
    second = commands.handle(ctx, commands.Request(f"bestätige {alert.id}", "jonas.becker", "network"))
    assert "aylin.demir" in first.text
    assert "schon von aylin.demir" in second.text
    stored = ctx.store.get_alert(alert.id)
    assert stored.status == AlertStatus.ACKNOWLEDGED and stored.acked_by == "aylin.demir" and stored.acked_via == "room"


def test_pseudonymised_authors(ctx, drain):
    post = Post("generic", "a1", "x_support", "Hallo", T0, author_id="user-123", author_name="Kim")
    ingest.accept(ctx, [post])
    stored, _ = ctx.store.get_post("generic:a1")
    assert stored.author_id.startswith("p:") and "user-123" not in stored.author_id


def test_the_companys_own_posts_are_kept_but_not_counted(ctx, drain):
    own = [
        Post("generic", f"own{i}", "x_support", "Störung in Köln: kein Netz, wir arbeiten daran", T0 + i * 30, author_id="u_telviahilfe")
        for i in range(30)
    ]
    ingest.accept(ctx, own)
    drain()
    assert ctx.store.alerts() == []
    stored, scores = ctx.store.get_post("generic:own0")
    assert stored.author_id == "u_telviahilfe" and scores.topic == "network_outage"
