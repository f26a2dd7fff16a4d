"""The metric alert rule form: only the fields of the chosen kind are required, each checked with a clear message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet

from harken.org.models import Unit
from harken.reports.metric_alerts.models import Kind, MetricAlertRule


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class RuleForm(forms.ModelForm):
    class Meta:
        model = MetricAlertRule
        fields = [
            "name",
            "unit",
            "kind",
            "threshold",
            "period_days",
            "baseline",
            "direction",
            "theme",
            "days",
            "min_sample",
            "level",
            "cooldown_hours",
            "notify_owners",
            "notify_emails",
            "webhooks",
            "is_active",
        ]
        labels = {
            "unit": "Unit (with everything below it)",
            "kind": "Alert when",
            "threshold": "Threshold (NPS points)",
            "period_days": "Measured over (days)",
            "baseline": "Compare",
            "direction": "Watch for",
            "theme": "Theme",
            "days": "Days without feedback",
            "min_sample": "Minimum sample per window",
            "level": "Significance level",
            "cooldown_hours": "Cool-down (hours)",
            "notify_owners": "Email the unit's managers",
            "is_active": "Active",
            "notify_emails": "Also email",
            "webhooks": "Post to (Slack, Teams, webhooks)",
        }
        widgets = {"notify_emails": forms.Textarea(attrs={"rows": 2}), "webhooks": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitChoice(queryset=units.order_by("path"), label=self.Meta.labels["unit"])

    def clean_level(self) -> float:
        level = self.cleaned_data["level"]
        if level is None or not 0 < level < 0.5:
            raise ValidationError("The significance level is a share between 0 and 0.5, e.g. 0.05 for 5%.")
        return float(level)

    def clean_notify_emails(self) -> str:
        text = self.cleaned_data.get("notify_emails") or ""
        for address in text.replace(",", "\n").splitlines():
            if address.strip():
                try:
                    validate_email(address.strip())
                except ValidationError as error:
                    raise ValidationError(f"{address.strip()!r} is not an email address.") from error
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Kind.NPS_BELOW:
            threshold = data.get("threshold")
            if threshold is None:
                self.add_error("threshold", "Give the NPS threshold, from −100 to 100.")
            elif not -100 <= threshold <= 100:
                self.add_error("threshold", "NPS lies between −100 and 100.")
            if not data.get("period_days"):
                self.add_error("period_days", "Give the number of days to measure over (at least 1).")
        if kind == Kind.THEME_RISING and not data.get("theme"):
            self.add_error("theme", "Choose the theme to watch.")
        if kind == Kind.NO_FEEDBACK and not data.get("days"):
            self.add_error("days", "Give the number of days without feedback (at least 1).")
        return data
