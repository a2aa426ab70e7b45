"""Charts: real PNGs a phone can read, in the reader's language and time zone; kept and served
without a login; drawn only after the text answer, which a failing chart never costs."""

from __future__ import annotations

import html
import io
import logging
import os
import re
import time

import httpx
import numpy as np
import pytest
from PIL import Image

from bot import charts, cli, commands, store, summary
from bot.models import Alert, Severity
from bot.summary import Interval
from tests.conftest import ROOT
from tests.test_summary import outage, write
from tests.test_web import T0, serve

PNG = b"\x89PNG\r\n\x1a\n"
START = T0 - 3600  # 2025-11-16 08:00 UTC: 09:00 in Berlin


def series(start: float = START, count: int = 12, step: int = 300, quiet: int = 4, busy: int = 30) -> list[Interval]:
    """A calm first half against a normal band of 2–8 posts, then a surge of mostly negative posts."""
    out = []
    for k in range(count):
        n = quiet if k < count // 2 else busy
        out.append(Interval(start + k * step, start + (k + 1) * step, n, n // 4 if k < count // 2 else n * 9 // 10, 10.0 * n,
                            normal=5.0, low=2.0, high=8.0))
    return out


def pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes the whole image: a truncated or corrupt PNG fails here
    return np.asarray(image.convert("RGB")).astype(int)


def share_near(rgb: np.ndarray, colour: str, tolerance: int = 40) -> float:
    """The share of pixels within `tolerance` of a colour like '#1f5fa8'."""
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return float((np.abs(rgb - target).sum(axis=2) < tolerance).mean())


def texts(fig) -> list[str]:
    """Every text a figure draws, read from its SVG rendering with text kept as text."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(out, format="svg")
    return [html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in re.findall(r"<text\b[^>]*>(.*?)</text>", out.getvalue(), re.S)]


def tick_labels(fig) -> list[str]:
    """The x tick labels of the lower panel (the one that shows them), left to right."""
    return [t.get_text() for t in fig.axes[-1].get_xticklabels()]


# --- the images --------------------------------------------------------------------------------

def test_volume_is_a_phone_sized_png_that_shows_posts_band_negative_share_and_alerts():
    chart = charts.volume(series(), "de", "Europe/Berlin", "Netzstörung · 09:00–10:00", [(START + 1860, "#12")])
    assert chart.name == "volume.png" and chart.png.startswith(PNG)
    rgb = pixels(chart.png)
    assert rgb.shape == (560, 1000, 3)  # readable on a phone, light enough for any chat
    assert 5_000 < len(chart.png) < 300_000
    assert rgb.std() > 20  # not blank
    assert 0.03 < float((rgb.sum(axis=2) < 700).mean()) < 0.5  # ink on a mostly white ground
    assert share_near(rgb, charts.POSTS) > 0.003  # the posts line
    assert share_near(rgb, charts.BAND, 12) > 0.01  # the normal band
    assert share_near(rgb, charts.NEGATIVE) > 0.01  # the negative share bars
    assert share_near(rgb, charts.ALERT) > 0.0005  # the alert marker
    plain = charts.volume(series(), "de", "Europe/Berlin", "Netzstörung · 09:00–10:00")
    assert share_near(pixels(plain.png), charts.ALERT) < 0.0001  # ... which is gone without an alert
    assert chart.alt == ("Netzstörung · 09:00–10:00: Beiträge je 5 min (09:00–10:00, höchstens 30 um 09:30) gegen den "
                         "üblichen Bereich (grau); darunter der Anteil negativer Beiträge; Alarm #12")


def test_bars_are_largest_first_at_most_ten_with_the_negative_part_stacked():
    rows = [(f"Ort {i}", 10 + i, i) for i in range(12)] + [("ohne erkennbare Region", 5, 0)]
    chart = charts.bars(rows, "de", "Regionen: Netzstörung")
    rgb = pixels(chart.png)
    assert rgb.shape[1] == 1000 and 300 <= rgb.shape[0] <= 560
    assert share_near(rgb, charts.NEGATIVE) > 0.005 and share_near(rgb, charts.OTHER) > 0.005
    assert chart.alt == ("Regionen: Netzstörung: Ort 11 21 (11 negativ), Ort 10 20 (10 negativ), Ort 9 19 (9 negativ), "
                         "Ort 8 18 (8 negativ), Ort 7 17 (7 negativ)")
    fig = charts.bars_figure(rows, "de", "Regionen")
    ax = fig.axes[0]
    by_height = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in by_height] == [f"Ort {i}" for i in range(11, 1, -1)]  # ten, the largest on top
    negative, rest = ax.containers
    top_down = lambda bars: sorted(bars, key=lambda b: -b.get_y())  # noqa: E731
    assert [b.get_width() for b in top_down(negative)] == list(range(11, 1, -1))
    assert [b.get_x() + b.get_width() for b in top_down(rest)] == list(range(21, 11, -1))  # stacked: the whole count
    few = charts.bars([("Berlin", 3, 0), ("Köln/Bonn", 12, 11)], "en", "Regions")
    assert few.alt == "Regions: Köln/Bonn 12 (11 negative), Berlin 3"
    assert pixels(few.png).shape[0] < 560  # two bars need less height than ten


def test_labels_and_numbers_are_in_the_readers_language():
    big = series(busy=1500, quiet=400)
    de = texts(charts.volume_figure(big, "de", "Europe/Berlin", "Netzstörung"))
    en = texts(charts.volume_figure(big, "en", "Europe/Berlin", "Network outage"))
    for words in ("Beiträge je 5 min", "Beiträge", "normal", "% negativ", "100 %", "1.500", "Netzstörung"):
        assert words in de
    for words in ("posts per 5 min", "posts", "normal", "% negative", "100%", "1,500", "Network outage"):
        assert words in en
    assert not {"posts", "% negative", "1,500"} & set(de) and not {"Beiträge", "100 %", "1.500"} & set(en)
    bars_de = texts(charts.bars_figure([("Köln/Bonn", 1200, 900), ("Berlin", 80, 0)], "de", "Regionen"))
    bars_en = texts(charts.bars_figure([("Köln/Bonn", 1200, 900), ("Berlin", 80, 0)], "en", "Regions"))
    assert "1.200 (900 negativ)" in bars_de and "Beiträge, davon negativ (rot)" in bars_de
    assert "1,200 (900 negative)" in bars_en and "posts, of which negative (red)" in bars_en


@pytest.mark.parametrize("tz, labels", [
    ("Europe/Berlin", ["09:00", "09:30", "10:00", "10:30", "11:00"]),
    ("UTC", ["08:00", "08:30", "09:00", "09:30", "10:00"]),
    ("America/New_York", ["03:00", "03:30", "04:00", "04:30", "05:00"]),
    ("Asia/Kathmandu", ["14:00", "14:30", "15:00", "15:30"]),  # UTC+5:45: ticks still on round local times
])
def test_time_axis_is_in_the_configured_time_zone(tz, labels):
    two_hours = series(count=24)
    fig = charts.volume_figure(two_hours, "en", tz, "x")
    assert tick_labels(fig) == labels
    assert [t for t in texts(fig) if re.fullmatch(r"\d\d:\d\d", t)] == labels


def test_windows_over_a_day_are_labelled_by_local_weekday():
    days = series(start=T0 - 9 * 3600, count=72, step=3600)  # from Sunday 01:00 in Berlin
    assert tick_labels(charts.volume_figure(days, "de", "Europe/Berlin", "x")) == ["Mo 17.", "Di 18.", "Mi 19."]
    assert tick_labels(charts.volume_figure(days, "en", "Europe/Berlin", "x")) == ["Mon 17", "Tue 18", "Wed 19"]
    assert tick_labels(charts.volume_figure(days, "en", "America/Los_Angeles", "x")) == ["Sun 16", "Mon 17", "Tue 18"]


# --- charts of a summary -----------------------------------------------------------------------

def _alert(ctx, started_at: float) -> Alert:
    alert = Alert(id=ctx.store.new_alert_id(), fingerprint="fp-outage", rule="outage", severity=Severity.CRITICAL,
                  departments=["network"], labels={"topic": "network_outage", "region": "koeln_bonn"}, summary={},
                  current=30, baseline=3, window_s=900, started_at=started_at, updated_at=started_at, created_wall=time.time())
    ctx.store.save_alert(alert, 3600)
    return alert


def test_a_summary_carries_its_volume_and_its_regions(ctx):
    write(ctx, outage("k", T0, 40) + outage("b", T0 + 30, 6, region="berlin", negative=False))
    alert = _alert(ctx, T0 + 1200)
    s = summary.build(ctx, "network_outage", None, 3600)
    volume, regions = charts.for_summary(ctx.cfg, s, "de")
    assert (volume.name, regions.name) == ("volume.png", "regions.png")
    assert volume.alt.startswith("Netzstörung · 09:40–10:40: Beiträge je 5 min") and volume.alt.endswith(f"Alarm #{alert.id}")
    assert regions.alt == "Regionen: Netzstörung · 09:40–10:40: Köln/Bonn 40 (40 negativ), Berlin 6"
    assert all(pixels(c.png).shape[1] == 1000 for c in (volume, regions))
    en = charts.for_summary(ctx.cfg, s, "en")
    assert en[1].alt == "Regions: Network outage · 09:40–10:40: Köln/Bonn 40 (40 negative), Berlin 6"
    both = summary.build(ctx, "network_outage", "koeln_bonn", 3600)
    assert [c.name for c in charts.for_summary(ctx.cfg, both, "en")] == ["volume.png"]  # one place: nothing to compare
    region = summary.build(ctx, None, "berlin", 3600)
    assert [c.name for c in charts.for_summary(ctx.cfg, region, "en")] == ["volume.png"]  # one topic there


def test_summary_answers_draw_their_charts_only_when_looked_at(ctx, monkeypatch):
    write(ctx, outage("k", T0, 20))
    drawn = []
    real = charts.for_summary
    monkeypatch.setattr(charts, "for_summary", lambda *a: drawn.append(a) or real(*a))
    reply = commands.handle(ctx, commands.Request("Zusammenfassung Netzausfall", "anna", "network", "test"))
    assert reply.text.startswith("🟢 Normal – Netzstörung") and drawn == []  # the text is ready before any chart is drawn
    assert [c.name for c in reply.charts] == ["volume.png"] and len(drawn) == 1
    assert len(reply.charts) == 1 and len(drawn) == 1  # drawn once
    more = commands.handle(ctx, commands.Request("mehr", "anna", "network", "test"))
    assert "Verlauf" in more.text and [c.name for c in more.charts] == ["volume.png"]
    assert list(commands.handle(ctx, commands.Request("hilfe", "anna", "network", "test")).charts) == []


def test_a_chart_that_fails_is_logged_and_the_text_still_goes_out(ctx, monkeypatch, caplog):
    write(ctx, outage("k", T0, 20))

    def broken(*args):
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(charts, "for_summary", broken)
    reply = commands.handle(ctx, commands.Request("summary outage", "anna", "security", "test"))
    assert reply.text.startswith("🟢 Normal – Network outage")
    with caplog.at_level(logging.ERROR, logger="sitroom.charts"):
        assert list(reply.charts) == [] and not reply.charts
    assert "charts could not be drawn" in caplog.text and "no fonts today" in caplog.text


# --- kept and served ---------------------------------------------------------------------------

def test_kept_charts_are_served_without_a_login_and_unknown_ones_are_404(ctx):
    from bot.web import create_app

    chart = charts.volume(series(), "en", "UTC", "x")
    path = charts.keep(ctx, chart)
    chart_id = re.fullmatch(r"/charts/([0-9a-f]{32})\.png", path).group(1)
    assert charts.keep(ctx, chart) != path  # a fresh random id each time
    ttl = ctx.redis.ttl(store.CHART.format(id=chart_id))
    assert 30 * 86400 - 60 < ttl <= 30 * 86400
    with serve(create_app(ctx)) as url, httpx.Client(base_url=url, trust_env=False, timeout=10) as http:
        got = http.get(path)  # no room token, no cookie
        assert got.status_code == 200 and got.content == chart.png
        assert got.headers["content-type"] == "image/png"
        assert got.headers["cache-control"].startswith("private") and "max-age=2592000" in got.headers["cache-control"]
        for wrong in ("/charts/" + "0" * 32 + ".png", "/charts/" + chart_id.upper() + ".png", "/charts/" + chart_id[:-1] + ".png",
                      "/charts/" + chart_id + ".svg", "/charts/..%2Fsecret.png"):
            assert http.get(wrong).status_code == 404, wrong


# --- sitroom ask -------------------------------------------------------------------------------

def test_sitroom_ask_prints_the_answer_and_the_path_of_each_chart(ctx, redis_url, tmp_path, capsys, monkeypatch):
    write(ctx, outage("k", T0, 30) + outage("b", T0 + 30, 5, region="berlin"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SITROOM_CONFIG", os.path.join(ROOT, "config.yaml"))  # restored afterwards: --config sets it
    folder = tmp_path / "charts"
    argv = ["--config", os.path.join(ROOT, "config.yaml"), "ask", "summary outage", "--charts-dir", str(folder)]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("🟢 Normal – Network outage")
    paths = lines[-2:]
    assert [os.path.dirname(p) for p in paths] == [str(folder)] * 2
    assert re.fullmatch(r"sitroom-volume-\d{8}-\d{6}\.png", os.path.basename(paths[0]))
    assert re.fullmatch(r"sitroom-regions-\d{8}-\d{6}\.png", os.path.basename(paths[1]))
    volume, regions = (pixels(open(p, "rb").read()) for p in paths)
    assert volume.shape == (560, 1000, 3) and regions.shape[1] == 1000
    assert cli.main(argv) == 0  # again, within the same second or not: nothing is overwritten
    again = capsys.readouterr().out.splitlines()[-2:]
    assert not set(again) & set(paths) and len(os.listdir(folder)) == 4
    assert cli.main(argv[:3] + ["help", "--charts-dir", str(folder)]) == 0  # no summary, no chart
    assert len(os.listdir(folder)) == 4
