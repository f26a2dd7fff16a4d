"""The survey editor: owners edit texts, category wording, questions, branding and translations, with a preview."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from harken.collect import links
from harken.org.models import Membership
from harken.surveys import translations
from harken.surveys.models import Question, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(org: Any) -> dict[str, Question]:
    return {
        "staff": Question.objects.create(
            survey=org.survey,
            key="staff",
            kind=Question.Kind.RATING_1_5,
            text="How friendly was our staff?",
            position=1,
        ),
        "fix": Question.objects.create(
            survey=org.survey,
            key="fix",
            kind=Question.Kind.SINGLE_CHOICE,
            text="What should we fix first?",
            audience=Question.Audience.DETRACTORS,
            choices=[{"key": "price", "label": "Price"}, {"key": "wait", "label": "Waiting time"}],
            position=2,
        ),
    }


def form_data(client: Client, survey: Survey, **changes: str) -> dict[str, Any]:
    """The editor's form as the page renders it, with ``changes`` applied (what a browser would post)."""
    page = client.get(f"/surveys/{survey.pk}/")
    assert page.status_code == 200
    data: dict[str, Any] = {}
    context = page.context
    form, formset = context["form"], context["formset"]
    for bound in form:
        value = bound.value()
        data[bound.html_name] = "" if value is None else value
    data.update({f"q-{key}": value for key, value in formset.management_form.initial.items()})
    for qform in formset:
        for bound in qform:
            if bound.field.disabled:
                continue
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            data[bound.html_name] = "" if value is None else value
    for row in context["rows"]:
        for cell in row.cells:
            if cell.status != translations.Status.ORIGINAL:
                data[cell.name] = cell.value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(("name", "status"), [("admin", 200), ("analyst", 403), ("frontline", 403), ("outsider", 403)])
def test_only_owners_may_open_the_editor(login: Any, org: Any, name: str, status: int) -> None:
    assert login(name).get(f"/surveys/{org.survey.pk}/").status_code == status
    assert login(name).get("/surveys/").status_code == status


def test_a_manager_is_an_owner_and_an_anonymous_visitor_must_log_in(client: Client, login: Any, org: Any) -> None:
    assert client.get(f"/surveys/{org.survey.pk}/").status_code == 302
    assert Membership.objects.filter(user=org.users["manager"], role="manager").exists()
    assert login("manager").get(f"/surveys/{org.survey.pk}/").status_code == 200


def test_saving_texts_category_wording_branding_and_a_new_question(login: Any, org: Any, questions: Any) -> None:
    client = login("admin")
    data = form_data(
        client,
        org.survey,
        **{
            "survey-nps_question": "How likely are you to recommend Acme to a friend?",
            "survey-comment_question_detractor": "What should we fix first?",
            "survey-company_name": "Acme Stores",
            "survey-accent_color": "#0B5A2A",
            "q-1-text": "How friendly was the team?",
            "q-2-text": "Which store did you visit?",
            "q-2-kind": "text",
            "q-2-key": "store",
            "q-2-audience": "everyone",
            "q-2-position": "3",
        },
    )
    response = client.post(f"/surveys/{org.survey.pk}/", data)
    assert response.status_code == 302 and response["Location"] == f"/surveys/{org.survey.pk}/"
    survey = Survey.objects.get(pk=org.survey.pk)
    assert (survey.nps_question, survey.comment_question_detractor, survey.company_name, survey.accent_color) == (
        "How likely are you to recommend Acme to a friend?",
        "What should we fix first?",
        "Acme Stores",
        "#0b5a2a",
    )
    assert list(survey.questions.order_by("position").values_list("key", "kind", "text")) == [
        ("staff", "rating_1_5", "How friendly was our staff?"),
        ("fix", "single_choice", "How friendly was the team?"),
        ("store", "text", "Which store did you visit?"),
    ]
    assert "Saved" in client.get(f"/surveys/{org.survey.pk}/").content.decode()


def test_a_low_contrast_accent_colour_is_refused_with_the_nearest_readable_one(login: Any, org: Any) -> None:
    client = login("admin")
    # #ffcc00: L = 0.2126 + 0.7152 · ((0.8 + 0.055) / 1.055)^2.4 = 0.6445; (1 + 0.05) / (0.6445 + 0.05) = 1.5
    response = client.post(
        f"/surveys/{org.survey.pk}/", form_data(client, org.survey, **{"survey-accent_color": "#ffcc00"})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "#ffcc00 has a contrast of 1.5:1 on white; text and buttons need at least 4.5:1 (WCAG AA)." in html
    assert "Nothing was saved" in html
    assert Survey.objects.get(pk=org.survey.pk).accent_color == "#1f6feb"


def test_an_empty_question_text_and_a_bad_choice_key_get_field_errors(login: Any, org: Any, questions: Any) -> None:
    client = login("admin")
    data = form_data(
        client, org.survey, **{"q-0-text": "", "q-1-choices_text": "price | Price\nwait | Waiting\nWait Time | Long"}
    )
    html = client.post(f"/surveys/{org.survey.pk}/", data).content.decode()
    assert "This field is required." in html
    assert "Line 3: the key &#x27;Wait Time&#x27; may only use lower-case letters, digits, - and _." in html


def test_the_key_and_type_of_an_existing_question_stay_and_its_choice_keys_too(
    login: Any, org: Any, questions: Any
) -> None:
    client = login("admin")
    data = form_data(client, org.survey, **{"q-1-key": "renamed", "q-1-kind": "text"})
    assert client.post(f"/surveys/{org.survey.pk}/", data).status_code == 302
    fix = Question.objects.get(pk=questions["fix"].pk)
    assert (fix.key, fix.kind) == ("fix", "single_choice")  # disabled fields ignore what is posted

    data = form_data(client, org.survey, **{"q-1-choices_text": "price | Cost\nparking | Parking"})
    html = client.post(f"/surveys/{org.survey.pk}/", data).content.decode()
    assert "The choice &#x27;wait&#x27; has answers that refer to it; keep its key (you may change its label)." in html

    data = form_data(client, org.survey, **{"q-1-choices_text": "price | Cost\nwait | Waiting\nparking | Parking"})
    assert client.post(f"/surveys/{org.survey.pk}/", data).status_code == 302
    assert Question.objects.get(pk=fix.pk).choices == [
        {"key": "price", "label": "Cost"},
        {"key": "wait", "label": "Waiting"},
        {"key": "parking", "label": "Parking"},
    ]


def test_translations_are_edited_side_by_side_and_missing_ones_flagged(login: Any, org: Any, questions: Any) -> None:
    survey = org.survey
    survey.comment_question = "Why that score?"  # the owner's own wording: Harken has no translation of it
    survey.save()
    client = login("admin")
    html = client.get(f"/surveys/{survey.pk}/").content.decode()
    # Own texts: "Why? question", both questions, two choices = 5 rows × 3 other languages = 15 missing.
    assert "15 translations missing" in html
    assert html.count(">built-in</span>") == 9  # NPS question and end labels keep Harken's wording: es, fr, de

    fix = questions["fix"].pk
    data = form_data(
        client,
        survey,
        **{
            "tr-fr-s.comment_question": "Pourquoi cette note ?",
            f"tr-fr-q.{fix}.text": "Que devons-nous corriger d'abord ?",
            f"tr-fr-q.{fix}.c.price": "Prix",
            "tr-de-s.comment_question": "  ",
        },
    )
    assert client.post(f"/surveys/{survey.pk}/", data).status_code == 302
    survey.refresh_from_db()
    assert survey.translations == {"fr": {"comment_question": "Pourquoi cette note ?"}}
    assert Question.objects.get(pk=fix).translations == {
        "fr": {"text": "Que devons-nous corriger d'abord ?", "choices": {"price": "Prix"}}
    }
    assert "12 translations missing" in client.get(f"/surveys/{survey.pk}/").content.decode()


def test_the_survey_page_uses_the_translation_and_falls_back_to_the_default_language(client: Client, org: Any) -> None:
    survey = org.survey
    survey.comment_question = "Why that score?"
    survey.comment_question_detractor = "What should we fix first?"
    survey.translations = {"fr": {"comment_question_detractor": "Que devons-nous corriger ?"}}
    survey.save()
    key = links.anonymous_key(survey, org.north_1)
    first = client.get(f"/a/{key}/?lang=fr")
    submission = first.context["submission"]
    details = client.post(f"/a/{key}/?lang=fr", {"step": "score", "score": "2", "submission": submission, "lang": "fr"})
    assert "Que devons-nous corriger ?" in client.get(details["Location"]).content.decode()
    first = client.get(f"/a/{key}/?lang=de")
    details = client.post(
        f"/a/{key}/", {"step": "score", "score": "2", "submission": first.context["submission"], "lang": "de"}
    )
    assert "What should we fix first?" in client.get(details["Location"]).content.decode()  # no German: default
    promoter = client.get(f"/a/{key}/?lang=en")
    details = client.post(
        f"/a/{key}/", {"step": "score", "score": "10", "submission": promoter.context["submission"], "lang": "en"}
    )
    assert "Why that score?" in client.get(details["Location"]).content.decode()  # promoters: the general one


def test_the_preview_shows_unsaved_edits_in_the_chosen_language_and_step(login: Any, org: Any, questions: Any) -> None:
    client = login("admin")
    data = form_data(
        client,
        org.survey,
        **{
            "survey-comment_question_detractor": "What went wrong?",
            "tr-es-s.comment_question_detractor": "¿Qué salió mal?",
            "preview-language": "es",
            "preview-step": "detractor",
        },
    )
    preview = client.post(f"/surveys/{org.survey.pk}/preview/", data)
    assert preview.status_code == 200
    assert preview["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    html = preview.content.decode()
    assert "¿Qué salió mal?" in html and "What should we fix first?" in html  # its question is not translated
    assert " inert" in html
    assert Survey.objects.get(pk=org.survey.pk).comment_question_detractor == ""  # nothing saved


def test_a_preview_of_an_invalid_form_names_the_problem(login: Any, org: Any) -> None:
    client = login("admin")
    data = form_data(client, org.survey, **{"survey-accent_color": "#ffffff"})
    html = client.post(f"/surveys/{org.survey.pk}/preview/", data).content.decode()
    assert "The preview waits until the form has no errors" in html and "1.0:1" in html


def test_the_survey_list_flags_missing_translations(login: Any, org: Any, questions: Any) -> None:
    html = login("manager").get("/surveys/").content.decode()
    assert "Acme relationship survey" in html and "missing: de, es, fr" in html
