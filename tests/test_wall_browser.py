"""Wall screen and report pages in Chromium: a TV at 1920×1080, a phone at 360 px, and the pages staff use.

Screenshots go to test-artifacts/ (wall-tv-*.png, wall-phone.png, report-*.png, report-schedules-*.png,
report-walls-*.png) to be looked at.
"""

from __future__ import annotations

from typing import Any

import pytest

from harken.reports import views, walls
from harken.reports.models import WallLink
from tests.conftest import Org, screenshot
from tests.test_reports_executive import quarters  # noqa: F401 - the hand-built dataset fixture
from tests.test_wall import screen  # noqa: F401 - a wall link on North 1 with praise


@pytest.fixture
def fast_slides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "WALL_SLIDE_SECONDS", 1)


def test_the_wall_fills_a_tv_and_rotates_its_slides(
    screen: WallLink,  # noqa: F811
    page: Any,
    fast_slides: None,
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"/wall/{walls.token(screen)}/")
    score = page.locator(".slide.active")
    assert score.get_attribute("aria-label") == "Our NPS"
    assert page.get_by_test_id("wall-nps").inner_text() == "+20.0"
    assert page.get_by_test_id("wall-rank").inner_text() == "#2"
    size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size == [1920, 1080]  # one screen, no scrolling
    font = page.get_by_test_id("wall-nps").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 300  # readable across a room
    screenshot(page, "wall-tv-score")
    page.wait_for_selector('.slide.active[aria-label="Our trend"]', timeout=5000)
    screenshot(page, "wall-tv-trend")
    page.wait_for_selector('.slide.active[aria-label="What customers say"]', timeout=5000)
    screenshot(page, "wall-tv-praise")
    assert (
        "[email]" in page.locator(".slide.active").inner_text()
        or "friendly" in page.locator(".slide.active").inner_text()
    )


def test_the_wall_works_on_a_phone(screen: WallLink, page: Any) -> None:  # noqa: F811
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/wall/{walls.token(screen)}/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert page.get_by_test_id("wall-nps").is_visible()
    screenshot(page, "wall-phone")


def test_a_revoked_wall_says_so(screen: WallLink, page: Any) -> None:  # noqa: F811
    token = walls.token(screen)
    WallLink.objects.filter(pk=screen.pk).update(revoked_at="2026-01-01T00:00:00Z")
    page.set_viewport_size({"width": 1920, "height": 1080})
    response = page.goto(f"/wall/{token}/")
    assert response is not None and response.status == 410
    assert "switched off" in page.get_by_test_id("wall-problem").inner_text()
    screenshot(page, "wall-tv-revoked")


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (360, "phone")])
def test_the_report_page_reads_well(
    quarters: Org,  # noqa: F811
    browser_login: Any,
    width: int,
    name: str,
) -> None:
    page = browser_login("analyst")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/reports/?unit={quarters.acme.pk}&period=quarter:2024-07-01")
    assert page.get_by_test_id("report-nps").inner_text() == "+36.7"
    assert page.locator("#story").get_by_text("It rose by 34.4 points").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(page, f"report-{name}")
    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()
    assert download.value.suggested_filename == "harken-report-acme-q3-2024.pdf"


@pytest.mark.parametrize(("width", "name"), [(1280, "desktop"), (360, "phone")])
def test_the_schedules_and_walls_pages_read_well(
    screen: WallLink,  # noqa: F811
    browser_login: Any,
    width: int,
    name: str,
) -> None:
    page = browser_login("manager")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/reports/schedules/")
    page.get_by_label("Name").fill("North monthly")
    page.get_by_label("Unit (with everything under it)").select_option(label="\u2003North")
    page.get_by_label("How often").select_option("month")
    page.get_by_label("Other email addresses").fill("ops@acme.example\nwrong")
    page.get_by_role("button", name="Create schedule").click()
    assert page.get_by_text("Line 2: 'wrong' is not an email address.").is_visible()
    page.get_by_label("Other email addresses").fill("ops@acme.example")
    page.get_by_role("button", name="Create schedule").click()
    page.get_by_role("link", name="North monthly").wait_for()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
    screenshot(page, f"report-schedules-{name}")
    page.goto("/reports/walls/")
    assert page.get_by_role("heading", name="Break room TV").is_visible()
    assert page.get_by_label("Link for Break room TV").input_value().endswith(f"/wall/{walls.token(screen)}/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
    screenshot(page, f"report-walls-{name}")
