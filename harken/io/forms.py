"""The forms of the import and export pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from harken.io.exports import DATASETS, FORMATS
from harken.io.formats import FORMATS as LAYOUTS
from harken.io.formats import Layout
from harken.io.parse import ColumnRef, column_name
from harken.io.tables import Table
from harken.io.values import clean_header
from harken.org.scoping import visible_units
from harken.surveys.models import Question, Survey, Touchpoint

DATASET_LABELS = {
    "responses": "Responses",
    "answers": "Follow-up answers",
    "themes": "Themes found in responses",
    "cases": "Follow-up cases",
}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "parquet": "Parquet"}


class ImportForm(forms.Form):
    """Where the file's responses go; how its columns are read is the ``MappingForm``'s business."""

    survey = forms.ModelChoiceField(queryset=Survey.objects.all())
    unit = forms.ModelChoiceField(
        queryset=Survey.objects.none(), help_text="Responses go to this unit (or to the units a column names below it)."
    )
    touchpoint = forms.ModelChoiceField(
        queryset=Touchpoint.objects.all(), required=False, help_text="Unless a column names each row's touchpoint."
    )
    format = forms.ChoiceField(
        choices=[("", "Recognise it"), *((name, name) for name in LAYOUTS)], required=False, label="File from"
    )
    scale = forms.ChoiceField(
        choices=[("auto", "Recognise it (0–10, or 1–11 recoded to 0–10)"), ("0-10", "0–10"), ("1-11", "1–11")],
        initial="auto",
        required=False,
        label="Score scale",
    )
    skip_bad_rows = forms.BooleanField(required=False, label="Import the valid rows even if others have problems")

    def __init__(self, user: AbstractBaseUser | AnonymousUser, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user).order_by("path")  # type: ignore[attr-defined]


# What a column of the file can be used as (the parser's roles), in the order the mapping lists them.
ROLE_LABELS = {
    "score": "NPS score (0–10)",
    "comment": "Comment",
    "submitted": "Date answered",
    "unit": "Unit (name or code)",
    "touchpoint": "Touchpoint (name or slug)",
    "email": "Customer e-mail",
    "customer_id": "Customer id (in your CRM)",
    "id": "Response id (for re-imports)",
    "name": "Customer name",
    "last_name": "Customer last name",
    "language": "Language",
    "group": "NPS group (checked against the score)",
}
ANSWER = "answer:"
SAMPLES = 3


class MappingForm(forms.Form):
    """One choice per column of the file — not imported, a role, or the answer to a follow-up question —
    prefilled from what Harken recognised."""

    def __init__(
        self, layout: Layout, table: Table, questions: list[Question], data: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.layout = layout
        choices = [("", "Not imported"), *ROLE_LABELS.items()]
        choices += [(f"{ANSWER}{q.key}", f"Answer to “{q.text[:60]}” ({q.key})") for q in questions]
        guessed = {index: role for role, index in layout.columns.items() if role in ROLE_LABELS}
        guessed |= _guess_answers(layout, questions, taken=set(guessed))
        rows = table.rows[layout.data_start :]
        self.columns = []
        for index, header in enumerate(layout.header):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                choices=choices, required=False, initial=guessed.get(index, ""), label=column_name(layout, index)
            )
            samples = [row[index].strip()[:40] for row in rows if index < len(row) and row[index].strip()][:SAMPLES]
            self.columns.append(
                {
                    "field": self[name],
                    "header": header,
                    "samples": samples,
                    "texts": _header_texts(table, layout, index),
                }
            )

    def clean(self) -> dict[str, Any]:
        """Each role and each question once at most; the score is needed."""
        data = super().clean() or {}
        used: dict[str, str] = {}
        for index in range(len(self.layout.header)):
            name, value = f"col_{index}", data.get(f"col_{index}", "")
            if value and value in used:
                what = ROLE_LABELS.get(value) or f"the answer to {value[len(ANSWER) :]!r}"
                self.add_error(name, f"{what} is column {self.fields[used[value]].label} already.")
            elif value:
                used[value] = name
        if "score" not in used:
            raise forms.ValidationError("Choose the column with the NPS score (0–10).")
        return data

    def roles(self) -> dict[str, ColumnRef | None]:
        """Every role → the column index chosen for it, or None (so a guess the person undid is not used)."""
        chosen = {self.cleaned_data[f"col_{i}"]: i for i in range(len(self.layout.header))}
        return {role: chosen.get(role) for role in ROLE_LABELS}

    def answers(self) -> dict[ColumnRef, str]:
        """Column index → question key."""
        return {
            i: value[len(ANSWER) :]
            for i in range(len(self.layout.header))
            if (value := self.cleaned_data[f"col_{i}"]).startswith(ANSWER)
        }


def _header_texts(table: Table, layout: Layout, index: int) -> list[str]:
    """The other header rows' texts of a column (Qualtrics' question labels), to tell "Q1" from "Q2"."""
    texts = []
    for row in table.rows[: layout.data_start]:
        text = clean_header(row[index]) if index < len(row) else ""
        if text and text != layout.header[index] and not text.startswith("{") and text not in texts:
            texts.append(text[:120])
    return texts


def _guess_answers(layout: Layout, questions: list[Question], taken: set[int]) -> dict[int, str]:
    """Columns headed with a question's key or text (any case) answer that question."""
    names = {}
    for question in questions:
        names[question.key.lower()] = question.key
        names[clean_header(question.text).lower()] = question.key
    guesses: dict[int, str] = {}
    for index, header in enumerate(layout.header):
        key = names.get(clean_header(header).lower())
        if key and index not in taken and f"{ANSWER}{key}" not in guesses.values():
            guesses[index] = f"{ANSWER}{key}"
    return guesses


class ExportForm(forms.Form):
    """Which dataset, in which format; the dashboard filters come from the same URL parameters."""

    dataset = forms.ChoiceField(choices=[(name, DATASET_LABELS[name]) for name in DATASETS])
    format = forms.ChoiceField(choices=[(name, FORMAT_LABELS[name]) for name in FORMATS])
