"""Alert-rule matching as a pure function: the facts of one response against the conditions of one rule.

No database here: ``harken.loop.alerts`` turns a response and a rule into ``Facts`` and ``Conditions``.
Sentiment and themes come from the comment's analysis (``harken.text``), which runs before the rules.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class AttributeCondition:
    """``attributes[name] <op> value``, e.g. ``revenue >= 100000``; numbers compare as numbers."""

    name: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ValueError(f"Unknown operator {self.op!r}; use one of {', '.join(OPERATORS)}")

    def holds(self, attributes: Mapping[str, Any]) -> bool:
        """True when the contact has the attribute and it satisfies the comparison."""
        if self.name not in attributes or attributes[self.name] is None:
            return False
        left, right = attributes[self.name], self.value
        number_left, number_right = _number(left), _number(right)
        if number_left is not None and number_right is not None:
            left, right = number_left, number_right
        elif self.op in ("=", "!="):
            left, right = str(left).strip().lower(), str(right).strip().lower()
        else:
            return False  # ordering a number against text is meaningless
        return OPERATORS[self.op](left, right)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Facts:
    """What is known of one response when rules are applied."""

    score: int | None
    category: str | None
    comment: str
    survey_id: int
    unit_path: str
    touchpoint_id: int | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    sentiment: str | None = None
    theme_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Conditions:
    """A rule's conditions; an empty one matches anything.  All given conditions must hold.

    ``categories``, ``keywords``, ``sentiments`` and ``theme_ids`` match any of their items; ``unit_path``
    matches the unit and its subtree.  ``Facts.theme_ids`` holds the themes a comment mentions *and their
    ancestors*, so a rule on "Staff" fires for a comment about "Staff → Friendliness".  ``sentiment`` is a
    label of ``harken.text.sentiment.Label`` ("positive", "neutral", "negative", "not_analysed").
    """

    categories: frozenset[str] = frozenset()
    min_score: int | None = None
    max_score: int | None = None
    survey_id: int | None = None
    touchpoint_id: int | None = None
    unit_path: str = ""
    keywords: Sequence[str] = ()
    attributes: Sequence[AttributeCondition] = ()
    sentiments: frozenset[str] = frozenset()
    theme_ids: frozenset[int] = frozenset()

    @property
    def needs_text(self) -> bool:
        """Whether the comment's analysis must be known to decide (sentiment or theme conditions)."""
        return bool(self.sentiments or self.theme_ids)


def keyword_hits(keywords: Sequence[str], text: str) -> list[str]:
    """The keywords found in ``text`` as whole words or phrases, ignoring case ("cancel" ≠ "cancelled")."""
    hits = []
    for keyword in keywords:
        word = keyword.strip()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE):
            hits.append(word)
    return hits


def matches(conditions: Conditions, facts: Facts) -> bool:
    """Whether a response with ``facts`` triggers a rule with ``conditions``."""
    checks = (
        not conditions.categories or facts.category in conditions.categories,
        conditions.min_score is None or (facts.score is not None and facts.score >= conditions.min_score),
        conditions.max_score is None or (facts.score is not None and facts.score <= conditions.max_score),
        conditions.survey_id is None or facts.survey_id == conditions.survey_id,
        conditions.touchpoint_id is None or facts.touchpoint_id == conditions.touchpoint_id,
        not conditions.unit_path or facts.unit_path.startswith(conditions.unit_path),
        not conditions.keywords or bool(keyword_hits(conditions.keywords, facts.comment)),
        all(condition.holds(facts.attributes) for condition in conditions.attributes),
        not conditions.sentiments or facts.sentiment in conditions.sentiments,
        not conditions.theme_ids or bool(conditions.theme_ids & facts.theme_ids),
    )
    return all(checks)


def parse_keywords(text: str) -> list[str]:
    """Keywords written one a line or separated by commas."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
