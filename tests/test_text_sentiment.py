"""Sentiment: VADER for English, a clear 'not analysed' for everything else."""

from __future__ import annotations

import pytest

from harken.text.sentiment import Label, Sentiment, analyse, is_supported, label_for


def test_it_scores_english_praise_as_positive() -> None:
    result = analyse("The staff were wonderful and really helpful!", "en")
    assert result.label == Label.POSITIVE
    assert result.score is not None and result.score > 0.5


def test_it_scores_english_complaints_as_negative() -> None:
    result = analyse("Terrible service, rude staff and a horrible wait.", "en-GB")
    assert result.label == Label.NEGATIVE
    assert result.score is not None and result.score < -0.5


def test_it_understands_simple_negation() -> None:
    assert analyse("The staff were not helpful", "en").label == Label.NEGATIVE


def test_it_calls_plain_facts_neutral() -> None:
    assert analyse("I bought a kettle on Tuesday", "en") == Sentiment(score=0.0, label=Label.NEUTRAL)


@pytest.mark.parametrize("language", ["fr", "de", "es", "nl", ""])
def test_it_does_not_guess_other_languages(language: str) -> None:
    assert analyse("Le personnel était horrible", language) == Sentiment(score=None, label=Label.NOT_ANALYSED)


def test_it_does_not_analyse_a_blank_comment() -> None:
    assert analyse("   ", "en") == Sentiment(score=None, label=Label.NOT_ANALYSED)


def test_thresholds_are_vaders() -> None:
    assert [label_for(x) for x in (0.05, 0.0499, -0.0499, -0.05)] == [
        Label.POSITIVE,
        Label.NEUTRAL,
        Label.NEUTRAL,
        Label.NEGATIVE,
    ]
    assert is_supported("en_US") and not is_supported("eng-x")
