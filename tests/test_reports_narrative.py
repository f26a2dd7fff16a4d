"""The narrative's wording: change words only for significant changes, in the right direction (with hypothesis)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from harken.analytics.nps import Counts, compare, nps
from harken.reports.narrative import ActionFact, Facts, LoopFact, Movement, ThemeFact, narrate

# Words that claim a movement. None may describe a change that is not significant.
CHANGE_WORDS = re.compile(
    r"\b(ris(e|es|en|ing)|rose|fall(s|en|ing)?|fell|increas\w*|decreas\w*|improv\w*|declin\w*|drop\w*|gain\w*|"
    r"grew|grow\w*|worse\w*|better|up|down|lower|higher|surg\w*|slump\w*|plung\w*|jump\w*|climb\w*)\b",
    re.IGNORECASE,
)
UP_WORDS = re.compile(r"\b(rise|rose|risen)\b")
DOWN_WORDS = re.compile(r"\b(fall|fell|fallen)\b")


def c(promoters: int, passives: int, detractors: int) -> Counts:
    return Counts(detractors=detractors, passives=passives, promoters=promoters)


def movement(label: str, then: Counts, now: Counts) -> Movement:
    return Movement(label, nps(now), nps(then), now.n, then.n, compare(then, now))


def facts(**changes: object) -> Facts:
    base = {
        "scope": "Acme",
        "period": "Q3 2026",
        "nps": 30.0,
        "n": 100,
        "low": 20.0,
        "high": 40.0,
        "confidence": 95,
        "previous_label": "Q2 2026",
        "vs_previous": None,
    }
    return Facts(**{**base, **changes})  # type: ignore[arg-type]


def test_a_difference_within_the_margin_of_error_is_about_the_same() -> None:
    # +30.0 (40, 50, 10) against +24.0 (34, 56, 10), n = 100 each: Δ = 6, SE ≈ 8.9, p ≈ 0.50.
    flat = movement("Acme", c(34, 56, 10), c(40, 50, 10))
    assert flat.test is not None and not flat.test.significant
    [headline] = narrate(facts(vs_previous=flat))
    assert headline.sentences[1].text == (
        "That is about the same as in Q2 2026 (+24.0): the difference of 6.0 points is within the margin of "
        "error, so there is no significant change."
    )
    assert not CHANGE_WORDS.search(headline.text)


def test_a_large_difference_on_many_answers_is_a_significant_rise_or_fall() -> None:
    up = movement("Acme", c(20, 40, 40), c(60, 20, 20))  # −20.0 → +40.0
    down = movement("Acme", c(60, 20, 20), c(20, 40, 40))
    assert narrate(facts(vs_previous=up))[0].sentences[1].text == (
        "It rose by 60.0 points from −20.0 in Q2 2026, a significant rise."
    )
    assert narrate(facts(vs_previous=down))[0].sentences[1].text == (
        "It fell by 60.0 points from +40.0 in Q2 2026, a significant fall."
    )


def test_the_same_difference_on_few_answers_is_not_a_change() -> None:
    # −20.0 (1, 2, 2) against +40.0 (3, 1, 1): Δ = −60 on n = 5 each, SE ≈ 52, not significant.
    small = movement("North 1", c(3, 1, 1), c(1, 2, 2))
    assert small.test is not None and not small.test.significant
    text = " ".join(p.text for p in narrate(facts(vs_previous=small, units=[small], unit_word="stores")))
    assert "No store's NPS changed significantly from Q2 2026; the widest difference, North 1's (60.0 points)" in text
    assert not CHANGE_WORDS.search(text)


def test_it_names_the_biggest_significant_movers_and_counts_the_rest() -> None:
    rise = movement("Delivery", c(20, 40, 140), c(80, 40, 80))  # −60.0 → 0.0
    fall = movement("Support", c(100, 40, 60), c(60, 40, 100))  # +20.0 → −20.0
    still = movement("Purchase", c(50, 50, 50), c(52, 50, 50))
    journey = next(p for p in narrate(facts(touchpoints=[rise, fall, still])) if p.topic == "journey")
    assert [s.text for s in journey.sentences] == [
        "Of the touchpoints, Delivery rose most: from −60.0 in Q2 2026 to 0.0 (60.0 points, significant).",
        "Of the touchpoints, Support fell furthest: from +20.0 in Q2 2026 to −20.0 (40.0 points, significant).",
        "The other touchpoint showed no significant change.",
    ]


def test_no_answers_means_nothing_to_report() -> None:
    [only] = narrate(facts(nps=None, n=0, low=None, high=None))
    assert only.text == "Acme has no answers in Q3 2026, so there is nothing to report yet."


def test_theme_loop_and_action_sentences() -> None:
    action = ActionFact("Faster checkout", movement("Faster checkout", c(50, 0, 50), c(52, 0, 48)))
    story = narrate(
        facts(
            negative_themes=[ThemeFact("Waiting", -6.24, 0.181, True)],
            positive_themes=[ThemeFact("Staff", 1.5, 0.2, False)],
            loop=LoopFact(42, 30, 24, 5.25, 10, 6),
            actions=[action],
        )
    )
    text = {p.topic: p.text for p in story}
    assert text["themes"] == (
        "Among comment themes, Waiting weighs most on the score: it is mentioned in 18 % of comments and its impact "
        "is −6.2 points. Staff does the most for it (20 % of comments, impact +1.5 points, within the margin of error)."
    )
    assert text["loop"] == (
        "42 customer cases were opened, 30 of them for detractors. 80 % of detractors were contacted within the "
        "agreed time, after a median of 5.2 hours. Of 10 customers who answered again after their case closed, 6 "
        "were recovered into a more loyal category."
    )
    assert text["actions"] == (
        "Faster checkout: no significant change yet in the NPS of its units (0.0 before, +4.0 since it started)."
    )


# --- Properties ----------------------------------------------------------------------------------------------

counts = st.builds(
    Counts,
    detractors=st.integers(0, 400),
    passives=st.integers(0, 400),
    promoters=st.integers(0, 400),
)
labels = st.sampled_from(["Purchase", "Delivery", "Support", "North 1", "South 2", "Renewal"])
movements = st.builds(movement, labels, counts, counts)


@st.composite
def all_facts(draw: st.DrawFn) -> Facts:
    return facts(
        vs_previous=draw(st.one_of(st.none(), movements)),
        year_label="Q3 2025",
        vs_year=draw(st.one_of(st.none(), movements)),
        touchpoints=draw(st.lists(movements, max_size=5)),
        units=draw(st.lists(movements, max_size=6)),
        unit_word=draw(st.sampled_from(["stores", "regions", "units"])),
        actions=[ActionFact(m.label, m) for m in draw(st.lists(movements, max_size=3))],
        loop=draw(
            st.one_of(st.none(), st.builds(LoopFact, *[st.integers(0, 50)] * 3, st.none(), *[st.integers(0, 9)] * 2))
        ),
        negative_themes=[ThemeFact("Waiting", -3.0, 0.2, draw(st.booleans()))],
    )


@settings(max_examples=300, deadline=None)
@given(all_facts())
def test_no_sentence_calls_a_non_significant_change_a_rise_or_a_fall(story_facts: Facts) -> None:
    for paragraph in narrate(story_facts):
        for sentence in paragraph.sentences:
            found = CHANGE_WORDS.findall(sentence.text)
            if not found:
                continue
            assert sentence.about, f"change words without a tested movement: {sentence.text!r}"
            for subject in sentence.about:
                assert subject.significant, f"non-significant change described as a move: {sentence.text!r}"
                if UP_WORDS.search(sentence.text):
                    assert subject.difference is not None and subject.difference > 0, sentence.text
                if DOWN_WORDS.search(sentence.text):
                    assert subject.difference is not None and subject.difference < 0, sentence.text


@settings(max_examples=200, deadline=None)
@given(st.lists(movements, min_size=1, max_size=6), movements)
def test_when_nothing_is_significant_no_change_word_appears_at_all(group: list[Movement], head: Movement) -> None:
    def flat(m: Movement) -> Movement:
        return (
            m
            if not m.significant
            else Movement(m.label, m.now, m.now, m.n_now, m.n_now, compare(*(Counts(1, 1, 1),) * 2))
        )

    text = " ".join(
        p.text
        for p in narrate(
            facts(vs_previous=flat(head), touchpoints=[flat(m) for m in group], units=[flat(m) for m in group])
        )
    )
    assert not CHANGE_WORDS.search(text), text


def test_a_second_comparison_reads_differently_and_names_ending_in_s_take_an_apostrophe() -> None:
    flat = movement("Outfitters", c(34, 56, 10), c(40, 50, 10))
    [headline] = narrate(facts(scope="Northwind Outfitters", vs_previous=flat, year_label="Q3 2025", vs_year=flat))
    assert headline.sentences[0].text.startswith("Northwind Outfitters' NPS in Q3 2026 was +30.0")
    assert headline.sentences[2].text == (
        "Compared with Q3 2025 (+24.0) it is about the same: the difference of 6.0 points is not significant."
    )
