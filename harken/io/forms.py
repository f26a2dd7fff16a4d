"""The forms of the import and export pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from harken.io.exports import DATASETS, FORMATS
from harken.io.formats import FORMATS as LAYOUTS
from harken.org.scoping import visible_units
from harken.surveys.models import Survey, Touchpoint

DATASET_LABELS = {
    "responses": "Responses",
    "answers": "Follow-up answers",
    "themes": "Themes found in responses",
    "cases": "Follow-up cases",
}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "parquet": "Parquet"}


class ImportForm(forms.Form):
    """Where the file's responses go, and the overrides of what Harken guesses about its columns."""

    survey = forms.ModelChoiceField(queryset=Survey.objects.all())
    unit = forms.ModelChoiceField(queryset=Survey.objects.none(), help_text="Responses go to this unit.")
    touchpoint = forms.ModelChoiceField(queryset=Touchpoint.objects.all(), required=False)
    format = forms.ChoiceField(
        choices=[("", "Recognise it"), *((name, name) for name in LAYOUTS)], required=False, label="File from"
    )
    unit_column = forms.CharField(
        required=False, help_text="A column naming units below the chosen one (name or code)."
    )
    score_column = forms.CharField(required=False, help_text="Only when Harken cannot find the 0–10 score.")
    skip_bad_rows = forms.BooleanField(required=False, label="Import the valid rows even if others have problems")

    def __init__(self, user: AbstractBaseUser | AnonymousUser, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user).order_by("path")  # type: ignore[attr-defined]


class ExportForm(forms.Form):
    """Which dataset, in which format; the dashboard filters come from the same URL parameters."""

    dataset = forms.ChoiceField(choices=[(name, DATASET_LABELS[name]) for name in DATASETS])
    format = forms.ChoiceField(choices=[(name, FORMAT_LABELS[name]) for name in FORMATS])
