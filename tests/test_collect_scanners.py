"""Email link scanners must not answer for the customer; a single real click still records at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from harken.collect import links, scanners
from harken.collect.models import LinkClick, Response
from harken.contacts.models import Contact
from harken.distribution.models import Channel, Invitation

CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
)


@pytest.fixture
def invitation(org: Any) -> Invitation:
    contact = Contact.objects.create(email="ana@example.com", name="Ana", language="en")
    return Invitation.objects.create(
        survey=org.survey,
        contact=contact,
        unit=org.north_1,
        channel=Channel.EMAIL,
        scheduled_at=timezone.now(),
        status=Invitation.Status.SENT,
    )


def open_link(client: Client, invitation: Invitation, score: int, agent: str = CHROME, method: str = "get") -> Any:
    path = links.score_url(invitation, score).removeprefix("http://127.0.0.1:8000")
    return getattr(client, method)(path, HTTP_USER_AGENT=agent)


def age_clicks(seconds: int) -> None:
    """Move every click into the past, as if the person had taken ``seconds`` to come back."""
    LinkClick.objects.update(clicked_at=F("clicked_at") - dt.timedelta(seconds=seconds))


def stored(invitation: Invitation) -> int | None:
    return Response.objects.get(invitation=invitation).score


@pytest.mark.parametrize(
    ("method", "agent", "reason"),
    [
        ("GET", CHROME, None),
        ("GET", "", None),
        ("HEAD", CHROME, "HEAD request"),
        ("GET", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) BingPreview/1.0b", "user agent"),
        ("GET", "Microsoft Office Existence Discovery", "user agent"),
        ("GET", "Mozilla/5.0 (compatible; Barracuda Sentinel)", "user agent"),
        ("GET", "python-requests/2.32.3", "user agent"),
        ("GET", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0 Safari/537.36", "user agent"),
    ],
)
def test_scanners_are_known_by_head_requests_and_user_agents(method: str, agent: str, reason: str | None) -> None:
    assert scanners.scanner_reason(method, agent) == reason


def test_three_different_scores_make_a_burst_but_a_change_of_mind_does_not() -> None:
    assert not scanners.is_burst([], 7)
    assert not scanners.is_burst([7, 7, 7], 7)  # double clicks and reloads
    assert not scanners.is_burst([7], 8)  # one change of mind
    assert scanners.is_burst([0, 1], 2)
    assert scanners.is_burst([7, 8, 7], 9)


def test_a_chain_links_openings_at_most_ten_seconds_apart() -> None:
    start = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    clicks = [
        (score, None, start + dt.timedelta(seconds=seconds)) for score, seconds in ((6, 0), (0, 60), (1, 69), (2, 78))
    ]
    # 60 → 69 → 78 → now (87) are each 9 s apart: one chain of 27 s; the opening a minute earlier is not in it.
    assert scanners.chain(clicks, start + dt.timedelta(seconds=87)) == clicks[1:]
    assert scanners.chain(clicks, start + dt.timedelta(seconds=89)) == []


def test_a_single_real_click_records_the_score_at_once(client: Client, invitation: Invitation) -> None:
    page = open_link(client, invitation, 8)
    assert page.status_code == 303
    assert stored(invitation) == 8
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED
    assert list(LinkClick.objects.values_list("score", "previous_score", "verdict")) == [(8, None, "recorded")]


def test_a_scanner_opening_all_eleven_links_records_no_score(client: Client, invitation: Invitation) -> None:
    statuses = [open_link(client, invitation, score).status_code for score in range(11)]
    # 0 and 1 are recorded as they come (two scores can be a change of mind); the third different score
    # within seconds is a burst: the score goes back to none and the rest are not recorded either.
    assert statuses == [303, 303] + [200] * 9
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert stored(invitation) is None  # a response without a score counts in no NPS
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_at) == (Invitation.Status.SENT, None)  # reminders still go out
    verdicts = list(LinkClick.objects.order_by("pk").values_list("verdict", flat=True))
    assert verdicts == ["recorded", "recorded"] + ["burst"] * 9
    assert scanners.needs_confirmation(invitation)


def test_after_a_burst_the_person_confirms_on_the_page_and_a_later_click_records(
    client: Client, invitation: Invitation
) -> None:
    for score in (0, 1, 2):
        page = open_link(client, invitation, score)
    html = page.content.decode()
    assert "please confirm your score: tap 2 again" in html
    assert 'value="2" class="score s2" aria-pressed="true"' in html
    assert stored(invitation) is None

    confirm = client.post(
        links.survey_url(invitation).removeprefix("http://127.0.0.1:8000"), {"step": "score", "score": "2"}
    )
    assert confirm.status_code == 303 and stored(invitation) == 2

    age_clicks(60)  # a minute later the customer clicks another score in the email
    assert open_link(client, invitation, 9).status_code == 303
    assert stored(invitation) == 9


def test_a_burst_after_the_customers_answer_keeps_their_answer(client: Client, invitation: Invitation) -> None:
    assert open_link(client, invitation, 6).status_code == 303
    age_clicks(3600)  # the email is forwarded an hour later and the colleague's scanner opens every link
    for score in range(11):
        open_link(client, invitation, score)
        age_clicks(8)  # a slow scanner: one link every 8 s is still one chain
    assert stored(invitation) == 6
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_a_scanner_user_agent_records_nothing_and_the_page_asks_to_confirm(
    client: Client, invitation: Invitation
) -> None:
    page = open_link(client, invitation, 10, agent="Mozilla/5.0 (compatible; Proofpoint URL Defense)")
    assert page.status_code == 200
    assert "please confirm your score: tap 10 again" in page.content.decode()
    assert not Response.objects.filter(invitation=invitation).exists()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.opened_at) == (Invitation.Status.SENT, None)
    assert list(LinkClick.objects.values_list("score", "verdict")) == [(10, "scanner")]


def test_a_head_request_records_nothing(client: Client, invitation: Invitation) -> None:
    assert open_link(client, invitation, 9, method="head").status_code == 200
    assert not Response.objects.filter(invitation=invitation).exists()


def test_scanner_openings_do_not_count_towards_a_burst(client: Client, invitation: Invitation) -> None:
    for score in range(11):
        open_link(client, invitation, score, agent="Mimecast Link Scanner")
    assert open_link(client, invitation, 7).status_code == 303
    assert stored(invitation) == 7


def test_the_request_to_confirm_speaks_the_customers_language(client: Client, invitation: Invitation) -> None:
    Contact.objects.filter(pk=invitation.contact_id).update(language="fr")
    page = open_link(client, invitation, 4, agent="BingPreview/1.0b")
    assert page["Content-Language"] == "fr"
    assert "confirmez votre note : touchez 4 à nouveau" in page.content.decode()
