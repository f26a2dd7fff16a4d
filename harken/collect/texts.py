"""The words and looks of a survey page: languages, survey texts with built-in translations, brand colours."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Field
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from harken.surveys.models import Survey

# Built-in wording of the survey's own texts.  When a survey keeps Harken's default English wording, a
# respondent in another language gets Harken's translation of it; wording the owner changed is shown as the
# owner wrote it unless they translated it too (``Survey.translations``).
BUILT_IN = {
    "nps_question": _("How likely are you to recommend us to a friend or colleague?"),
    "low_label": _("Not at all likely"),
    "high_label": _("Extremely likely"),
    "comment_question": _("What is the main reason for your score?"),
}


def languages() -> list[tuple[str, str]]:
    """The languages a survey page offers, as (code, name in that language)."""
    return list(settings.LANGUAGES)


def supported(code: str | None) -> str | None:
    """``code`` reduced to a language Harken speaks (``fr-CA`` → ``fr``), or ``None``."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in dict(settings.LANGUAGES) else None


def choose_language(request: HttpRequest, *preferred: str | None) -> str:
    """The page language: the one picked with the switcher, else the first of ``preferred`` Harken speaks
    (the invitation's, then its contact's), else the browser's Accept-Language, else English."""
    picked = supported(request.POST.get("lang") or request.GET.get("lang"))
    if picked:
        return picked
    for code in preferred:
        if supported(code):
            return supported(code) or "en"
    return supported(translation.get_language_from_request(request)) or "en"


def survey_text(survey: Survey, field: str, language: str) -> str:
    """A survey text in ``language``: the owner's translation, else a built-in translation of the default
    wording, else the owner's wording."""
    own = (survey.translations or {}).get(language, {}).get(field)
    if own:
        return str(own)
    value = str(getattr(survey, field))
    model_field = Survey._meta.get_field(field)
    default = model_field.get_default() if isinstance(model_field, Field) else None
    if field in BUILT_IN and value == default:
        with translation.override(language):
            return str(BUILT_IN[field])
    return value


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def readable_accent(color: str, background: str = "#ffffff", minimum: float = 4.5) -> str:
    """The brand colour, darkened just enough to reach WCAG AA contrast (4.5:1) on ``background``."""
    try:
        rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    except (ValueError, IndexError):
        return "#0a58ca"
    for _step in range(100):
        candidate = "#" + "".join(f"{c:02x}" for c in rgb)
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
        rgb = [int(c * 0.92) for c in rgb]
    return "#000000"


def logo_origin(survey: Survey) -> str | None:
    """The origin of the survey's logo, to allow in the page's Content-Security-Policy."""
    if not survey.logo_url:
        return None
    parts = urlsplit(survey.logo_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"
