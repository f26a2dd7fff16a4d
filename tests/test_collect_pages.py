"""The respondent's side over HTTP: invitation pages, one-click scores, anonymous links, protection, languages."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.core import signing
from django.db.models import F
from django.test import Client
from django.utils import timezone

from harken.collect import links
from harken.collect.models import LinkClick, RateLimit, Response
from harken.contacts.models import Contact
from harken.distribution.models import Channel, Invitation
from harken.surveys.models import Question


@pytest.fixture
def invitation(org: Any) -> Invitation:
    contact = Contact.objects.create(email="ana@example.com", name="Ana", language="en")
    return Invitation.objects.create(
        survey=org.survey,
        contact=contact,
        unit=org.north_1,
        touchpoint=org.purchase,
        channel=Channel.EMAIL,
        scheduled_at=timezone.now(),
        status=Invitation.Status.SENT,
    )


@pytest.fixture
def questions(org: Any) -> dict[str, Question]:
    survey = org.survey
    return {
        "staff": Question.objects.create(
            survey=survey, key="staff", kind=Question.Kind.RATING_1_5, text="How friendly was our staff?", position=1
        ),
        "fix": Question.objects.create(
            survey=survey,
            key="fix",
            kind=Question.Kind.SINGLE_CHOICE,
            text="What should we fix first?",
            audience=Question.Audience.DETRACTORS,
            choices=[{"key": "price", "label": "Price"}, {"key": "wait", "label": "Waiting time"}],
            position=2,
        ),
        "loved": Question.objects.create(
            survey=survey,
            key="loved",
            kind=Question.Kind.MULTIPLE_CHOICE,
            text="What did you like most?",
            audience=Question.Audience.PROMOTERS,
            choices=[{"key": "staff", "label": "Staff"}, {"key": "range", "label": "Range"}],
            position=3,
        ),
    }


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


# --- Links --------------------------------------------------------------------------------------------------


def test_score_links_are_absolute_signed_and_carry_no_personal_data(invitation: Invitation, settings: Any) -> None:
    settings.BASE_URL = "https://nps.example.com"
    urls = links.score_urls(invitation)
    assert len(urls) == 11
    for score, url in enumerate(urls):
        found = re.fullmatch(r"https://nps\.example\.com/s/([A-Za-z0-9_:-]+)/(\d+)/", url)
        assert found is not None
        assert (links.unsign_invitation(found.group(1)), int(found.group(2))) == (invitation.token, score)
    assert "ana" not in "".join(urls).lower()
    single = re.fullmatch(r"https://nps\.example\.com/s/([A-Za-z0-9_:-]+)/7/", links.score_url(invitation, 7))
    assert single is not None and links.unsign_invitation(single.group(1)) == invitation.token
    page = re.fullmatch(r"https://nps\.example\.com/s/([A-Za-z0-9_:-]+)/", links.survey_url(invitation))
    assert page is not None and links.unsign_invitation(page.group(1)) == invitation.token


@pytest.mark.parametrize("bad", [11, -1, 6.5, True, "7"])
def test_score_url_refuses_anything_but_a_whole_number_from_0_to_10(invitation: Invitation, bad: Any) -> None:
    with pytest.raises(ValueError, match="whole number from 0 to 10"):
        links.score_url(invitation, bad)


# --- One click ----------------------------------------------------------------------------------------------


def test_a_one_click_link_records_the_score_at_once_and_shows_the_rest(
    client: Client, invitation: Invitation, questions: Any
) -> None:
    response = client.get(path_of(links.score_url(invitation, 3)))
    assert response.status_code == 303
    stored = Response.objects.get(invitation=invitation)
    assert (stored.score, stored.category, stored.channel, stored.unit_id) == (
        3,
        "detractor",
        "email",
        invitation.unit_id,
    )
    assert (stored.contact_id, stored.touchpoint_id) == (invitation.contact_id, invitation.touchpoint_id)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED
    assert invitation.answered_at is not None

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "your score of 3 is saved" in html
    assert "What is the main reason for your score?" in html
    assert "What should we fix first?" in html  # detractors only
    assert "What did you like most?" not in html  # promoters only


def test_clicking_again_or_another_score_updates_the_same_response(client: Client, invitation: Invitation) -> None:
    for score in (3, 3, 9, 10):
        assert client.get(path_of(links.score_url(invitation, score))).status_code == 303
        # A person takes a while to come back to the email; three scores within seconds would be a link
        # scanner's burst (tests/test_collect_scanners.py).
        LinkClick.objects.update(clicked_at=F("clicked_at") - dt.timedelta(minutes=1))
    stored = Response.objects.get(invitation=invitation)
    assert (stored.score, stored.category) == (10, "promoter")
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_the_comment_and_follow_ups_update_the_one_click_response(
    client: Client, invitation: Invitation, questions: Any
) -> None:
    client.get(path_of(links.score_url(invitation, 4)))
    url = path_of(links.survey_url(invitation))
    response = client.post(
        url, {"step": "details", "comment": "  The queue was long.  ", "q_staff": "4", "q_fix": "wait"}
    )
    assert response.status_code == 303
    assert response["Location"].endswith("/thanks/?lang=en")
    stored = Response.objects.get(invitation=invitation)
    assert (stored.score, stored.comment, stored.answers) == (4, "The queue was long.", {"staff": 4, "fix": "wait"})
    assert "Thank you!" in client.get(response["Location"]).content.decode()


def test_a_promoter_is_asked_the_promoter_question_and_multiple_choices_keep_their_order(
    client: Client, invitation: Invitation, questions: Any
) -> None:
    client.get(path_of(links.score_url(invitation, 10)))
    url = path_of(links.survey_url(invitation))
    assert "What did you like most?" in client.get(url).content.decode()
    client.post(url, {"step": "details", "comment": "", "q_loved": ["range", "staff", "range"]})
    assert Response.objects.get(invitation=invitation).answers == {"loved": ["staff", "range"]}


def test_a_detractor_cannot_answer_the_promoter_question(
    client: Client, invitation: Invitation, questions: Any
) -> None:
    client.get(path_of(links.score_url(invitation, 2)))
    client.post(path_of(links.survey_url(invitation)), {"step": "details", "q_loved": "staff", "q_fix": "price"})
    assert Response.objects.get(invitation=invitation).answers == {"fix": "price"}


# --- Bad links ----------------------------------------------------------------------------------------------


def test_a_tampered_token_gets_a_friendly_page_and_400(client: Client, invitation: Invitation) -> None:
    url = path_of(links.score_url(invitation, 8))
    signed = url.split("/")[2]
    tampered = url.replace(signed, signed[:-3] + ("AAA" if not signed.endswith("AAA") else "BBB"))
    response = client.get(tampered)
    assert response.status_code == 400
    assert "This survey link does not work" in response.content.decode()
    assert "This survey link is not valid." in response.content.decode()
    assert not Response.objects.filter(invitation=invitation).exists()


def test_an_expired_link_gets_410(client: Client, invitation: Invitation, settings: Any, monkeypatch: Any) -> None:
    settings.SURVEY_LINK_MAX_AGE_DAYS = 1
    two_days_ago = signing.b62_encode(int(time.time()) - 2 * 86400)
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: two_days_ago)
        url = path_of(links.score_url(invitation, 8))
    response = client.get(url)
    assert response.status_code == 410
    assert "This survey link has expired" in response.content.decode()
    assert not Response.objects.filter(invitation=invitation).exists()


def test_an_unknown_but_well_signed_token_gets_404(client: Client, invitation: Invitation) -> None:
    url = path_of(links.score_url(invitation, 8))
    Invitation.objects.filter(pk=invitation.pk).delete()
    response = client.get(url)
    assert response.status_code == 404
    assert "We could not find this survey" in response.content.decode()


def test_a_score_link_out_of_range_gets_404(client: Client, invitation: Invitation) -> None:
    url = path_of(links.score_url(invitation, 10)).replace("/10/", "/11/")
    assert client.get(url).status_code == 404
    assert not Response.objects.filter(invitation=invitation).exists()


def test_a_garbage_anonymous_key_gets_400(client: Client, org: Any) -> None:
    response = client.get("/a/not-a-key/")
    assert response.status_code == 400
    assert "This survey link is not valid." in response.content.decode()


# --- Validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("6.5", "The score must be a whole number from 0 to 10."),
        ("11", "The score must be a whole number from 0 to 10."),
        ("-1", "The score must be a whole number from 0 to 10."),
        ("ten", "The score must be a whole number from 0 to 10."),
        ("", "Choose a score from 0 to 10."),
    ],
)
def test_a_score_that_is_not_a_whole_number_from_0_to_10_is_refused_with_a_message(
    client: Client, invitation: Invitation, score: str, message: str
) -> None:
    response = client.post(path_of(links.survey_url(invitation)), {"step": "score", "score": score})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Response.objects.filter(invitation=invitation).exists()


def test_a_comment_over_the_limit_is_refused_with_its_length(client: Client, invitation: Invitation) -> None:
    client.get(path_of(links.score_url(invitation, 7)))
    response = client.post(path_of(links.survey_url(invitation)), {"step": "details", "comment": "x" * 2001})
    assert response.status_code == 400
    assert "Your comment is 2001 characters long; the limit is 2000." in response.content.decode()
    assert Response.objects.get(invitation=invitation).comment == ""


def test_a_choice_that_is_not_offered_is_refused(client: Client, invitation: Invitation, questions: Any) -> None:
    client.get(path_of(links.score_url(invitation, 1)))
    response = client.post(path_of(links.survey_url(invitation)), {"step": "details", "q_fix": "free-beer"})
    assert response.status_code == 400
    assert "Choose one of the options shown." in response.content.decode()


def test_a_rating_outside_its_scale_is_refused(client: Client, invitation: Invitation, questions: Any) -> None:
    client.get(path_of(links.score_url(invitation, 9)))
    response = client.post(path_of(links.survey_url(invitation)), {"step": "details", "q_staff": "6"})
    assert response.status_code == 400
    assert "Choose a whole number from 1 to 5." in response.content.decode()


def test_the_honeypot_shows_thanks_and_stores_nothing(client: Client, invitation: Invitation) -> None:
    response = client.post(
        path_of(links.survey_url(invitation)), {"step": "score", "score": "10", "website": "http://spam.example"}
    )
    assert response.status_code == 303
    assert "/thanks/" in response["Location"]
    assert not Response.objects.filter(invitation=invitation).exists()


def test_survey_forms_need_the_csrf_token(invitation: Invitation) -> None:
    strict = Client(enforce_csrf_checks=True)
    url = path_of(links.survey_url(invitation))
    assert strict.post(url, {"step": "score", "score": "9"}).status_code == 403
    page = strict.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    ok = strict.post(url, {"step": "score", "score": "9", "csrfmiddlewaretoken": token.group(1)})
    assert ok.status_code == 303
    assert Response.objects.get(invitation=invitation).score == 9


# --- Anonymous links and kiosks -----------------------------------------------------------------------------


def submission_of(html: str) -> str:
    found = re.search(r'name="submission" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_an_anonymous_link_makes_one_response_for_the_unit_and_updates_it(client: Client, org: Any) -> None:
    start = path_of(links.anonymous_url(org.survey, org.south_1))
    page = client.get(start)
    assert page.status_code == 200
    submission = submission_of(page.content.decode())
    first = client.post(start, {"step": "score", "score": "8", "submission": submission})
    assert first.status_code == 303
    again = client.post(start, {"step": "score", "score": "9", "submission": submission})  # double submit
    assert again["Location"] == first["Location"]
    details = first["Location"]
    client.post(details, {"step": "details", "comment": "Nice shop"})
    stored = Response.objects.get(submission_key=submission)
    assert (stored.score, stored.comment, stored.unit, stored.channel, stored.contact) == (
        9,
        "Nice shop",
        org.south_1,
        "link",
        None,
    )


def test_a_qr_code_answer_counts_as_kiosk_and_qr(client: Client, org: Any) -> None:
    start = path_of(links.anonymous_url(org.survey, org.north_2, Channel.KIOSK))
    submission = submission_of(client.get(start).content.decode())
    client.post(start, {"step": "score", "score": "6", "submission": submission})
    assert Response.objects.get(submission_key=submission).channel == "kiosk"


def test_each_visit_of_an_anonymous_link_is_a_new_submission(client: Client, org: Any) -> None:
    start = path_of(links.anonymous_url(org.survey, org.south_1))
    first = submission_of(client.get(start).content.decode())
    second = submission_of(client.get(start).content.decode())
    assert first != second


def test_the_kiosk_goes_back_to_the_start_after_thanks(client: Client, org: Any) -> None:
    start = path_of(links.kiosk_url(org.survey, org.north_1))
    submission = submission_of(client.get(start).content.decode())
    details = client.post(start, {"step": "score", "score": "10", "submission": submission})["Location"]
    thanks = client.post(details, {"step": "details", "comment": ""})
    html = client.get(thanks["Location"]).content.decode()
    assert f'<meta http-equiv="refresh" content="8;url={start}?lang=en">' in html
    assert "Next customer" in html
    assert Response.objects.get(submission_key=submission).channel == "kiosk"


def test_a_forged_submission_id_is_refused(client: Client, org: Any) -> None:
    start = path_of(links.anonymous_url(org.survey, org.south_1))
    response = client.post(start, {"step": "score", "score": "8", "submission": "x"})
    assert response.status_code == 400
    assert "missing its submission id" in response.content.decode()


def test_details_of_an_anonymous_submission_need_a_signed_id(client: Client, org: Any) -> None:
    start = path_of(links.anonymous_url(org.survey, org.south_1))
    assert client.get(start + "AAAAAAAAAAAAAAAAAAAAAA/").status_code == 400


# --- Rate limits --------------------------------------------------------------------------------------------


def test_the_per_address_limit_answers_429_with_retry_after(
    client: Client, invitation: Invitation, settings: Any
) -> None:
    settings.RATE_LIMIT_PER_IP = 3
    url = path_of(links.survey_url(invitation))
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(url)
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "Please wait a moment" in limited.content.decode()


def test_the_per_link_limit_holds_across_addresses(client: Client, invitation: Invitation, settings: Any) -> None:
    settings.RATE_LIMIT_PER_TOKEN = 2
    url = path_of(links.survey_url(invitation))
    statuses = [client.get(url, REMOTE_ADDR=f"198.51.100.{i}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    assert RateLimit.objects.get(key=f"survey:token:{invitation.token}").count == 3


def test_rate_limits_count_in_the_database_so_every_process_shares_them(invitation: Invitation, settings: Any) -> None:
    settings.RATE_LIMIT_PER_IP = 2
    url = path_of(links.survey_url(invitation))
    # Two separate clients stand for two web processes: nothing is kept in memory between them.
    assert Client().get(url).status_code == 200
    assert Client().get(url).status_code == 200
    assert Client().get(url).status_code == 429


def test_behind_a_proxy_the_limit_uses_the_address_the_proxy_appended(
    client: Client, invitation: Invitation, settings: Any
) -> None:
    settings.RATE_LIMIT_PER_IP = 1
    settings.BEHIND_PROXY = True
    url = path_of(links.survey_url(invitation))
    assert client.get(url, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.6").status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.5").status_code == 429


# --- Languages and branding ---------------------------------------------------------------------------------


def test_the_contacts_language_is_used(client: Client, invitation: Invitation) -> None:
    Contact.objects.filter(pk=invitation.contact_id).update(language="fr")
    html = client.get(path_of(links.survey_url(invitation))).content.decode()
    assert '<html lang="fr">' in html
    assert "Dans quelle mesure recommanderiez-vous" in html


def test_without_a_known_language_the_browsers_is_used(client: Client, org: Any) -> None:
    html = client.get(path_of(links.anonymous_url(org.survey, org.south_1)), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert '<html lang="de">' in html.content.decode()
    assert "Wie wahrscheinlich ist es" in html.content.decode()


def test_the_switcher_changes_the_language_and_the_response_records_it(client: Client, invitation: Invitation) -> None:
    url = path_of(links.survey_url(invitation))
    html = client.get(url + "?lang=es").content.decode()
    assert '<html lang="es">' in html
    assert "¿Qué probabilidad hay de que nos recomiende" in html
    client.post(url + "?lang=es", {"step": "score", "score": "9", "lang": "es"})
    assert Response.objects.get(invitation=invitation).language == "es"


def test_the_owners_own_translation_wins(client: Client, invitation: Invitation, questions: Any) -> None:
    survey = invitation.survey
    survey.translations = {"de": {"nps_question": "Würden Sie Acme empfehlen?"}}
    survey.save()
    Question.objects.filter(key="staff").update(translations={"de": {"text": "Wie freundlich war das Team?"}})
    client.get(path_of(links.score_url(invitation, 9)))
    html = client.get(path_of(links.survey_url(invitation)) + "?lang=de").content.decode()
    assert "Wie freundlich war das Team?" in html
    assert (
        "Würden Sie Acme empfehlen?"
        in client.get(path_of(links.survey_url(invitation)) + "?lang=de&change=1").content.decode()
    )


def test_a_low_contrast_brand_colour_is_darkened_to_aa(client: Client, invitation: Invitation) -> None:
    from harken.collect.texts import contrast_ratio, readable_accent

    survey = invitation.survey
    survey.accent_color = "#ffd400"
    survey.company_name = "Acme"
    survey.logo_url = "https://cdn.example.com/acme.png"
    survey.save()
    response = client.get(path_of(links.survey_url(invitation)))
    accent = readable_accent("#ffd400")
    assert contrast_ratio(accent, "#ffffff") >= 4.5
    assert contrast_ratio(readable_accent("#0a58ca"), "#ffffff") >= 4.5 and readable_accent("#0a58ca") == "#0a58ca"
    html = response.content.decode()
    assert f'style="--accent: {accent}"' in html
    assert 'src="https://cdn.example.com/acme.png" alt="Acme"' in html
    assert "img-src 'self' data: https://cdn.example.com;" in response["Content-Security-Policy"]
    assert "script-src 'self';" in response["Content-Security-Policy"]


def test_public_pages_need_no_login_but_are_not_cached(client: Client, invitation: Invitation) -> None:
    response = client.get(path_of(links.survey_url(invitation)))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    invitation.refresh_from_db()
    assert invitation.opened_at is not None


def test_a_failed_csrf_check_gets_a_friendly_page_in_the_visitors_language(invitation: Invitation) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(path_of(links.survey_url(invitation)), {"step": "score", "score": "9", "lang": "de"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Bitte laden Sie die Seite neu" in html
    assert "Diese Seite war zu lange geöffnet" in html
    assert not Response.objects.filter(invitation=invitation).exists()


def test_the_page_colours_meet_wcag_aa() -> None:
    """Text colours of survey.css against their backgrounds (4.5:1), and the scale buttons' borders (3:1)."""
    from harken.collect.texts import contrast_ratio

    assert contrast_ratio("#1b1f24", "#ffffff") >= 4.5  # body text
    assert contrast_ratio("#57606a", "#f6f8fa") >= 4.5  # hints on the page background
    assert contrast_ratio("#b42318", "#ffffff") >= 4.5  # errors
    assert contrast_ratio("#8c959f", "#ffffff") >= 3.0  # borders of the score buttons
    assert contrast_ratio("#ffffff", "#0a58ca") >= 4.5  # white on the default accent


def test_a_new_rate_window_starts_the_count_again_and_old_windows_are_pruned(db: None, monkeypatch: Any) -> None:
    from harken.collect import ratelimit

    limit = ratelimit.Limit("answer:ip:192.0.2.1", 2)
    start = 1_800_000_000.0  # the start of a window (divisible by 60)
    ratelimit.check_rate(limit, now=start)
    ratelimit.check_rate(limit, now=start + 59)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.check_rate(limit, now=start + 59)
    assert refused.value.retry_after == 1
    monkeypatch.setattr(ratelimit, "PRUNE_PROBABILITY", 1.0)
    ratelimit.check_rate(ratelimit.Limit("answer:ip:192.0.2.2", 2), now=start + 120)
    ratelimit.check_rate(limit, now=start + 120)  # a new window
    assert list(RateLimit.objects.order_by("key").values_list("key", "window_start", "count")) == [
        ("answer:ip:192.0.2.1", 1_800_000_120, 1),
        ("answer:ip:192.0.2.2", 1_800_000_120, 1),
    ]


def test_survey_pages_have_no_inline_script_and_label_every_field(
    client: Client, invitation: Invitation, questions: Any
) -> None:
    client.get(path_of(links.score_url(invitation, 3)))
    html = client.get(path_of(links.survey_url(invitation))).content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts == [(' src="/static/collect/survey.js" defer', "")]
    for field in re.findall(r'<(?:textarea|input)[^>]*\bid="([^"]+)"', html):
        assert f'for="{field}"' in html
    assert html.count("<fieldset") == html.count("<legend>")  # every group of choices has a legend
