"""Forms of the case pages: the inbox filters and the status change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from harken.loop.models import Outcome, Priority, Status
from harken.org.models import Unit
from harken.text.models import Theme

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


def theme_tree(themes: Iterable[Theme]) -> list[tuple[Theme, int]]:
    """Themes in tree order (each parent followed by its children, by position and name) with their depth."""
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id, []).append(theme)
    ordered: list[tuple[Theme, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for theme in sorted(children.get(parent, []), key=lambda t: (t.position, t.name.lower())):
            ordered.append((theme, depth))
            walk(theme.pk, depth + 1)

    walk(None, 0)
    return ordered


class ThemeChoiceField(forms.ModelChoiceField):
    """A theme picked from the taxonomy, shown as an indented tree (call ``load`` when the form is made)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Theme.objects.filter(is_active=True), empty_label="—", **kwargs)

    def load(self) -> None:
        """Read the taxonomy into the choices (not at import: the table may not exist yet)."""
        tree = theme_tree(self.queryset)  # type: ignore[arg-type]
        self.choices = [("", "—"), *[(theme.pk, "\u2003" * depth + theme.name) for theme, depth in tree]]


class StatusForm(forms.Form):
    """Move a case on, optionally with a root cause (a theme of the taxonomy), an outcome and a note."""

    status = forms.ChoiceField(choices=Status.choices)
    root_cause = ThemeChoiceField(required=False, help_text="Required to close: the theme behind the problem.")
    outcome = forms.ChoiceField(choices=[("", "—"), *Outcome.choices], required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000, label="Note with this change"
    )

    def __init__(self, data: Any = None, allowed: list[str] | None = None) -> None:
        initial = {"status": allowed[0]} if allowed else None
        super().__init__(data, initial=initial, label_suffix="")
        root_cause = self.fields["root_cause"]
        assert isinstance(root_cause, ThemeChoiceField)
        root_cause.load()
        if allowed is not None:
            field = self.fields["status"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(value, label) for value, label in Status.choices if value in allowed]


class NoteForm(forms.Form):
    """A note for the case's history."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Note")


class CustomerEmailForm(forms.Form):
    """An email from the case to the customer; replies go to the case owner."""

    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000, label="Message")

    def __init__(self, data: Any = None, initial: dict[str, Any] | None = None) -> None:
        super().__init__(data, initial=initial, label_suffix="")
