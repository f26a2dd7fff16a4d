"""Forms of the reports pages: report schedules and wall links."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet

from harken.org.models import Unit
from harken.reports.models import ReportSchedule, WallLink

MAX_ADDRESSES = 100


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return "\u2003" * obj.depth + obj.name


def _person(user: Any) -> str:
    name = user.get_full_name() or user.username
    return f"{name} <{user.email}>" if user.email else f"{name} (no email address)"


class ScheduleForm(forms.ModelForm):
    """A report schedule; units and recipients are limited to what the person editing it may see."""

    class Meta:
        model = ReportSchedule
        fields = ["name", "unit", "period_kind", "recipients", "emails", "send_hour", "is_active"]
        labels = {
            "period_kind": "How often",
            "emails": "Other email addresses",
            "send_hour": "Hour to send (0–23)",
            "is_active": "Active (untick to pause)",
        }
        widgets = {
            "emails": forms.Textarea(attrs={"rows": 3, "placeholder": "board@acme.example"}),
            "recipients": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, units: QuerySet[Unit], people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoice(queryset=units.order_by("path"), label="Unit (with everything under it)")
        recipients = self.fields["recipients"]
        recipients.queryset = people.order_by("username")  # type: ignore[attr-defined]
        recipients.label_from_instance = _person  # type: ignore[attr-defined]
        recipients.required = False

    def clean_emails(self) -> str:
        """One valid address a line; the first bad one is named."""
        lines = [line.strip() for line in self.cleaned_data["emails"].splitlines() if line.strip()]
        for number, line in enumerate(lines, 1):
            try:
                validate_email(line)
            except ValidationError as error:
                raise ValidationError(f"Line {number}: {line!r} is not an email address.") from error
        if len(lines) > MAX_ADDRESSES:
            raise ValidationError(f"At most {MAX_ADDRESSES} addresses, got {len(lines)}.")
        return "\n".join(lines)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        people = data.get("recipients")
        if not self.errors and not data.get("emails") and not (people and any(p.email for p in people)):
            self.add_error("recipients", "Choose at least one person with an email address, or type an address.")
        return data


class WallLinkForm(forms.ModelForm):
    class Meta:
        model = WallLink
        fields = ["unit", "name"]
        labels = {"name": "Screen name"}

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoice(queryset=units.order_by("path"), label="Unit")


def people_for(units: QuerySet[Unit]) -> QuerySet[Any]:
    """Active users with a membership on one of ``units`` (the people a schedule may be sent to)."""
    return get_user_model().objects.filter(is_active=True, memberships__unit__in=units).distinct()
