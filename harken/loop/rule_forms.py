"""The alert-rule form: every condition and action of an ``AlertRule``, validated with errors naming the field."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from harken.integrations.webhooks.models import Webhook
from harken.loop import authority
from harken.loop.forms import theme_tree
from harken.loop.models import AlertRule
from harken.loop.rules import OPERATORS, AttributeCondition
from harken.org.models import Unit
from harken.text.models import Theme
from harken.text.sentiment import Label

CATEGORY_CHOICES = [("detractor", "Detractors (0–6)"), ("passive", "Passives (7–8)"), ("promoter", "Promoters (9–10)")]
SENTIMENT_CHOICES = [(label.value, label.value.replace("_", " ").capitalize()) for label in Label]
_CONDITION = re.compile(r"^\s*(?P<name>[^<>=!]+?)\s*(?P<op>>=|<=|!=|=|>|<)\s*(?P<value>.+?)\s*$")


def parse_attribute_conditions(text: str) -> list[dict[str, Any]]:
    """Lines like ``revenue >= 100000`` or ``plan = Gold`` as stored conditions; ``ValueError`` names the line.

    Numbers are stored as numbers, everything else as text.
    """
    conditions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _CONDITION.match(line)
        if not found:
            ops = " ".join(OPERATORS)
            raise ValueError(f"Line {number} ({line.strip()!r}): write attribute, operator ({ops}) and value.")
        raw = found["value"].strip().strip('"')
        try:
            value: Any = json.loads(raw) if re.fullmatch(r"-?\d+(\.\d+)?", raw) else raw
        except ValueError:
            value = raw
        condition = {"name": found["name"].strip(), "op": found["op"], "value": value}
        AttributeCondition(condition["name"], condition["op"], value)  # validates the operator
        conditions.append(condition)
    return conditions


def format_attribute_conditions(conditions: list[dict[str, Any]]) -> str:
    """Stored conditions as the lines the form shows."""
    return "\n".join(f"{c.get('name', '')} {c.get('op', '')} {c.get('value', '')}" for c in conditions or [])


class RuleForm(forms.ModelForm):
    """Create or edit an alert rule; the unit, themes and endpoints offered are those the user may use."""

    categories = forms.MultipleChoiceField(
        choices=CATEGORY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple, help_text="Empty: any."
    )
    sentiments = forms.MultipleChoiceField(
        choices=SENTIMENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Comment sentiment",
        help_text="Empty: any. A response without a comment has no sentiment.",
    )
    unit = forms.ChoiceField(required=False, label="Unit", help_text="This unit and everything under it.")
    attributes_text = forms.CharField(
        required=False,
        label="Contact attributes",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "revenue >= 100000\nplan = Gold"}),
        help_text="One condition a line: attribute, operator (> >= < <= = !=) and value. All must hold.",
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "is_active",
            "survey",
            "touchpoint",
            "min_score",
            "max_score",
            "keywords",
            "themes",
            "open_case",
            "assign",
            "priority",
            "sla_hours",
            "notify_emails",
            "webhooks",
            "recognize",
        ]
        labels = {
            "is_active": "Active",
            "min_score": "Lowest score",
            "max_score": "Highest score",
            "open_case": "Open a case",
            "assign": "Case owner",
            "sla_hours": "SLA (business hours)",
            "notify_emails": "Email these addresses",
            "webhooks": "Post to",
            "recognize": "Shout-outs",
        }
        widgets = {
            "keywords": forms.Textarea(attrs={"rows": 2, "placeholder": "cancel\nlawyer"}),
            "notify_emails": forms.Textarea(attrs={"rows": 2}),
            "webhooks": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.user = user
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = authority.unit_choices(user)
        unit_field.required = authority.managed_units(user) is not None  # managers bind rules to their units
        themes_field = self.fields["themes"]
        assert isinstance(themes_field, forms.ModelMultipleChoiceField)
        themes_field.queryset = Theme.objects.filter(is_active=True)
        themes_field.choices = [
            (theme.pk, "\u2003" * depth + theme.name) for theme, depth in theme_tree(themes_field.queryset)
        ]
        themes_field.help_text = (
            "Any of these (a parent covers the themes below it); Ctrl- or ⌘-click for several. Empty: any."
        )
        themes_field.widget.attrs["size"] = 8
        for name, empty in (("survey", "Any survey"), ("touchpoint", "Any touchpoint")):
            choice = self.fields[name]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.empty_label = empty
        hooks_field = self.fields["webhooks"]
        assert isinstance(hooks_field, forms.ModelMultipleChoiceField)
        hooks_field.queryset = authority.scope_config(Webhook.objects.all(), user)
        hooks_field.help_text = "Slack, Teams or webhook endpoints (manage them under Webhooks)."
        if self.instance.pk:
            self.initial.update(
                categories=self.instance.categories,
                sentiments=self.instance.sentiments,
                unit=str(self.instance.unit_id or ""),
                attributes_text=format_attribute_conditions(self.instance.attribute_conditions),
            )

    def clean_unit(self) -> Unit | None:
        value = self.cleaned_data.get("unit")
        return Unit.objects.get(pk=int(value)) if value else None

    def clean_attributes_text(self) -> list[dict[str, Any]]:
        try:
            return parse_attribute_conditions(self.cleaned_data.get("attributes_text") or "")
        except ValueError as error:
            raise ValidationError(str(error)) from error

    def clean_notify_emails(self) -> str:
        lines = [line.strip() for line in re.split(r"[\n,;]", self.cleaned_data.get("notify_emails") or "")]
        addresses = [line for line in lines if line]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError as error:
                raise ValidationError(f"{address!r} is not an email address.") from error
        return "\n".join(addresses)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_score"), data.get("max_score")
        for name in ("min_score", "max_score"):
            if data.get(name) is not None and not 0 <= data[name] <= 10:
                self.add_error(name, "A score is from 0 to 10.")
        if low is not None and high is not None and low > high:
            self.add_error("max_score", "The highest score must not be below the lowest.")
        actions = (data.get("open_case"), data.get("notify_emails"), data.get("webhooks"), data.get("recognize"))
        if not any(actions):
            self.add_error(None, "Choose at least one action: open a case, email, post, or shout-outs.")
        return data

    def save(self, commit: bool = True) -> AlertRule:
        rule: AlertRule = super().save(commit=False)
        rule.unit = self.cleaned_data.get("unit")
        rule.categories = list(self.cleaned_data.get("categories") or [])
        rule.sentiments = list(self.cleaned_data.get("sentiments") or [])
        rule.attribute_conditions = self.cleaned_data.get("attributes_text") or []
        if commit:
            rule.save()
            self.save_m2m()
        return rule
