"""Sentiment of a comment: a pure function over its text and language (VADER for English).

VADER (vaderSentiment) scores English text with a lexicon and rules (negation, intensifiers, "but",
punctuation, capitals); its lexicon ships in the package, so nothing is downloaded.  Other languages are
labelled ``not_analysed`` with no score: an English lexicon applied to French gives a wrong guess, which is
worse than no answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's authors' thresholds on the compound score (−1…1).
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05
SUPPORTED_LANGUAGES = ("en",)


class Label(StrEnum):
    """What a comment's sentiment is, or why it has none."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    NOT_ANALYSED = "not_analysed"


@dataclass(frozen=True)
class Sentiment:
    """A compound score from −1 (most negative) to 1 (most positive), or None when not analysed."""

    score: float | None
    label: Label


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def is_supported(language: str) -> bool:
    """True for languages VADER can judge: English in any region ("en", "en-GB", "en_us")."""
    return language.lower().replace("_", "-").split("-")[0] in SUPPORTED_LANGUAGES


def label_for(score: float) -> Label:
    """Positive from 0.05, negative to −0.05, neutral between (VADER's recommended thresholds)."""
    if score >= POSITIVE_FROM:
        return Label.POSITIVE
    if score <= NEGATIVE_TO:
        return Label.NEGATIVE
    return Label.NEUTRAL


def analyse(text: str, language: str) -> Sentiment:
    """The sentiment of ``text`` written in ``language``; ``not_analysed`` for blank text or other languages."""
    if not text.strip() or not is_supported(language):
        return Sentiment(score=None, label=Label.NOT_ANALYSED)
    score = round(float(_analyzer().polarity_scores(text)["compound"]), 4)
    return Sentiment(score=score, label=label_for(score))
