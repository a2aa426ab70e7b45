"""The situation room in a real headless Chromium: live cards, acknowledging, and the chat box."""

from __future__ import annotations

import os

import pytest

from bot import render

from tests.test_web import app, outage, send, server  # noqa: F401 (fixtures)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOT = "/tmp/room.png"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app, server):
    """A fresh browser context inside the room, on the network channel."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="de-DE")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/?token={app.state.room_token}")
    page.wait_for_selector("#departments button")
    page.wait_for_function("document.getElementById('connection').textContent === 'live'")
    yield page
    context.close()
    assert errors == [], f"JavaScript errors in the room: {errors}"


def test_room_shows_alerts_live_and_acknowledges_them(ctx, page, server, drain):
    from playwright.sync_api import expect

    # the token leaves the address bar; the cookie carries it from now on
    assert "token" not in page.url
    channels = page.locator("#departments button").all_inner_texts()
    assert [c.split()[1] for c in channels] == ["network", "devices", "security", "care", "social"]
    expect(page.locator("#org")).to_have_text("Telvia · sitroom")
    expect(page.locator("#channel-title")).to_have_text("# network — Network Operations")
    expect(page.locator("#alerts .empty")).to_have_text("Keine Alarme.")

    import httpx

    with httpx.Client(base_url=server, trust_env=False, timeout=10) as http:
        assert send(http, "/ingest/posts", outage()).status_code == 202
    drain()
    [alert] = ctx.store.alerts()

    # no reload: the card arrives over server-sent events
    card = page.locator(f"#alerts article[data-alert='{alert.id}']")
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator("h3")).not_to_be_empty()
    expect(card.locator(".meta")).to_contain_text("Wo: Köln/Bonn")
    expect(card.locator("blockquote")).to_have_count(3)
    why = render.cards(ctx, alert)["cards"]["de"]["why"]  # why it fired: plain lines under the size, in order
    expect(card.locator(".why li")).to_have_count(len(why))
    assert card.locator(".why li").all_inner_texts() == why
    expect(page.locator("#departments button[data-department='network'] .badge")).to_have_text("1")
    expect(page.locator("#open-count")).to_have_text("1 offen")
    button = card.locator("button.ack")
    expect(button).to_have_text("Bestätigen")

    # another department does not see it
    page.click("#departments button[data-department='security']")
    expect(page.locator("#alerts .empty")).to_have_text("No alerts.")
    page.click("#departments button[data-department='network']")

    page.fill("#me", "aylin.demir")
    card.locator("button.ack").click()
    expect(card.locator(".status-line")).to_contain_text("Bestätigt von aylin.demir", timeout=10_000)
    expect(card.locator("button.ack")).to_have_count(0)
    expect(page.locator("#messages li.bot").last).to_contain_text(f"Alarm #{alert.id} bestätigt von aylin.demir")
    assert ctx.store.get_alert(alert.id).acked_by == "aylin.demir"

    page.fill("#text", "help")
    page.press("#text", "Enter")
    mine = page.locator("#messages li:not(.bot)")
    expect(mine).to_have_count(1, timeout=10_000)
    expect(mine.locator(".from")).to_have_text("aylin.demir")
    expect(mine).to_contain_text("help")
    answer = page.locator("#messages li.bot").last
    expect(answer).to_contain_text("I watch the social-media channels", timeout=10_000)
    expect(answer.locator(".from")).to_have_text("sitroom")
    expect(page.locator("#text")).to_have_value("")

    page.fill("#text", "offene Alarme")
    page.press("#text", "Enter")
    expect(page.locator("#messages li.bot").last).to_contain_text("1 offener Alarm:", timeout=10_000)

    page.screenshot(path=SCREENSHOT, full_page=True)


def test_a_summary_shows_its_charts_in_the_chat(ctx, page, server):
    from playwright.sync_api import expect

    from tests.test_summary import outage, write
    from tests.test_web import T0

    write(ctx, outage("k", T0, 20) + outage("b", T0, 4, region="berlin"))
    page.fill("#me", "aylin.demir")
    page.fill("#text", "Zusammenfassung Netzausfall")
    page.press("#text", "Enter")
    images = page.locator("#messages li.bot img")
    expect(images).to_have_count(2, timeout=15_000)
    expect(page.locator("#messages li.bot").filter(has_text="Netzstörung").first).to_be_visible()
    for i in range(2):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle(), timeout=10_000)
    assert images.evaluate_all("imgs => imgs.map(i => [i.naturalWidth, i.naturalHeight])")[0] == [1000, 560]
    alts = images.evaluate_all("imgs => imgs.map(i => i.alt)")
    assert alts[0].startswith("Netzstörung · ") and alts[1].startswith("Regionen: Netzstörung")
    src = images.first.get_attribute("src")
    assert src.startswith("/charts/") and src.endswith(".png")
    [message] = [m for m in ctx.store.chat_history("network") if m.get("images")]
    assert [i["url"] for i in message["images"]][0] == src  # kept in the history: a reload shows them again
    page.screenshot(path="/tmp/room-charts.png", full_page=True)


def test_a_report_message_links_to_its_page(ctx, page):
    from playwright.sync_api import expect

    from bot import notify

    notify.room(ctx, "network", {"from": "sitroom", "text": "📋 Bericht Network Operations", "bot": True,
                                 "link": "/reports/0123456789abcdef0123456789abcdef"})
    link = page.locator("#messages li.bot a.report")
    expect(link).to_have_text("Bericht öffnen", timeout=10_000)  # the department's language
    assert link.get_attribute("href") == "/reports/0123456789abcdef0123456789abcdef"


def test_asking_without_a_name_asks_for_the_name(ctx, page):
    page.evaluate("localStorage.clear()")
    page.fill("#me", "")
    page.fill("#text", "hilfe")
    page.press("#text", "Enter")
    expect_focus = page.evaluate("document.activeElement.id")
    assert expect_focus == "me"
    assert page.get_attribute("#me", "placeholder") == "Bitte Namen eingeben"
    assert ctx.store.chat_history("network") == []


def test_room_catches_up_after_the_server_was_away(ctx, browser, app, drain):
    """Alert changes made while the page had no connection show up once it reconnects."""
    from playwright.sync_api import expect

    from bot import ingest
    from bot.models import Post
    from tests.test_web import T0, serve

    context = browser.new_context()
    page = context.new_page()
    try:
        with serve(app) as url:
            port = int(url.rsplit(":", 1)[1])
            page.goto(f"{url}/?token={app.state.room_token}")
            expect(page.locator("#connection")).to_have_text("live")
        expect(page.locator("#connection")).to_have_text("verbinde neu…", timeout=10_000)  # network is a German department
        posts = [Post("generic", f"o{i}", "x_support", f"Kein Netz in Köln seit {i} Minuten!", T0 + i * 30) for i in range(30)]
        ingest.accept(ctx, posts)
        drain()
        [alert] = ctx.store.alerts()
        with serve(app, port=port):
            expect(page.locator("#connection")).to_have_text("live", timeout=15_000)
            expect(page.locator(f"#alerts article[data-alert='{alert.id}']")).to_be_visible(timeout=5_000)
    finally:
        context.close()
