"""Forms of the survey editor: the survey's texts and branding, and its follow-up questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms import BaseModelFormSet, modelformset_factory

from harken.surveys.models import Question, Survey, key_validator

AA_CONTRAST = 4.5


class SurveyForm(forms.ModelForm):
    """The survey's own wording (default language), its category wordings and its branding."""

    default_language = forms.ChoiceField(choices=settings.LANGUAGES, help_text="The language you write in.")
    logo_url = forms.URLField(
        label="Logo address",
        required=False,
        assume_scheme="https",
        help_text="An https address of an image; shown at most 180 × 40 pixels.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    class Meta:
        model = Survey
        fields = [
            "name",
            "default_language",
            "nps_question",
            "low_label",
            "high_label",
            "comment_question",
            "comment_question_detractor",
            "comment_question_passive",
            "comment_question_promoter",
            "company_name",
            "logo_url",
            "accent_color",
        ]
        labels = {
            "nps_question": "NPS question",
            "low_label": "Label of 0",
            "high_label": "Label of 10",
            "comment_question": "Why? question (everyone)",
            "comment_question_detractor": "Why? question for detractors (0–6)",
            "comment_question_passive": "Why? question for passives (7–8)",
            "comment_question_promoter": "Why? question for promoters (9–10)",
            "logo_url": "Logo address",
            "accent_color": "Accent colour",
        }
        help_texts = {
            "comment_question_detractor": "Empty: they are asked the question above.",
            "logo_url": "An https address of an image; shown at most 180 × 40 pixels.",
            "accent_color": "Buttons and links; must reach 4.5:1 contrast on white (WCAG AA).",
        }
        widgets = {"accent_color": forms.TextInput(attrs={"type": "color", "class": "color"})}

    def clean_accent_color(self) -> str:
        """A ``#rrggbb`` colour readable as text on white; otherwise an error suggesting the nearest that is."""
        from harken.collect.texts import contrast_ratio, readable_accent

        color = str(self.cleaned_data["accent_color"]).lower()
        ratio = contrast_ratio(color, "#ffffff")
        if ratio < AA_CONTRAST:
            raise forms.ValidationError(
                f"{color} has a contrast of {ratio:.1f}:1 on white; text and buttons need at least 4.5:1 (WCAG AA). "
                f"The nearest darker shade that reaches it is {readable_accent(color)}."
            )
        return color

    def clean_logo_url(self) -> str:
        """Only https logos (http is allowed for a local address), so the survey page never mixes content."""
        url = str(self.cleaned_data.get("logo_url") or "")
        if url and not (
            url.startswith("https://") or url.startswith("http://127.0.0.1") or url.startswith("http://localhost")
        ):
            raise forms.ValidationError("Use an https:// address for the logo.")
        return url


def choices_to_text(choices: list[Any]) -> str:
    """Choices as the editor shows them: one ``key | Label`` a line."""
    return "\n".join(f"{c.get('key')} | {c.get('label', '')}" for c in choices if isinstance(c, dict))


def parse_choices(text: str) -> list[dict[str, str]]:
    """``key | Label`` lines to choices; a line without ``|`` uses its label, lower-cased, as the key.

    Raises ``ValidationError`` naming the line for a bad or repeated key.
    """
    choices: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, _bar, label = line.partition("|") if "|" in line else ("", "", line)
        label = label.strip()
        key = key.strip() or "-".join(label.lower().split())[:50]
        if not label:
            raise forms.ValidationError(f"Line {number}: give the choice a label after the |.")
        try:
            key_validator(key)
        except forms.ValidationError:
            raise forms.ValidationError(
                f"Line {number}: the key {key!r} may only use lower-case letters, digits, - and _."
            ) from None
        if any(choice["key"] == key for choice in choices):
            raise forms.ValidationError(f"Line {number}: the key {key!r} is used twice.")
        choices.append({"key": key, "label": label})
    return choices


class QuestionForm(forms.ModelForm):
    """One follow-up question.  Once a question exists its key and type are fixed: answers refer to them."""

    choices_text = forms.CharField(
        label="Choices",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: key | Label (e.g. price | Price). Keys are stored with each answer; keep them.",
    )

    class Meta:
        model = Question
        fields = ["key", "kind", "text", "driver", "audience", "position", "required", "is_active"]
        labels = {"kind": "Type", "audience": "Asked to", "is_active": "Active", "text": "Question"}
        help_texts = {"key": "Stable id of the answers, e.g. staff or fix_first."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        if self.instance.pk is not None:
            self.fields["key"].disabled = True
            self.fields["kind"].disabled = True
            self.initial["choices_text"] = choices_to_text(self.instance.choices or [])
        else:
            self.fields["text"].required = False  # an empty extra form is skipped
            self.fields["kind"].required = False
            # The model's default key is random; an empty one is made at saving, so an untouched form is unchanged.
            self.instance.key = ""
            self.initial["key"] = ""

    def clean(self) -> dict[str, Any]:
        """Choices only for choice questions, at least one for them; an existing choice key must stay."""
        data = super().clean() or {}
        if self.instance.pk is None and not data.get("text"):
            return data
        if self.instance.pk is None and not data.get("kind"):
            self.add_error("kind", "Choose the type of the new question.")
            return data
        kind = data.get("kind") or self.instance.kind
        is_choice = kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE)
        try:
            choices = parse_choices(data.get("choices_text") or "")
        except forms.ValidationError as error:
            self.add_error("choices_text", error)
            return data
        if is_choice and not choices:
            self.add_error("choices_text", "A choice question needs at least one choice.")
        elif not is_choice and choices:
            self.add_error("choices_text", "Only single and multiple choice questions take choices.")
        old_keys = [str(c.get("key")) for c in (self.instance.choices or []) if isinstance(c, dict)]
        dropped = [key for key in old_keys if key not in {c["key"] for c in choices}]
        if self.instance.pk is not None and is_choice and dropped:
            self.add_error(
                "choices_text",
                f"The choice {dropped[0]!r} has answers that refer to it; keep its key (you may change its label).",
            )
        data["choices"] = choices
        return data

    def save(self, commit: bool = True) -> Question:
        """Keep the parsed choices; a new question without a key gets a random one."""
        self.instance.choices = self.cleaned_data.get("choices", [])
        if not self.instance.key:
            from harken.surveys.models import new_question_key

            self.instance.key = new_question_key()
        question: Question = super().save(commit=commit)
        return question


class BaseQuestionFormSet(BaseModelFormSet):
    """Question keys are unique within a survey."""

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        self.survey = survey
        super().__init__(*args, **kwargs)

    def clean(self) -> None:
        """Refuse a new question whose key another question of the survey already has."""
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            key = (form.cleaned_data or {}).get("key") if hasattr(form, "cleaned_data") else None
            if not key:
                continue
            if key in seen:
                form.add_error("key", f"Another question already uses the key {key!r}.")
            seen.add(key)

    def new_questions(self) -> list[Question]:
        """The filled extra forms, as unsaved questions of this survey (for the preview)."""
        return [form.instance for form in self.forms if form.instance.pk is None and form.cleaned_data.get("text")]


QuestionFormSet = modelformset_factory(Question, form=QuestionForm, formset=BaseQuestionFormSet, extra=1)
