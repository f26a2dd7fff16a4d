"""A customer answers in a real headless Chromium: phone, keyboard only, no JavaScript, one click, widget, kiosk.

Every page is also photographed at 360 px and desktop width into test-artifacts/collect-*.png.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from harken.collect import links
from harken.collect.models import Response, Widget, WidgetDisplay
from harken.contacts.models import Contact
from harken.distribution.models import Channel, Invitation
from harken.surveys.models import Question
from tests.conftest import screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def eventually(read: Any, expected: Any, seconds: float = 5) -> None:
    """Wait until ``read()`` returns ``expected``: the widget posts its events in the background."""
    import time

    deadline = time.monotonic() + seconds
    while (value := read()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value == expected


def displays(widget: Widget) -> tuple[int, int]:
    """(shown, dismissed) counted today for the widget."""
    row = WidgetDisplay.objects.filter(widget=widget).values_list("shown", "dismissed").first()
    return row if row is not None else (0, 0)


def new_response(**filters: Any) -> Response:
    """The one response made through an anonymous page in this test (the org fixture's have no submission key)."""
    return Response.objects.exclude(submission_key="").get(**filters)


@pytest.fixture
def survey(org: Any) -> Any:
    survey = org.survey
    survey.company_name = "Acme Stores"
    survey.accent_color = "#1f6feb"
    survey.save()
    Question.objects.create(
        survey=survey, key="staff", kind=Question.Kind.RATING_1_5, text="How friendly was our staff?", position=1
    )
    Question.objects.create(
        survey=survey,
        key="fix",
        kind=Question.Kind.SINGLE_CHOICE,
        text="What should we fix first?",
        audience=Question.Audience.DETRACTORS,
        choices=[{"key": "price", "label": "Price"}, {"key": "wait", "label": "Waiting time"}],
        position=2,
    )
    Question.objects.create(
        survey=survey,
        key="loved",
        kind=Question.Kind.MULTIPLE_CHOICE,
        text="What did you like most?",
        audience=Question.Audience.PROMOTERS,
        choices=[{"key": "staff", "label": "Staff"}, {"key": "range", "label": "Range"}],
        position=3,
    )
    return survey


@pytest.fixture
def invitation(org: Any, survey: Any) -> Invitation:
    contact = Contact.objects.create(email="ana@example.com", name="Ana", language="en")
    return Invitation.objects.create(
        survey=survey, contact=contact, unit=org.north_1, channel=Channel.EMAIL, scheduled_at=timezone.now()
    )


def test_a_customer_answers_on_a_phone_without_page_reloads(page: Any, org: Any, survey: Any) -> None:
    page.set_viewport_size(PHONE)
    page.goto(path_of(links.anonymous_url(survey, org.south_1)))
    page.evaluate("window.__sameDocument = true")
    screenshot(page, "collect-score-phone")
    assert page.locator("fieldset.nps legend").inner_text() == (
        "How likely are you to recommend us to a friend or colleague?"
    )
    page.get_by_role("button", name="9", exact=True).click()
    page.get_by_role("heading", name="What is the main reason for your score?").wait_for()
    assert page.evaluate("window.__sameDocument") is True  # swapped in, not reloaded
    assert "/a/" in page.url and page.url.count("/") == 6  # the details step has its own address
    assert new_response(unit=org.south_1).score == 9
    page.get_by_label("What is the main reason for your score?").fill("Friendly and quick.")
    page.get_by_role("group", name="How friendly was our staff?").get_by_label("5", exact=True).check()
    page.get_by_label("Range").check()
    screenshot(page, "collect-details-phone")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Thank you!").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "collect-thanks-phone")
    stored = new_response(unit=org.south_1)
    assert (stored.score, stored.comment, stored.answers) == (
        9,
        "Friendly and quick.",
        {"staff": 5, "loved": ["range"]},
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sticks out sideways


def test_a_customer_answers_with_the_keyboard_only(page: Any, org: Any, survey: Any) -> None:
    page.goto(path_of(links.anonymous_url(survey, org.north_2)))

    def tab_to(predicate: str, limit: int = 30) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to("el.classList.contains('score') && el.value === '4'")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    screenshot(page, "collect-score-keyboard-focus-desktop")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="What is the main reason for your score?").wait_for()
    assert page.evaluate("document.activeElement.tagName") == "H1"  # focus moved to the new step
    tab_to("el.id === 'comment'")
    page.keyboard.type("Too slow at the till.")
    tab_to("el.name === 'q_fix' && el.value === 'price'")
    page.keyboard.press("ArrowDown")  # radio group: the arrow selects the next option
    tab_to("el.type === 'submit'")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you!").wait_for()
    stored = new_response(unit=org.north_2)
    assert (stored.score, stored.comment, stored.answers) == (4, "Too slow at the till.", {"fix": "wait"})


def test_a_customer_answers_with_javascript_disabled(browser: Any, live_server: Any, org: Any, survey: Any) -> None:
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(path_of(links.anonymous_url(survey, org.north_1)))
        page.get_by_role("button", name="10", exact=True).click()
        page.get_by_role("heading", name="What is the main reason for your score?").wait_for()
        assert page.url.endswith("/?lang=en") and page.url.count("/") == 6
        page.get_by_label("What is the main reason for your score?").fill("Works without scripts.")
        page.get_by_label("Staff").check()
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Thank you!").wait_for()
        assert page.url.endswith("/thanks/?lang=en")
        assert page.get_by_role("heading", name="Thank you!").is_visible()
    finally:
        context.close()
    stored = new_response(unit=org.north_1)
    assert (stored.score, stored.comment, stored.answers) == (10, "Works without scripts.", {"loved": ["staff"]})


# Headless Chromium says "HeadlessChrome", which mail scanners that open links in a browser also say
# (harken.collect.scanners): tests of a customer's clicks present an ordinary phone browser.
PHONE_BROWSER = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
}


def test_an_email_score_link_records_at_once_and_another_click_updates_it(page: Any, invitation: Invitation) -> None:
    page.set_extra_http_headers(PHONE_BROWSER)
    page.set_viewport_size(PHONE)
    page.goto(path_of(links.score_url(invitation, 3)))
    page.get_by_text("your score of 3 is saved").wait_for()
    assert Response.objects.get(invitation=invitation).score == 3  # saved before anything else is answered
    assert page.get_by_role("group", name="What should we fix first?").is_visible()
    screenshot(page, "collect-one-click-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "collect-one-click-desktop")
    page.goto(path_of(links.score_url(invitation, 8)))
    page.get_by_text("your score of 8 is saved").wait_for()
    assert list(Response.objects.filter(invitation=invitation).values_list("score", flat=True)) == [8]
    page.get_by_role("link", name="Change score").click()
    page.get_by_role("button", name="8", exact=True).wait_for()
    assert page.get_by_role("button", name="8", exact=True).get_attribute("aria-pressed") == "true"
    screenshot(page, "collect-change-score-desktop")


def test_a_tampered_link_shows_a_friendly_page(page: Any, invitation: Invitation) -> None:
    url = path_of(links.score_url(invitation, 9))
    signed = url.split("/")[2]
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(viewport)
        answer = page.goto(url.replace(signed, signed[:-4] + "XXXX"))
        assert answer.status == 400
        assert page.get_by_role("heading", name="This survey link does not work").is_visible()
        screenshot(page, f"collect-bad-link-{name}")
    assert not Response.objects.filter(invitation=invitation).exists()


def test_every_step_looks_right_in_french_at_both_sizes(page: Any, invitation: Invitation) -> None:
    Contact.objects.filter(pk=invitation.contact_id).update(language="fr")
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(viewport)
        page.goto(path_of(links.survey_url(invitation)) + "?change=1")
        assert page.locator("html").get_attribute("lang") == "fr"
        screenshot(page, f"collect-score-fr-{name}")
    page.get_by_role("button", name="2", exact=True).click()
    page.get_by_role("heading", name="Quelle est la principale raison de votre note ?").wait_for()
    screenshot(page, "collect-details-fr-desktop")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_role("heading", name="Merci !").wait_for()
    screenshot(page, "collect-thanks-fr-desktop")
    assert Response.objects.get(invitation=invitation).language == "fr"


def test_the_kiosk_resets_for_the_next_customer(page: Any, org: Any, survey: Any, monkeypatch: Any) -> None:
    from harken.collect import views

    monkeypatch.setattr(views, "KIOSK_RESET_SECONDS", 1)
    page.set_viewport_size({"width": 1024, "height": 768})  # a tablet on a counter
    start = path_of(links.kiosk_url(survey, org.north_1))
    page.goto(start)
    screenshot(page, "collect-kiosk-tablet")
    for score, comment in ((7, "First customer"), (10, "")):
        page.get_by_role("button", name=str(score), exact=True).click()
        page.get_by_role("button", name="Send").wait_for()
        if comment:
            page.get_by_label("What is the main reason for your score?").fill(comment)
        page.get_by_role("button", name="Send").click()
        page.get_by_role("heading", name="Thank you!").wait_for()
        if score == 7:
            screenshot(page, "collect-kiosk-thanks-tablet")
        page.wait_for_url(lambda url: url.endswith(f"{start}?lang=en"), timeout=5000)  # back to the start
        page.get_by_role("button", name="0", exact=True).wait_for()
    kiosk = Response.objects.filter(survey=survey, channel="kiosk").order_by("pk")
    assert [(r.score, r.comment, r.unit_id) for r in kiosk] == [
        (7, "First customer", org.north_1.pk),
        (10, "", org.north_1.pk),
    ]


# --- The widget, embedded in a page served from another origin ----------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def shop(tmp_path: Path, live_server: Any) -> Iterator[dict[str, Any]]:
    """A customer's website on its own origin (127.0.0.1:PORT, while Harken is on localhost:PORT)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    assert origin.split(":")[1] != live_server.url.split(":")[1]

    def publish(name: str, widget: Widget, identify: bool = True) -> str:
        (tmp_path / "site.js").write_text(
            'window.addEventListener("load", function () { Harken.identify({id: "C-77", email: "kim@example.com",'
            ' name: "Kim", attributes: {plan: "pro"}}); });'
        )
        (tmp_path / name).write_text(
            "<!doctype html><html><head><meta name=viewport content='width=device-width'><title>Shop</title></head>"
            "<body style='font-family:sans-serif'><h1>Acme web shop</h1><p>Your order is on its way.</p>"
            + ('<script src="site.js"></script>' if identify else "")
            + f'<script src="{live_server.url}/static/collect/widget.js" data-survey="{widget.key}" async></script>'
            "</body></html>"
        )
        return f"{origin}/{name}"

    yield {"origin": origin, "publish": publish}
    server.shutdown()


def test_the_widget_on_another_origin_records_shown_and_the_answer(page: Any, org: Any, survey: Any, shop: Any) -> None:
    widget = Widget.objects.create(
        survey=survey, unit=org.south_1, name="Web shop", allowed_origins=shop["origin"], delay_seconds=0
    )
    url = shop["publish"]("index.html", widget)
    page.set_viewport_size(PHONE)
    page.goto(url)
    prompt = page.locator("[data-harken-widget]")
    prompt.get_by_role("dialog").wait_for()
    screenshot(page, "collect-widget-phone")
    prompt.get_by_role("button", name="8", exact=True).click()
    prompt.get_by_role("textbox", name="What is the main reason for your score?").fill("Fast delivery")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "collect-widget-comment-desktop")
    prompt.get_by_role("button", name="Send").click()
    prompt.get_by_role("heading", name="Thank you!").wait_for()
    stored = Response.objects.get(channel="widget")
    assert (stored.score, stored.comment, stored.unit, stored.survey) == (8, "Fast delivery", org.south_1, survey)
    assert stored.contact is not None
    assert (stored.contact.external_id, stored.contact.email, stored.contact.attributes) == (
        "C-77",
        "kim@example.com",
        {"plan": "pro"},
    )
    eventually(lambda: displays(widget), (1, 0))
    # The same visitor is not asked again within the snooze period.
    page.reload()
    page.wait_for_timeout(800)
    assert page.locator("[data-harken-widget]").count() == 0


def test_the_widget_counts_a_dismissal_and_respects_page_rules(page: Any, org: Any, survey: Any, shop: Any) -> None:
    widget = Widget.objects.create(
        survey=survey,
        unit=org.south_1,
        name="Shop",
        allowed_origins=shop["origin"],
        delay_seconds=0,
        pages="/checkout*",
    )
    page.goto(shop["publish"]("index.html", widget, identify=False))
    page.wait_for_timeout(800)
    assert page.locator("[data-harken-widget]").count() == 0  # not a checkout page
    page.goto(shop["publish"]("checkout.html", widget, identify=False))
    page.locator("[data-harken-widget]").get_by_role("dialog").wait_for()
    page.keyboard.press("Tab")
    page.locator("[data-harken-widget]").get_by_role("button", name="Close").click()
    assert page.locator("[data-harken-widget]").count() == 0
    eventually(lambda: displays(widget), (1, 1))
    assert not Response.objects.filter(channel="widget").exists()


def test_the_widget_stays_hidden_on_an_origin_it_does_not_allow(page: Any, org: Any, survey: Any, shop: Any) -> None:
    widget = Widget.objects.create(
        survey=survey, unit=org.south_1, name="Other", allowed_origins="https://elsewhere.example.com", delay_seconds=0
    )
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(shop["publish"]("index.html", widget, identify=False))
    page.wait_for_timeout(1000)
    assert page.locator("[data-harken-widget]").count() == 0
    assert not WidgetDisplay.objects.filter(widget=widget).exists()


# --- Staff pages ----------------------------------------------------------------------------------------------


def test_the_collect_and_poster_pages_look_right(browser_login: Any, org: Any, survey: Any) -> None:
    Widget.objects.create(survey=survey, unit=org.north_1, name="Web shop", allowed_origins="https://shop.example.com")
    page = browser_login("manager")
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(viewport)
        page.goto(f"/collect/?survey={survey.pk}&unit={org.north_1.pk}")
        assert page.get_by_role("img", name="QR code that opens the survey of North 1").is_visible()
        screenshot(page, f"collect-links-{name}")
        page.goto(f"/collect/poster/{survey.pk}/{org.north_1.pk}/")
        assert page.get_by_role("heading", name="How did we do?").is_visible()
        screenshot(page, f"collect-poster-{name}")


def test_the_widget_samples_asks_only_returning_visitors_and_can_be_forced(
    page: Any, org: Any, survey: Any, shop: Any
) -> None:
    widget = Widget.objects.create(
        survey=survey,
        unit=org.south_1,
        name="Shop",
        allowed_origins=shop["origin"],
        delay_seconds=0,
        returning_visitors_only=True,
    )
    url = shop["publish"]("index.html", widget, identify=False)
    page.goto(url)
    page.wait_for_timeout(800)
    assert page.locator("[data-harken-widget]").count() == 0  # a first visit
    # The last page view was an hour ago: this is a new visit by a returning visitor.
    page.evaluate(
        f"""() => {{ const s = JSON.parse(localStorage.getItem("harken:{widget.key}"));
        s.last = Date.now() - 3600000; localStorage.setItem("harken:{widget.key}", JSON.stringify(s)); }}"""
    )
    page.reload()
    page.locator("[data-harken-widget]").get_by_role("dialog").wait_for()
    page.locator("[data-harken-widget]").get_by_role("button", name="Close").click()

    Widget.objects.filter(pk=widget.pk).update(returning_visitors_only=False, sample_percent=0, snooze_days=0)
    page.evaluate("localStorage.clear(); sessionStorage.clear()")
    page.reload()
    page.wait_for_timeout(800)
    assert page.locator("[data-harken-widget]").count() == 0  # sampled out
    page.evaluate("Harken.show()")  # the host page decides, e.g. after a checkout
    page.locator("[data-harken-widget]").get_by_role("dialog").wait_for()
    eventually(lambda: displays(widget), (2, 1))


def test_after_a_scanner_burst_the_customer_confirms_their_score_with_one_tap(
    page: Any, org: Any, survey: Any, invitation: Invitation
) -> None:
    """A mail scanner opened every score link; the customer's own click then asks for one confirming tap."""
    from harken.collect.models import LinkClick

    page.set_extra_http_headers(PHONE_BROWSER)
    for score in (0, 1, 2):  # what Safe Links does within a second, with an ordinary browser's user agent
        page.request.get(path_of(links.score_url(invitation, score)), max_redirects=0, headers=PHONE_BROWSER)
    assert Response.objects.get(invitation=invitation).score is None
    for size, name in ((PHONE, "phone"), ({"width": 1280, "height": 800}, "desktop")):
        page.set_viewport_size(size)
        page.goto(path_of(links.score_url(invitation, 8)))
        page.get_by_text("To make sure it was you, please confirm your score: tap 8 again").wait_for()
        assert page.get_by_role("button", name="8", exact=True).get_attribute("aria-pressed") == "true"
        screenshot(page, f"collect-confirm-after-scanner-{name}")
    assert Response.objects.get(invitation=invitation).score is None
    page.get_by_role("button", name="8", exact=True).click()
    page.get_by_role("heading", name="What is the main reason for your score?").wait_for()
    assert Response.objects.get(invitation=invitation).score == 8
    assert LinkClick.objects.filter(invitation=invitation, verdict="burst").count() == 3
