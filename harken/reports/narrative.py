"""The executive report's written story, generated from its numbers: a pure function over ``Facts``.

Rules the wording keeps (tested in ``tests/test_reports_narrative.py``, with a property test):

* a change is called a rise or a fall (or "rose", "fell") only when its two-sample z-test
  (``harken.analytics.nps.compare``) is significant; otherwise it is "about the same" / "no significant
  change", whatever the size of the difference;
* every number in the text is one the report page shows, formatted the same way (NPS with a sign and one
  decimal, points with one decimal, shares in whole percent);
* sentences say what moved most (touchpoints, units) and what stands behind the score (themes with their
  impact, key drivers, the follow-up of detractors, improvement actions).

Each ``Sentence`` lists the movements it talks about, so that tests can check every claim of change against
the significance of the very movement it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harken.analytics.nps import Comparison
from harken.analytics.templatetags.nps import nps as signed


@dataclass(frozen=True)
class Movement:
    """One group's NPS now and in an earlier period, and the test of the difference (None: a side is empty)."""

    label: str
    now: float | None
    then: float | None
    n_now: int
    n_then: int
    test: Comparison | None

    @property
    def significant(self) -> bool:
        return bool(self.test and self.test.significant)

    @property
    def difference(self) -> float | None:
        return self.test.difference if self.test else None


@dataclass(frozen=True)
class ThemeFact:
    """A theme's impact on NPS in points (negative: pulls it down) and its share of comments (0…1)."""

    label: str
    impact: float
    share: float
    significant: bool  # the impact's interval excludes 0


@dataclass(frozen=True)
class DriverFact:
    """A key driver's share of the explained variance (0…1), the model's R² and n."""

    label: str
    share: float
    r_squared: float
    n: int
    significant: bool


@dataclass(frozen=True)
class LoopFact:
    """Close-the-loop performance over the period's cases."""

    cases: int
    detractor_cases: int
    contacted_within_sla: int
    median_hours_to_first_contact: float | None
    resurveyed: int
    recovered: int


@dataclass(frozen=True)
class ActionFact:
    """An improvement action and the NPS of its units before and after it started."""

    name: str
    movement: Movement


@dataclass(frozen=True)
class Facts:
    """Everything the narrative may talk about; numbers as the page shows them."""

    scope: str
    period: str
    nps: float | None
    n: int
    low: float | None
    high: float | None
    confidence: int  # percent, e.g. 95
    previous_label: str
    vs_previous: Movement | None
    year_label: str | None = None
    vs_year: Movement | None = None
    touchpoints: list[Movement] = field(default_factory=list)
    units: list[Movement] = field(default_factory=list)
    unit_word: str = "units"
    negative_themes: list[ThemeFact] = field(default_factory=list)
    positive_themes: list[ThemeFact] = field(default_factory=list)
    drivers: list[DriverFact] = field(default_factory=list)
    loop: LoopFact | None = None
    actions: list[ActionFact] = field(default_factory=list)


@dataclass(frozen=True)
class Sentence:
    """One sentence and the movements whose change it states (for checking its wording)."""

    text: str
    about: tuple[Movement, ...] = ()


@dataclass(frozen=True)
class Paragraph:
    topic: str
    sentences: list[Sentence]

    @property
    def text(self) -> str:
        return " ".join(sentence.text for sentence in self.sentences)


def points(value: float) -> str:
    """A difference in points, unsigned, one decimal: 8.2."""
    return f"{abs(value):.1f}"


def percent(share: float) -> str:
    """A share 0…1 in whole percent: 42 %."""
    return f"{100 * share:.0f} %"


def narrate(facts: Facts) -> list[Paragraph]:
    """The report's story in paragraphs: headline, journey, units, what explains it, action."""
    paragraphs = [
        Paragraph("headline", _headline(facts)),
        Paragraph("journey", _movers(facts.touchpoints, "touchpoint", "touchpoints", facts.previous_label)),
        Paragraph("units", _movers(facts.units, _singular(facts.unit_word), facts.unit_word, facts.previous_label)),
        Paragraph("themes", _themes(facts) + _drivers(facts)),
        Paragraph("loop", _loop(facts.loop)),
        Paragraph("actions", _actions(facts.actions)),
    ]
    return [paragraph for paragraph in paragraphs if paragraph.sentences]


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


def _headline(facts: Facts) -> list[Sentence]:
    if facts.nps is None:
        return [Sentence(f"{facts.scope} has no answers in {facts.period}, so there is nothing to report yet.")]
    interval = ""
    if facts.low is not None and facts.high is not None:
        interval = f"; {facts.confidence} % interval {signed(facts.low)} to {signed(facts.high)}"
    sentences = [
        Sentence(f"{possessive(facts.scope)} NPS in {facts.period} was {signed(facts.nps)} (n = {facts.n}{interval}).")
    ]
    comparisons = [(facts.previous_label, facts.vs_previous), (facts.year_label, facts.vs_year)]
    for position, (label, movement) in enumerate(comparisons):
        if movement is not None and label:
            sentences.append(_against(movement, label, first=position == 0))
    return sentences


def possessive(name: str) -> str:
    """ "Acme's", but "Northwind Outfitters'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _against(movement: Movement, label: str, first: bool = True) -> Sentence:
    """The headline against an earlier period, with change words only when significant."""
    test = movement.test
    if test is None or movement.then is None:
        return Sentence(f"There are no answers from {label} to compare with.")
    then = signed(movement.then)
    if test.significant and test.difference > 0:
        text = f"It rose by {points(test.difference)} points from {then} in {label}, a significant rise."
    elif test.significant and test.difference < 0:
        text = f"It fell by {points(test.difference)} points from {then} in {label}, a significant fall."
    elif first:
        text = (
            f"That is about the same as in {label} ({then}): the difference of "
            f"{points(test.difference)} points is within the margin of error, so there is no significant change."
        )
    else:
        text = (
            f"Compared with {label} ({then}) it is about the same: the difference of "
            f"{points(test.difference)} points is not significant."
        )
    return Sentence(text, (movement,))


def _movers(movements: list[Movement], one: str, many: str, label: str) -> list[Sentence]:
    """Which groups moved most — only significant movements are called moves."""
    tested = [m for m in movements if m.test is not None]
    if not tested:
        return []
    rises = sorted((m for m in tested if m.significant and (m.difference or 0) > 0), key=lambda m: -(m.difference or 0))
    falls = sorted((m for m in tested if m.significant and (m.difference or 0) < 0), key=lambda m: m.difference or 0)
    sentences = []
    if rises:
        sentences.append(_moved(rises[0], "rose", label, one, many))
    if falls:
        sentences.append(_moved(falls[0], "fell", label, one, many))
    if not rises and not falls:
        widest = max(tested, key=lambda m: (abs(m.difference or 0), m.label))
        sentences.append(
            Sentence(
                f"No {one}'s NPS changed significantly from {label}; the widest difference, {widest.label}'s "
                f"({points(widest.difference or 0)} points), is within the margin of error.",
                (widest,),
            )
        )
    else:
        steady = len(tested) - len(rises) - len(falls)
        if steady == 1:
            sentences.append(Sentence(f"The other {one} showed no significant change."))
        elif steady:
            sentences.append(Sentence(f"The other {steady} {many} showed no significant change."))
    return sentences


def _moved(movement: Movement, verb: str, label: str, one: str, many: str) -> Sentence:
    most = "most" if verb == "rose" else "furthest"
    return Sentence(
        f"Of the {many}, {movement.label} {verb} {most}: from {signed(movement.then)} in {label} to "
        f"{signed(movement.now)} ({points(movement.difference or 0)} points, significant).",
        (movement,),
    )


def _themes(facts: Facts) -> list[Sentence]:
    sentences = []
    if facts.negative_themes:
        theme = facts.negative_themes[0]
        sentences.append(
            Sentence(
                f"Among comment themes, {theme.label} weighs most on the score: it is mentioned in "
                f"{percent(theme.share)} of comments and its impact is {signed(theme.impact)} points"
                f"{'' if theme.significant else ', within the margin of error'}."
            )
        )
    if facts.positive_themes:
        theme = facts.positive_themes[0]
        sentences.append(
            Sentence(
                f"{theme.label} does the most for it ({percent(theme.share)} of comments, impact "
                f"{signed(theme.impact)} points{'' if theme.significant else ', within the margin of error'})."
            )
        )
    return sentences


def _drivers(facts: Facts) -> list[Sentence]:
    if not facts.drivers:
        return []
    top = facts.drivers[0]
    caveat = "" if top.significant else " (its coefficient is not significant)"
    return [
        Sentence(
            f"Of the rated drivers, {top.label} explains the largest part of the score: {percent(top.share)} of "
            f"the explained variance (R² {top.r_squared:.2f}, n = {top.n}){caveat}."
        )
    ]


def _loop(loop: LoopFact | None) -> list[Sentence]:
    if loop is None or loop.cases == 0:
        return []
    opened = "1 customer case was opened" if loop.cases == 1 else f"{loop.cases} customer cases were opened"
    sentences = [Sentence(f"{opened}, {loop.detractor_cases} of them for detractors.")]
    if loop.detractor_cases:
        hours = ""
        if loop.median_hours_to_first_contact is not None:
            hours = f", after a median of {loop.median_hours_to_first_contact:.1f} hours"
        share = percent(loop.contacted_within_sla / loop.detractor_cases)
        sentences.append(Sentence(f"{share} of detractors were contacted within the agreed time{hours}."))
    if loop.resurveyed:
        sentences.append(
            Sentence(
                f"Of {loop.resurveyed} customers who answered again after their case closed, "
                f"{loop.recovered} were recovered into a more loyal category."
            )
        )
    return sentences


def _actions(actions: list[ActionFact]) -> list[Sentence]:
    sentences = []
    for action in actions[:3]:
        movement = action.movement
        test = movement.test
        if test is None:
            sentences.append(Sentence(f"{action.name}: not enough answers yet to measure its effect."))
        elif test.significant:
            verb = "rose" if test.difference > 0 else "fell"
            sentences.append(
                Sentence(
                    f"{action.name}: the NPS of its units {verb} from {signed(movement.then)} to "
                    f"{signed(movement.now)} after it started ({points(test.difference)} points, significant).",
                    (movement,),
                )
            )
        else:
            sentences.append(
                Sentence(
                    f"{action.name}: no significant change yet in the NPS of its units ({signed(movement.then)} "
                    f"before, {signed(movement.now)} since it started).",
                    (movement,),
                )
            )
    return sentences
