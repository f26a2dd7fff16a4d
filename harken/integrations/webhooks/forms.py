"""The webhook endpoint form: name, URL, kind, events and unit, with errors naming the field."""

from __future__ import annotations

from typing import Any

from django import forms

from harken.integrations.webhooks.models import Event, Webhook
from harken.loop import authority
from harken.org.models import Unit


class WebhookForm(forms.ModelForm):
    """Create or edit an endpoint; managers bind theirs to a unit of their subtree."""

    events = forms.MultipleChoiceField(
        choices=Event.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Empty: every event.",
    )
    unit = forms.ChoiceField(required=False, help_text="Only events of this unit and everything under it.")
    url = forms.URLField(
        max_length=1000,
        assume_scheme="https",
        label="URL",
        help_text="Where Harken POSTs; https in production. Slack and Teams give you this URL.",
    )

    class Meta:
        model = Webhook
        fields = ["name", "url", "kind", "is_active"]
        labels = {"is_active": "Active"}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = authority.unit_choices(user)
        unit_field.required = authority.managed_units(user) is not None
        if self.instance.pk:
            self.initial.update(events=self.instance.events, unit=str(self.instance.unit_id or ""))

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Use an http:// or https:// address.")
        return url

    def clean_unit(self) -> Unit | None:
        value = self.cleaned_data.get("unit")
        return Unit.objects.get(pk=int(value)) if value else None

    def save(self, commit: bool = True) -> Webhook:
        hook: Webhook = super().save(commit=False)
        hook.unit = self.cleaned_data.get("unit")
        hook.events = list(self.cleaned_data.get("events") or [])
        if commit:
            hook.save()
        return hook
