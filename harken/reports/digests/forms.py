"""Forms of the digest pages: a user's own subscription, and an administrator's for someone without a login."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.db.models import QuerySet

from harken.org.models import Unit
from harken.reports.digests.models import Frequency


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone, alphabetically (UTC first)."""
    names = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone and not zone.startswith("Etc/"))
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class UnitChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class SubscriptionForm(forms.Form):
    """How often, of which units, and when; units are limited to what the user may see."""

    frequency = forms.ChoiceField(choices=Frequency.choices, initial=Frequency.WEEKLY)
    units = UnitChoice(
        queryset=Unit.objects.none(),
        required=False,
        help_text="Leave empty for all of your units.",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    time_zone = forms.ChoiceField(choices=zone_choices, initial="UTC", label="Your time zone")
    send_hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8, label="Send at")

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units.order_by("path")  # type: ignore[attr-defined]


class OtherSubscriptionForm(SubscriptionForm):
    """An administrator subscribes a person without a login: their address, name and units (required)."""

    email = forms.EmailField(label="Email address")
    name = forms.CharField(max_length=200, required=False)
    field_order = ["email", "name", "frequency", "units", "time_zone", "send_hour"]

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, units=units, **kwargs)
        self.fields["units"].required = True
        self.fields["units"].help_text = "Each with everything below it."
        self.fields["time_zone"].label = "Their time zone"
