"""A report page in a real headless Chromium: it loads without a login, its charts load, it fits a phone."""

from __future__ import annotations

import io

from bot import report
from tests.test_report import alert, day  # noqa: F401 (fixture)
from tests.test_room_browser import browser  # noqa: F401 (fixture)

SCREENSHOT = "/tmp/report.png"


def test_the_report_page_renders_with_its_charts_on_a_phone(ctx, day, browser):
    from PIL import Image

    from bot.web import create_app
    from tests.test_web import serve

    start, end = day
    alert(ctx, 1, start + 3 * 3600, dept="social", acked=300, resolved=5400)
    made = report.make(ctx, "social", start, end)
    assert list(made.images) == ["volume", "topic", "region"]
    with serve(create_app(ctx)) as base:
        phone = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="en-GB")
        page = phone.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        response = page.goto(base + made.path, wait_until="load")  # a fresh browser: no cookie, no token
        assert response.status == 200
        assert page.locator("h1").inner_text() == "Report Social Media Team"
        images = page.eval_on_selector_all("img", "els => els.map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt])")
        assert len(images) == 3
        for complete, width, height, alt in images:
            assert complete and width >= 600 and height >= 250 and alt
        # nothing wider than the phone: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.locator("table").first.is_visible()
        assert page.get_by_text("Alert").first.is_visible()
        png = page.screenshot(path=SCREENSHOT, full_page=True)
        phone.close()
    assert errors == []
    shot = Image.open(io.BytesIO(png)).convert("RGB")
    assert shot.width == 780 and shot.height > 2000  # 390 CSS px at twice the density, a long page
    assert len(png) > 100_000
    colours = shot.resize((195, shot.height // 4)).getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50  # charts, text and tables, not a blank page


def test_the_stored_page_404s_for_a_wrong_link_in_the_browser(ctx, browser):
    from bot.web import create_app
    from tests.test_web import serve

    with serve(create_app(ctx)) as base:
        page = browser.new_page()
        response = page.goto(base + "/reports/" + "0" * 32)
        assert response.status == 404 and "No such report" in page.content()
        page.close()
