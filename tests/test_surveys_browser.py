"""The survey editor in Chromium: live preview, contrast check, saving, and how it looks on a phone and a desktop."""

from __future__ import annotations

from typing import Any

from harken.surveys.models import Question, Survey

from .conftest import screenshot


def realistic(org: Any) -> Survey:
    survey = org.survey
    survey.company_name = "Acme Stores"
    survey.comment_question_detractor = "What should we fix first?"
    survey.translations = {"fr": {"comment_question_detractor": "Que devons-nous corriger en premier ?"}}
    survey.save()
    Question.objects.create(
        survey=survey, key="staff", kind=Question.Kind.RATING_1_5, text="How friendly was our staff?", position=1
    )
    Question.objects.create(
        survey=survey,
        key="fix",
        kind=Question.Kind.MULTIPLE_CHOICE,
        text="What went wrong?",
        audience=Question.Audience.DETRACTORS,
        choices=[{"key": "price", "label": "Price"}, {"key": "wait", "label": "Waiting time"}],
        position=2,
    )
    return survey


def test_the_preview_follows_typing_and_the_owner_saves(browser_login: Any, org: Any) -> None:
    survey = realistic(org)
    page = browser_login("admin")
    page.goto(f"/surveys/{survey.pk}/")
    frame = page.frame_locator("#preview-frame")
    frame.get_by_role("heading", name="How likely are you to recommend us to a friend or colleague?").wait_for()

    page.get_by_label("NPS question").fill("How likely are you to recommend Acme Stores?")
    frame.get_by_role("heading", name="How likely are you to recommend Acme Stores?").wait_for()

    page.get_by_label("Page").select_option("detractor")
    page.get_by_label("Language", exact=True).select_option("fr")
    frame.get_by_text("Que devons-nous corriger en premier ?").wait_for()
    frame.get_by_text("What went wrong?").wait_for()  # not translated: shown in the default language

    page.get_by_label("Accent colour").evaluate(
        "(el) => { el.value = '#ffcc00'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.locator("#contrast").get_by_text("1.5:1").wait_for()

    page.get_by_label("Accent colour").evaluate(
        "(el) => { el.value = '#0b5a2a'; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.get_by_role("button", name="Save survey").click()
    page.get_by_text("Saved “Acme relationship survey”.").wait_for()
    survey.refresh_from_db()
    assert (survey.nps_question, survey.accent_color) == ("How likely are you to recommend Acme Stores?", "#0b5a2a")


def test_a_refused_colour_is_named_at_its_field_and_focus_goes_to_the_summary(browser_login: Any, org: Any) -> None:
    survey = realistic(org)
    page = browser_login("manager")
    page.goto(f"/surveys/{survey.pk}/")
    page.get_by_label("Accent colour").evaluate("(el) => { el.value = '#ffcc00'; }")
    page.get_by_role("button", name="Save survey").click()
    page.get_by_text("#ffcc00 has a contrast of 1.5:1 on white").wait_for()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_by_label("Accent colour").get_attribute("aria-invalid") == "true"


def test_screenshots_of_the_editor_on_a_phone_and_a_desktop(browser_login: Any, org: Any) -> None:
    survey = realistic(org)
    page = browser_login("admin")
    for width, height in ((360, 780), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/surveys/{survey.pk}/")
        page.frame_locator("#preview-frame").get_by_role("heading").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        screenshot(page, f"survey-editor-{width}")
        page.goto("/surveys/")
        screenshot(page, f"survey-list-{width}")
