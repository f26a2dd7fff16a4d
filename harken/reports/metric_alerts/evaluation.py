"""Deciding whether a metric alert's condition holds: pure functions over counts, no database.

Each ``judge_*`` function returns a ``Verdict``: whether the condition holds, whether there was enough data to
judge at all (``judged``), and a sentence with the numbers.  NPS statistics come from
``harken.analytics.nps``; the one test not about NPS — two proportions (a theme's share, a response rate) —
is here with its formula.  Nothing fires below the minimum sample, and a change fires only when its test is
significant at the rule's level and goes the watched way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harken.analytics.nps import Counts, compare, compare_shares, summarize
from harken.analytics.templatetags.nps import interval as show_interval
from harken.analytics.templatetags.nps import nps as signed
from harken.analytics.templatetags.nps import p_value as show_p


@dataclass(frozen=True)
class Verdict:
    holds: bool
    judged: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _wanted(difference: float, direction: str) -> bool:
    return direction == "any" or (direction == "up" and difference > 0) or (direction == "down" and difference < 0)


def judge_nps_below(counts: Counts, threshold: float, min_sample: int, confidence: float) -> Verdict:
    """Holds when n ≥ ``min_sample`` and the whole interval lies below ``threshold`` (surely below, not by noise)."""
    summary = summarize(counts, confidence)
    details = {"n": counts.n, "nps": summary.nps, "threshold": threshold}
    if counts.n < min_sample or summary.nps is None or summary.interval is None:
        return Verdict(False, False, f"Only {counts.n} responses (minimum {min_sample}): not judged.", details)
    details.update(low=summary.interval.low, high=summary.interval.high)
    numbers = f"NPS {signed(summary.nps)} (interval {show_interval(summary.interval)}, n = {counts.n})"
    if summary.interval.high < threshold:
        return Verdict(True, True, f"{numbers} is below the threshold of {signed(threshold)}.", details)
    if summary.nps < threshold:
        message = f"{numbers} is under {signed(threshold)} but within the margin of error: not firing."
    else:
        message = f"{numbers} is not below the threshold of {signed(threshold)}."
    return Verdict(False, True, message, details)


def judge_nps_change(before: Counts, after: Counts, direction: str, min_sample: int, level: float) -> Verdict:
    """Holds when both windows have ``min_sample`` answers and the two-sample z-test is significant the watched way."""
    details: dict[str, Any] = {"n_before": before.n, "n_after": after.n}
    if min(before.n, after.n) < min_sample:
        message = f"{after.n} responses now and {before.n} in the baseline (minimum {min_sample} each): not judged."
        return Verdict(False, False, message, details)
    test = compare(before, after, level)
    assert test is not None  # both windows have answers
    details.update(before=test.before, after=test.after, difference=test.difference, p_value=test.p_value)
    numbers = (
        f"NPS {signed(test.after)} (n = {after.n}) against {signed(test.before)} in the baseline (n = {before.n}), "
        f"{show_p(test.p_value)}"
    )
    if test.significant and _wanted(test.difference, direction):
        verb = "rose" if test.difference > 0 else "fell"
        return Verdict(
            True, True, f"NPS {verb} significantly by {abs(test.difference):.1f} points: {numbers}.", details
        )
    return Verdict(False, True, f"No significant change of the watched kind: {numbers}.", details)


def judge_share_rising(
    mentions_before: int,
    commented_before: int,
    mentions_after: int,
    commented_after: int,
    min_sample: int,
    level: float,
) -> Verdict:
    """Holds when both windows have ``min_sample`` comments and the theme's share rose significantly."""
    details: dict[str, Any] = {"commented_before": commented_before, "commented_after": commented_after}
    if min(commented_before, commented_after) < min_sample:
        message = (
            f"{commented_after} comments now and {commented_before} in the baseline "
            f"(minimum {min_sample} each): not judged."
        )
        return Verdict(False, False, message, details)
    test = compare_shares(mentions_before, commented_before, mentions_after, commented_after, level)
    assert test is not None
    details.update(before=test.before, after=test.after, p_value=test.p_value)
    numbers = (
        f"{100 * test.after:.1f}% of comments ({mentions_after} of {commented_after}) against "
        f"{100 * test.before:.1f}% ({mentions_before} of {commented_before}), {show_p(test.p_value)}"
    )
    if test.significant and test.difference > 0:
        return Verdict(True, True, f"The theme's share rose significantly: {numbers}.", details)
    return Verdict(False, True, f"No significant rise of the theme's share: {numbers}.", details)


def judge_rate_drop(
    answered_before: int, sent_before: int, answered_after: int, sent_after: int, min_sample: int, level: float
) -> Verdict:
    """Holds when both windows sent ``min_sample`` invitations and the response rate fell significantly."""
    details: dict[str, Any] = {"sent_before": sent_before, "sent_after": sent_after}
    if min(sent_before, sent_after) < min_sample:
        message = (
            f"{sent_after} invitations sent now and {sent_before} in the baseline "
            f"(minimum {min_sample} each): not judged."
        )
        return Verdict(False, False, message, details)
    test = compare_shares(answered_before, sent_before, answered_after, sent_after, level)
    assert test is not None
    details.update(before=test.before, after=test.after, p_value=test.p_value)
    numbers = (
        f"{100 * test.after:.1f}% answered ({answered_after} of {sent_after}) against "
        f"{100 * test.before:.1f}% ({answered_before} of {sent_before}), {show_p(test.p_value)}"
    )
    if test.significant and test.difference < 0:
        return Verdict(True, True, f"The response rate dropped significantly: {numbers}.", details)
    return Verdict(False, True, f"No significant drop of the response rate: {numbers}.", details)


def judge_no_feedback(days_silent: int | None, days: int) -> Verdict:
    """Holds when the last response is ``days`` or more whole days old (or there never was one)."""
    if days_silent is None:
        return Verdict(True, True, "No response has ever been received.", {"days_silent": None})
    details = {"days_silent": days_silent}
    if days_silent >= days:
        return Verdict(True, True, f"No feedback for {days_silent} days (alert after {days}).", details)
    return Verdict(False, True, f"Last feedback {days_silent} days ago (alert after {days}).", details)
