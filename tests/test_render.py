"""Cards say how big an alert is in words that fit what its rule measures, in both languages."""

from pathlib import Path

from bot import config, render
from bot.models import Alert, Severity

CFG = config.load(Path(__file__).resolve().parent.parent / "config.yaml")


def alert(**kw):
    base = dict(id=7, fingerprint="f", rule="r", severity=Severity.WARNING, departments=["care"],
                labels={"region": "koeln_bonn"}, summary={}, window_s=900, started_at=1_800_000_000)
    return Alert(**{**base, **kw})


def test_counts_shares_and_reach():
    assert render.card(CFG, alert(current=42, baseline=3.5), "en")["size"] == "42 posts in 15m — normally about 3.5"
    share = render.card(CFG, alert(current=0.7, baseline=0.227, measure="share"), "de")
    assert share["size"] == "70 % negative Beiträge in 15m — vorher 23 %"
    reach = render.card(CFG, alert(current=532430, measure="reach"), "de")
    assert reach["size"] == "etwa 532.430 erreichte Menschen in 15m"
    assert render.card(CFG, alert(current=532430, measure="reach"), "en")["size"] == "about 532,430 people reached in 15m"


def test_card_where_title_and_actions():
    card = render.card(CFG, alert(current=12, labels={"region": "koeln_bonn", "topic": "network_outage"}), "de")
    assert card["where"] == "Wo: Köln/Bonn"
    assert card["title"] == "Auffällige Aktivität: Köln/Bonn, Netzstörung"
    assert [a["action"] for a in card["actions"]] == ["ack", "resolve", "mute", "escalate"]
