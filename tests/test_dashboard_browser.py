"""The dashboards in Chromium: htmx filtering, shareable URLs, live refresh, charts, phone and desktop widths."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from harken.collect.models import Response
from tests.conftest import screenshot

pytestmark = pytest.mark.browser


def watch_errors(page) -> list[str]:
    """Collect console errors and uncaught exceptions (a CSP violation shows up here)."""
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response) -> None:  # a missing file, except the browser's own favicon request
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_choosing_a_touchpoint_swaps_the_panels_and_updates_the_url(browser_login, page, org):
    errors = watch_errors(page)
    browser_login("analyst")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Touchpoint", exact=True).select_option(label="Support")
    page.wait_for_url(f"**/?period=12m&touchpoint={org.support.pk}")
    assert page.get_by_test_id("headline-nps").inner_text() == "−40.0"  # (1 − 3) / 5
    assert page.get_by_test_id("headline-n").inner_text() == "5"
    assert page.evaluate("window.stillTheSamePage") is True  # swapped by htmx, not reloaded
    # The scope line and the charts are redrawn on htmx:afterSettle, a tick after the swap itself.
    expect(page.locator('[data-chart="trend"][data-drawn]')).to_have_count(1)
    assert page.locator("#scope-line").inner_text() == "Acme · Last 12 months"
    assert errors == []


def test_a_shared_url_opens_with_its_filters(browser_login, page, org):
    browser_login("analyst")
    page.goto(f"/?period=all&unit={org.south.pk}&touchpoint={org.purchase.pk}")
    assert page.get_by_test_id("headline-nps").inner_text() == "+9.1"  # (6 − 5) / 11 with the old 0s
    assert page.get_by_label("Unit", exact=True).input_value() == str(org.south.pk)
    assert page.get_by_label("Period", exact=True).input_value() == "all"


@override_settings(DASHBOARD_REFRESH_SECONDS=1)
def test_new_responses_appear_without_a_reload(browser_login, page, org):
    browser_login("analyst")
    assert page.get_by_test_id("headline-n").inner_text() == "31"
    page.evaluate("window.stillTheSamePage = true")
    Response.objects.create(survey=org.survey, unit=org.north_1, score=10, comment="Arrived live")
    expect(page.get_by_test_id("headline-n")).to_have_text("32", timeout=10_000)
    assert page.get_by_test_id("headline-nps").inner_text() == "+31.2"  # (18 − 8) / 32 = 31.25
    assert page.get_by_text("Arrived live").is_visible()
    assert page.evaluate("window.stillTheSamePage") is True


@override_settings(MIN_SAMPLE=5)
def test_the_units_page_drills_down_to_the_stores(browser_login, page, org):
    browser_login("analyst")
    page.goto("/units/")
    page.get_by_role("link", name="North", exact=True).first.click()
    page.wait_for_url(f"**unit={org.north.pk}*")
    assert page.locator("#drill-children tbody th").all_inner_texts() == ["North 1", "North 2"]
    assert page.locator("#leaderboard tbody th").all_inner_texts()[:2] == ["North 1", "North 2"]


PAGES = [
    ("analyst", "/", "overview"),
    ("analyst", "/units/?level=store", "units"),
    ("manager", "/goals/", "goals"),
    ("frontline", "/my-unit/", "my-unit"),
]


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize(("user", "url", "name"), PAGES)
def test_every_page_fits_the_screen_and_draws_without_errors(browser_login, page, org, width, user, url, name):
    from harken.dashboards.models import Benchmark, Goal

    today = timezone.localdate()
    Goal.objects.create(unit=org.acme, start=today - dt.timedelta(days=90), end=today, target=35)
    Goal.objects.create(unit=org.north, start=today - dt.timedelta(days=90), end=today, target=20)
    Benchmark.objects.create(name="Retail industry", value=32, source="Example study 2026")
    when = timezone.now() - dt.timedelta(hours=2)
    Response.objects.create(
        survey=org.survey, unit=org.north_1, score=10, comment="Staff were lovely and quick.", submitted_at=when
    )
    errors = watch_errors(page)
    page.set_viewport_size({"width": width, "height": 800})
    browser_login(user)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if page.locator("[data-chart]").count():
        page.wait_for_selector("[data-chart][data-drawn]", state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"dashboard-{name}-{width}")
    assert errors == []


def test_on_a_phone_the_units_tables_stack_instead_of_scrolling_sideways(browser_login, page, org):
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login("analyst")
    page.goto(f"/units/?unit={org.north.pk}&level=store")
    page.wait_for_load_state("networkidle")
    sideways = "Array.from(document.querySelectorAll('.scroll')).filter(e => e.scrollWidth > e.clientWidth + 1)"
    assert page.evaluate(f"{sideways}.length") == 0
    for table in ("#leaderboard", "#drill-children", "#drill-siblings"):
        row = page.locator(f"{table} tbody tr").first
        name, nps, detail = (
            row.locator(part).bounding_box() for part in (".cell-name", ".cell-nps", ".detail >> nth=0")
        )
        assert name and nps and detail
        assert abs(name["y"] - nps["y"]) < 8, table  # the unit and its NPS on the first line …
        assert detail["y"] > name["y"] + name["height"] - 2, table  # … the labelled details below
    # The header row is hidden on a phone, so each detail carries its own label.
    label = page.evaluate(
        "getComputedStyle(document.querySelector('#leaderboard td[data-label=\"n\"]'), '::before').content"
    )
    assert label == '"n "'
    screenshot(page, "units-stacked-360")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator("#leaderboard thead").is_visible()  # a desktop keeps the table
