"""Theme pages in Chromium: the key-drivers chart and comment search, at phone and desktop widths."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from harken.collect.models import Response
from harken.surveys.models import Question
from tests.conftest import Org, screenshot
from tests.test_dashboard_browser import watch_errors

pytestmark = pytest.mark.browser

COMMENTS = [
    "Waited twenty minutes at the till, only one checkout open",
    "Staff were friendly and helped me find the right size",
    "Prices went up again, the loyalty discount barely helps",
    "Delivery was late and nobody called to say why",
    "Quick checkout, lovely staff, will come back",
    "The queue at the returns desk was far too long",
    "Great range of organic products",
    "Late delivery twice this month; the driver was polite though",
    "Could not find anyone to help in the garden section",
    "Clean store, short queues, good value",
]


@pytest.fixture
def survey_data(org: Org) -> None:
    """240 more answers whose score depends mostly on waiting, then staff, a little on price, not on range."""
    drivers = {"wait": "Waiting time", "staff": "Staff", "price": "Price", "range": "Product range"}
    for key, label in drivers.items():
        Question.objects.create(survey=org.survey, key=key, kind="rating_1_5", text=f"{label}?", driver=label)
    rng = random.Random(3)
    units = [org.north_1, org.north_2, org.south_1]
    now = timezone.now()
    rows = []
    for i in range(240):
        wait = rng.choices([1, 2, 3, 4, 5], [3, 4, 3, 2, 1])[0]
        staff = rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 5])[0]
        price = rng.randint(1, 5)
        assortment = rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 3])[0]
        score = round(-1.0 + 1.25 * wait + 0.7 * staff + 0.25 * price + rng.gauss(0, 1.2))
        rows.append(
            Response(
                survey=org.survey,
                unit=units[i % 3],
                touchpoint=org.purchase if i % 2 else org.delivery,
                score=max(0, min(10, score)),
                answers={"wait": wait, "staff": staff, "price": price, "range": assortment},
                comment=COMMENTS[i % len(COMMENTS)] if i % 3 == 0 else "",
                submitted_at=now - dt.timedelta(days=1 + i % 60, hours=i % 7),
            )
        )
    Response.objects.bulk_create(rows)


def test_the_key_drivers_chart_shows_what_to_fix_first(browser_login: Any, page: Any, survey_data: None) -> None:
    errors = watch_errors(page)
    browser_login("analyst")
    page.goto("/themes/drivers/?period=12m")
    page.wait_for_selector('[data-chart="drivers"][data-drawn] svg')
    assert "Fix first: Waiting time" in page.locator(".reading").inner_text()
    assert page.locator('[data-chart="drivers"] svg text', has_text="Product range (n.s.)").count() == 1
    screenshot(page, "text-drivers-desktop")
    page.set_viewport_size({"width": 360, "height": 760})
    page.reload()
    page.wait_for_selector('[data-chart="drivers"][data-drawn] svg')
    screenshot(page, "text-drivers-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []


def test_searching_comments_marks_the_matches_and_keeps_the_url(
    browser_login: Any, page: Any, org: Org, survey_data: None
) -> None:
    errors = watch_errors(page)
    browser_login("manager")  # North only
    page.goto("/themes/search/")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Find comments with").fill('"late delivery" OR queue*')
    page.get_by_label("Find comments with").press("Enter")
    page.wait_for_url("**/themes/search/?period=12m&q=*")
    assert page.evaluate("window.stillTheSamePage") is True  # swapped by htmx
    heading = page.locator("#hits-title").inner_text()
    # Comments are on i = 0, 3, … 237 (80, all in North 1), cycling evenly through the ten texts (8 each);
    # three match: "The queue at …", "Late delivery twice …", "… short queues …" → 24.
    assert heading.startswith("1–20 of 24 comments")
    assert page.locator(".search-hits mark").first.inner_text().lower() in {"late delivery", "queue", "queues"}
    screenshot(page, "text-search-desktop")
    page.set_viewport_size({"width": 360, "height": 760})
    page.reload()
    screenshot(page, "text-search-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []


def test_the_discovery_page_names_its_method(browser_login: Any, page: Any, survey_data: None) -> None:
    errors = watch_errors(page)
    browser_login("analyst")
    page.goto("/themes/discover/?period=12m&method=tfidf")
    assert "Grouped by TF-IDF + k-means (scikit-learn)." in page.locator(".method").inner_text()
    screenshot(page, "text-discover-desktop")
    page.set_viewport_size({"width": 360, "height": 760})
    page.reload()
    screenshot(page, "text-discover-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert errors == []
