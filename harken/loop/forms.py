"""Forms of the case pages: the inbox filters and the status change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from harken.loop.models import Outcome, Priority, RootCause, Status
from harken.org.models import Unit

STATUS_FILTERS = [("open", "Open"), ("overdue", "Overdue"), ("all", "All"), *Status.choices]


class InboxFilters(forms.Form):
    """What the inbox shows: by status, whose, which unit, which priority."""

    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    mine = forms.BooleanField(required=False, label="Only mine")
    unit = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    priority = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, choices=[("", "Any"), *Priority.choices]
    )

    def __init__(self, data: Any, units: Iterable[Unit]) -> None:
        super().__init__(data, label_suffix="")
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Any"), *[(unit.pk, "\u2003" * unit.depth + unit.name) for unit in units]]


class StatusForm(forms.Form):
    """Move a case on, optionally with a root cause, an outcome and a note."""

    status = forms.ChoiceField(choices=Status.choices)
    root_cause = forms.ChoiceField(choices=[("", "—"), *RootCause.choices], required=False)
    outcome = forms.ChoiceField(choices=[("", "—"), *Outcome.choices], required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000, label="Note with this change"
    )

    def __init__(self, data: Any = None, allowed: list[str] | None = None) -> None:
        initial = {"status": allowed[0]} if allowed else None
        super().__init__(data, initial=initial, label_suffix="")
        if allowed is not None:
            field = self.fields["status"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(value, label) for value, label in Status.choices if value in allowed]


class NoteForm(forms.Form):
    """A note for the case's history."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Note")
