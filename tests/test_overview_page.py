"""The overview page: NPS with n and interval, by touchpoint and by unit, scoped to the viewer, per period.

Expected values are worked out by hand in the ``org`` fixture's docstring (tests/conftest.py).  The page
writes negative numbers with a real minus sign (−).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.conftest import screenshot


class OverviewPage(HTMLParser):
    """The numbers the page shows: headline values by ``data-testid`` and table rows by table id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._testid: str | None = None
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("data-testid"):
            self._testid = attributes["data-testid"]
            self.values[self._testid] = ""
        if tag == "table":
            self._table = attributes.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag in ("p", "span"):
            self._testid = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._testid is not None:
            self.values[self._testid] += data.strip()

    def rows(self, table_id: str) -> list[list[str]]:
        """Body rows of a table as [label, NPS, interval, n] (the header row and the split bar left out)."""
        return [row[:4] for row in self.tables[table_id][1:]]

    @property
    def headline(self) -> tuple[str, str, str]:
        return self.values["headline-nps"], self.values["headline-interval"], self.values["headline-n"]


def overview(client, query: str = "") -> OverviewPage:
    response = client.get("/" + query)
    assert response.status_code == 200
    return OverviewPage(response.content.decode())


def test_it_sends_anonymous_visitors_to_the_login_page(client, org):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_it_shows_the_analyst_the_overall_nps_with_n_and_interval(login, org):
    page = overview(login("analyst"))
    # (17 promoters − 8 detractors) / 31 = +29.0; adjusted-Wald [−1.8, +54.8]; the skipped score is not in n.
    assert page.headline == ("+29.0", "[−1.8, +54.8]", "31")


def test_it_states_the_margin_of_error_and_the_scope(login, org):
    html = login("analyst").get("/").content.decode()
    assert "margin of error ±29.9" in html  # 1.959964 · 100 · √(0.72216 / 31)
    assert "Acme · Last 12 months" in html


def test_it_lists_touchpoints_in_journey_order(login, org):
    page = overview(login("analyst"))
    assert page.rows("by-touchpoint") == [
        ["Purchase", "+66.7", "[+24.9, +86.2]", "15"],  # (11 − 1) / 15
        ["Delivery", "+9.1", "[−38.1, +52.4]", "11"],  # (5 − 4) / 11
        ["Support", "−40.0", "[−79.8, +29.8]", "5"],  # (1 − 3) / 5
    ]


def test_it_lists_the_regions_under_the_company(login, org):
    page = overview(login("analyst"))
    assert page.rows("by-unit") == [
        ["North", "+9.5", "[−25.7, +42.3]", "21"],  # (9 − 7) / 21
        ["South", "+70.0", "[+14.7, +93.0]", "10"],  # (8 − 1) / 10
    ]


def test_it_gives_the_manager_their_region_split_by_store(login, org):
    page = overview(login("manager"))
    assert page.headline == ("+9.5", "[−25.7, +42.3]", "21")
    assert page.rows("by-unit") == [
        ["North 1", "+20.0", "[−30.3, +61.1]", "10"],  # (5 − 3) / 10
        ["North 2", "0.0", "[−43.2, +43.2]", "11"],  # (4 − 4) / 11
    ]


def test_it_shows_frontline_staff_only_their_own_store(login, org):
    client = login("frontline")
    html = client.get("/").content.decode()
    page = OverviewPage(html)
    assert page.headline == ("+20.0", "[−30.3, +61.1]", "10")
    assert page.rows("by-touchpoint") == [
        ["Purchase", "+40.0", "[−29.8, +79.8]", "5"],  # (3 − 1) / 5
        ["Delivery", "−25.0", "[−72.7, +44.2]", "4"],  # (1 − 2) / 4
        ["Support", "+100.0", "[−48.5, +98.5]", "1"],  # one promoter: the adjusted interval stays wide
    ]
    assert page.rows("by-unit") == [["North 1", "+20.0", "[−30.3, +61.1]", "10"]]
    for elsewhere in ("North 2", "South", "Acme", "+29.0"):
        assert elsewhere not in html


def test_it_refuses_north_to_the_outsider(login, org):
    html = login("outsider").get("/").content.decode()
    page = OverviewPage(html)
    assert page.headline == ("+70.0", "[+14.7, +93.0]", "10")
    assert page.rows("by-unit") == [["South 1", "+70.0", "[+14.7, +93.0]", "10"]]
    assert "North" not in html


def test_it_tells_a_user_without_units_to_ask_for_access(login, org):
    html = login("newcomer").get("/").content.decode()
    assert "You are not a member of any unit yet" in html
    assert 'data-testid="headline-nps"' not in html


def test_it_leaves_responses_older_than_twelve_months_out_by_default(login, org):
    client = login("analyst")
    assert overview(client).headline[2] == "31"
    assert overview(client, "?period=12m").headline[2] == "31"
    assert overview(client, "?period=30d").headline[2] == "31"


def test_it_counts_old_responses_when_asked_for_all_time(login, org):
    page = overview(login("analyst"), "?period=all")
    # Five old 0s join South 1: (17 − 13) / 36 = +11.1 overall, (8 − 6) / 15 = +13.3 for South.
    assert page.headline == ("+11.1", "[−17.8, +38.3]", "36")
    assert page.rows("by-unit")[1] == ["South", "+13.3", "[−31.4, +53.7]", "15"]
    assert '<option value="all" selected>All time</option>' in login("analyst").get("/?period=all").content.decode()


def test_it_falls_back_to_twelve_months_for_an_unknown_period(login, org):
    client = login("analyst")
    assert overview(client, "?period=forever").headline == ("+29.0", "[−1.8, +54.8]", "31")
    assert '<option value="12m" selected>' in client.get("/?period=forever").content.decode()


def test_it_says_so_when_the_period_has_no_scores(login, org):
    from harken.collect.models import Response

    Response.objects.all().delete()
    html = login("analyst").get("/").content.decode()
    assert "No scored responses in this period." in html
    assert "no answers" in html  # each touchpoint row says so instead of showing 0


# --- In a real browser --------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 360])
def test_an_analyst_logs_in_and_reads_the_overview_in_chromium(browser_login, page, width):
    page.set_viewport_size({"width": width, "height": 800})
    browser_login("analyst")
    assert page.get_by_test_id("headline-nps").inner_text() == "+29.0"
    assert page.get_by_test_id("headline-n").inner_text() == "31"
    touchpoints = page.locator("#by-touchpoint tbody th").all_inner_texts()
    assert touchpoints == ["Purchase", "Delivery", "Support"]
    assert page.locator("#by-unit tbody th").all_inner_texts() == ["North", "South"]
    for table in ("#by-touchpoint", "#by-unit"):
        assert page.locator(table).is_visible()
    screenshot(page, f"overview-{width}")


@pytest.mark.browser
def test_the_overview_fits_a_phone_screen_without_sideways_scrolling(browser_login, page):
    page.set_viewport_size({"width": 360, "height": 800})
    browser_login("analyst")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.browser
def test_the_period_picker_switches_to_all_time_in_chromium(browser_login, page):
    browser_login("analyst")
    page.get_by_role("combobox", name="Period").select_option(label="All time")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/?period=all")
    assert page.get_by_test_id("headline-nps").inner_text() == "+11.1"
    assert page.get_by_test_id("headline-n").inner_text() == "36"
