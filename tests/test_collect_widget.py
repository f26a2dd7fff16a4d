"""The widget's public endpoints (CORS, origin check, idempotent answers, display counts) and the QR/kiosk pages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import segno
from django.test import Client
from django.utils import timezone

from harken.collect import links
from harken.collect.models import Response, Widget, WidgetDisplay
from harken.contacts.models import Contact
from harken.distribution.models import Channel

SHOP = "https://shop.example.com"
SUBMISSION = "abcdef0123456789abcdef0123456789"


@pytest.fixture
def widget(org: Any) -> Widget:
    return Widget.objects.create(
        survey=org.survey, unit=org.north_2, name="Web shop", allowed_origins=f"{SHOP}\nhttps://app.example.com/"
    )


def post(client: Client, widget: Widget, path: str, body: Any, origin: str | None = SHOP) -> Any:
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/w/{widget.key}/{path}", data=data, content_type="text/plain;charset=UTF-8", **headers)


def test_the_config_gives_rules_and_texts_in_the_visitors_language(client: Client, widget: Widget) -> None:
    widget.pages = "/checkout/*\n/thanks"
    widget.sample_percent = 25
    widget.returning_visitors_only = True
    widget.save()
    response = client.get(f"/w/{widget.key}/config?lang=fr-CA", HTTP_ORIGIN=SHOP)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    data = response.json()
    assert data["language"] == "fr"
    assert data["question"] == "Dans quelle mesure recommanderiez-vous notre entreprise à un ami ou un collègue ?"
    assert data["rules"] == {
        "delay": 5,
        "pages": ["/checkout/*", "/thanks"],
        "returningOnly": True,
        "snoozeDays": 90,
        "samplePercent": 25,
    }


def test_a_foreign_origin_is_refused_and_gets_no_cors_header(client: Client, widget: Widget) -> None:
    response = client.get(f"/w/{widget.key}/config", HTTP_ORIGIN="https://evil.example.net")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert response.json() == {"error": "The origin https://evil.example.net may not use this widget."}
    answer = post(client, widget, "answer", {"submission": SUBMISSION, "score": 10}, origin="https://evil.example.net")
    assert answer.status_code == 403
    assert not Response.objects.filter(submission_key=SUBMISSION).exists()


def test_a_post_without_origin_is_refused(client: Client, widget: Widget) -> None:
    response = post(client, widget, "answer", {"submission": SUBMISSION, "score": 10}, origin=None)
    assert response.status_code == 403
    assert response.json() == {"error": "Posts to the widget must come from a browser page."}


def test_a_preflight_is_answered_for_allowed_origins(client: Client, widget: Widget) -> None:
    response = client.options(f"/w/{widget.key}/answer", HTTP_ORIGIN="https://app.example.com")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response["Access-Control-Allow-Methods"] == "POST, OPTIONS"


def test_an_unknown_widget_is_a_404_in_json(client: Client, org: Any) -> None:
    response = client.get("/w/nope/config")
    assert response.status_code == 404
    assert response.json() == {"error": "This widget does not exist or is switched off."}


def test_a_widget_answer_is_stored_once_and_updated_by_the_same_submission(client: Client, widget: Widget) -> None:
    first = post(client, widget, "answer", {"submission": SUBMISSION, "score": 6, "locale": "de"})
    assert first.status_code == 200
    assert first.json() == {"ok": True}
    assert first["Access-Control-Allow-Origin"] == SHOP
    post(client, widget, "answer", {"submission": SUBMISSION, "score": 6})  # a retry
    post(client, widget, "answer", {"submission": SUBMISSION, "comment": "Checkout was slow"})
    stored = Response.objects.get(submission_key=SUBMISSION)
    assert (stored.score, stored.category, stored.comment, stored.channel, stored.unit, stored.language) == (
        6,
        "detractor",
        "Checkout was slow",
        "widget",
        widget.unit,
        "en",
    )
    assert Response.objects.filter(submission_key=SUBMISSION).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"submission": SUBMISSION, "score": 6.5}, "The score must be a whole number from 0 to 10."),
        ({"submission": SUBMISSION, "score": 11}, "The score must be a whole number from 0 to 10."),
        ({"submission": SUBMISSION, "score": True}, "Choose a score from 0 to 10."),
        ({"submission": SUBMISSION}, "Choose a score from 0 to 10."),
        ({"submission": "short", "score": 5}, "This answer is missing its submission id. Please reload the page."),
        ({"submission": SUBMISSION, "comment": "x" * 2001}, "Your comment is 2001 characters long; the limit is 2000."),
        ("not json", "The request is not valid JSON."),
        ([1, 2], "The request must be a JSON object."),
    ],
)
def test_bad_widget_answers_get_a_clear_json_error(client: Client, widget: Widget, body: Any, message: str) -> None:
    response = post(client, widget, "answer", body)
    assert response.status_code == 400
    assert response.json()["error"] == message
    assert not Response.objects.filter(channel=Channel.WIDGET).exists()


def test_a_known_customer_is_linked_and_a_new_one_is_added(client: Client, widget: Widget) -> None:
    known = Contact.objects.create(email="Ana@Example.com", name="Ana", external_id="C-1")
    post(client, widget, "answer", {"submission": SUBMISSION, "score": 9, "visitor": {"email": "ana@example.com"}})
    assert Response.objects.get(submission_key=SUBMISSION).contact == known
    other = "0123456789abcdef0123456789abcdef"
    visitor = {"id": "C-2", "email": "bo@example.com", "name": "Bo", "attributes": {"plan": "pro", "seats": 12}}
    post(client, widget, "answer", {"submission": other, "score": 3, "visitor": visitor, "locale": "es"})
    added = Response.objects.get(submission_key=other).contact
    assert added is not None
    assert (added.external_id, added.email, added.name, added.attributes, added.language, added.home_unit) == (
        "C-2",
        "bo@example.com",
        "Bo",
        {"plan": "pro", "seats": 12},
        "es",
        widget.unit,
    )
    known.refresh_from_db()
    assert known.name == "Ana"  # a public endpoint never changes an existing contact


def test_a_bad_visitor_email_is_refused(client: Client, widget: Widget) -> None:
    response = post(client, widget, "answer", {"submission": SUBMISSION, "score": 9, "visitor": {"email": "nope"}})
    assert response.status_code == 400
    assert response.json() == {"error": "The visitor's email address is not valid.", "field": "visitor"}


def test_shown_and_dismissed_are_counted_per_day(client: Client, widget: Widget) -> None:
    for event in ("shown", "shown", "shown", "dismissed"):
        assert post(client, widget, "event", {"event": event}).status_code == 204
    assert post(client, widget, "event", {"event": "clicked"}).status_code == 400
    display = WidgetDisplay.objects.get(widget=widget)
    assert (display.day, display.shown, display.dismissed) == (timezone.localdate(), 3, 1)


def test_widget_answers_are_rate_limited_per_address(client: Client, widget: Widget, settings: Any) -> None:
    settings.RATE_LIMIT_PER_IP = 2
    statuses = [
        post(client, widget, "answer", {"submission": f"{SUBMISSION[:-2]}{i:02d}", "score": 9}).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert Response.objects.filter(channel=Channel.WIDGET).count() == 2


def test_a_switched_off_widget_refuses_answers(client: Client, widget: Widget) -> None:
    Widget.objects.filter(pk=widget.pk).update(is_active=False)
    assert post(client, widget, "answer", {"submission": SUBMISSION, "score": 9}).status_code == 404


def test_allowed_origins_must_be_bare_origins(org: Any) -> None:
    from django.core.exceptions import ValidationError

    widget = Widget(survey=org.survey, unit=org.north_1, name="x", allowed_origins="https://shop.example.com/path")
    with pytest.raises(ValidationError, match="is not an origin like"):
        widget.clean()


# --- QR codes, posters, kiosk links (staff pages) ---------------------------------------------------------------


def test_the_qr_code_png_and_svg_encode_the_units_anonymous_link(login: Any, org: Any) -> None:
    client = login("manager")
    png = client.get(f"/collect/qr/{org.survey.pk}/{org.north_1.pk}.png")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = client.get(f"/collect/qr/{org.survey.pk}/{org.north_1.pk}.svg?download=1")
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"] == 'attachment; filename="harken-qr-relationship-north-1.svg"'
    url = links.anonymous_url(org.survey, org.north_1, Channel.KIOSK)
    expected = segno.make(url, error="m", micro=False)
    assert (
        re.search(rb'<svg[^>]+width="(\d+)"', svg.content).group(1)
        == str((expected.symbol_size(scale=8, border=4))[0]).encode()
    )
    assert links.unsign_anonymous(url.rsplit("/a/", 1)[1].rstrip("/")) == links.AnonymousTarget(
        org.survey.pk, org.north_1.pk, "kiosk"
    )


def test_a_user_gets_no_qr_code_for_a_unit_outside_their_scope(login: Any, org: Any) -> None:
    client = login("outsider")
    assert client.get(f"/collect/qr/{org.survey.pk}/{org.north_1.pk}.png").status_code == 404
    assert client.get(f"/collect/poster/{org.survey.pk}/{org.north_1.pk}/").status_code == 404
    assert client.get(f"/collect/qr/{org.survey.pk}/{org.south_1.pk}.png").status_code == 200


def test_qr_codes_need_a_login(client: Client, org: Any) -> None:
    response = client.get(f"/collect/qr/{org.survey.pk}/{org.north_1.pk}.png")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_links_page_lists_only_the_users_units_and_the_snippets(login: Any, org: Any, widget: Widget) -> None:
    html = login("manager").get(f"/collect/?survey={org.survey.pk}&unit={org.north_1.pk}").content.decode()
    assert ">North 1</option>" in html and ">North 2</option>" in html
    assert ">South 1</option>" not in html
    assert f"data-survey=&quot;{widget.key}&quot;" in html  # escaped inside the textarea
    assert "/k/" in html and "/a/" in html
    outsider = login("outsider").get("/collect/").content.decode()
    assert widget.key not in outsider


def test_the_poster_is_in_the_surveys_language(login: Any, org: Any) -> None:
    org.survey.default_language = "de"
    org.survey.save()
    html = login("manager").get(f"/collect/poster/{org.survey.pk}/{org.north_1.pk}/").content.decode()
    assert "Wie war es bei uns?" in html
    assert "North 1" in html


def test_the_widget_script_is_small() -> None:
    import gzip
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "harken" / "collect" / "static" / "collect" / "widget.js"
    assert len(gzip.compress(script.read_bytes())) < 15_000
