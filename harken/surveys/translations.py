"""Translations of a survey owner's own texts: what there is to translate, and what is missing.

The owner writes a survey in its default language.  Every other language Harken speaks gets, per text, the
owner's translation if there is one; else Harken's built-in translation when the text is still Harken's default
wording; else the default-language text (the page falls back to it, and the editor flags it as missing).
Translations live in ``Survey.translations`` (``{"fr": {"nps_question": "…"}}``) and ``Question.translations``
(``{"fr": {"text": "…", "choices": {"price": "Prix"}}}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Field
from django.utils import translation

from harken.surveys.models import Question, Survey

SURVEY_TEXTS = {
    "nps_question": "NPS question",
    "low_label": "Label of 0",
    "high_label": "Label of 10",
    "comment_question": "Why? question",
    "comment_question_detractor": "Why? question for detractors",
    "comment_question_passive": "Why? question for passives",
    "comment_question_promoter": "Why? question for promoters",
}


class Status:
    """How a text appears in one language."""

    ORIGINAL = "original"  # the default language: the owner's own wording
    OWN = "own"  # the owner translated it
    BUILT_IN = "built-in"  # Harken's translation of its default wording
    MISSING = "missing"  # shown in the default language


@dataclass
class Cell:
    """One text in one language: the owner's translation (may be empty) and how the page will show it."""

    language: str
    name: str
    value: str
    status: str
    shown: str


@dataclass
class Row:
    """One text of the survey and its cells per language, in ``settings.LANGUAGES`` order."""

    label: str
    original: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """The languages in which this text falls back to the default language."""
        return [cell.language for cell in self.cells if cell.status == Status.MISSING]


def languages() -> list[str]:
    """Every language a survey page can show."""
    return [code for code, _name in settings.LANGUAGES]


def field_name(language: str, key: str) -> str:
    """The form field of one translation: ``tr-fr-s.nps_question``, ``tr-fr-q.12.text``, ``tr-fr-q.12.c.price``."""
    return f"tr-{language}-{key}"


def _built_in(survey: Survey, name: str, language: str) -> str | None:
    from harken.collect.texts import BUILT_IN

    model_field = Survey._meta.get_field(name)
    default = model_field.get_default() if isinstance(model_field, Field) else None
    if name in BUILT_IN and getattr(survey, name) == default:
        with translation.override(language):
            return str(BUILT_IN[name])
    return None


def _row(label: str, original: str, key: str, survey: Survey, own: dict[str, str], name: str | None = None) -> Row:
    row = Row(label=label, original=original)
    for language in languages():
        cell_name = field_name(language, key)
        value = own.get(language, "")
        built_in = _built_in(survey, name, language) if name else None
        if language == survey.default_language:
            row.cells.append(Cell(language, cell_name, original, Status.ORIGINAL, original))
        elif value:
            row.cells.append(Cell(language, cell_name, value, Status.OWN, value))
        elif built_in:
            row.cells.append(Cell(language, cell_name, "", Status.BUILT_IN, built_in))
        else:
            row.cells.append(Cell(language, cell_name, "", Status.MISSING, original))
    return row


def rows(survey: Survey, questions: list[Question]) -> list[Row]:
    """Every text the owner wrote (empty category wordings left out), with its translations and their status."""
    result: list[Row] = []
    saved = survey.translations or {}
    for name, label in SURVEY_TEXTS.items():
        original = str(getattr(survey, name) or "")
        if not original:
            continue
        own = {language: str(texts.get(name, "")) for language, texts in saved.items() if isinstance(texts, dict)}
        result.append(_row(label, original, f"s.{name}", survey, own, name))
    for question in questions:
        if question.pk is None:
            continue
        qsaved = question.translations or {}
        own = {lang: str(texts.get("text", "")) for lang, texts in qsaved.items() if isinstance(texts, dict)}
        result.append(_row(f"Question “{question.key}”", question.text, f"q.{question.pk}.text", survey, own))
        for choice in question.choices or []:
            if not isinstance(choice, dict) or "key" not in choice:
                continue
            key = str(choice["key"])
            own = {
                lang: str((texts.get("choices") or {}).get(key, ""))
                for lang, texts in qsaved.items()
                if isinstance(texts, dict)
            }
            label = f"Choice “{key}” of “{question.key}”"
            result.append(_row(label, str(choice.get("label", key)), f"q.{question.pk}.c.{key}", survey, own))
    return result


def apply(survey: Survey, questions: list[Question], data: Any) -> None:
    """Write the submitted translations (``data``: the POST) into the survey's and questions' JSON.

    An empty field removes that translation, so the page falls back again; the default language is never
    stored as a translation (its text is the original).
    """
    by_pk = {question.pk: question for question in questions if question.pk is not None}
    survey_translations: dict[str, dict[str, Any]] = {}
    question_translations: dict[int, dict[str, dict[str, Any]]] = {pk: {} for pk in by_pk}
    for language in languages():
        if language == survey.default_language:
            continue
        for name in SURVEY_TEXTS:
            value = str(data.get(field_name(language, f"s.{name}"), "")).strip()
            if value:
                survey_translations.setdefault(language, {})[name] = value
        for pk, question in by_pk.items():
            value = str(data.get(field_name(language, f"q.{pk}.text"), "")).strip()
            if value:
                question_translations[pk].setdefault(language, {})["text"] = value
            for choice in question.choices or []:
                key = str(choice.get("key", "")) if isinstance(choice, dict) else ""
                value = str(data.get(field_name(language, f"q.{pk}.c.{key}"), "")).strip()
                if key and value:
                    question_translations[pk].setdefault(language, {}).setdefault("choices", {})[key] = value
    survey.translations = survey_translations
    for pk, question in by_pk.items():
        question.translations = question_translations[pk]
