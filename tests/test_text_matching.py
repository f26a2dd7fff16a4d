"""Theme rules against hand-written comments: case, plurals, word forms, negation, all/none/near."""

from __future__ import annotations

import pytest

from harken.text.matching import Matcher, Rules, lines, match_one, parse_near, phrase, stem, tokens


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["queue", "queues", "queued", "queueing", "Queues"], "queu"),
        (["price", "prices", "priced", "pricing"], "pric"),
        (["wait", "waits", "waited", "waiting"], "wait"),
        (["delivery", "deliveries"], "delivery"),
        (["staff", "staffs", "staffed"], "staff"),
        (["shop", "shops", "shopping", "shopped"], "shop"),
        (["manager's", "manager", "managers"], "manager"),
    ],
)
def test_it_folds_plurals_and_simple_word_forms_to_one_stem(words: list[str], expected: str) -> None:
    assert {stem(word.lower()) for word in words} == {expected}


def test_it_keeps_short_words_and_contractions_as_they_are() -> None:
    assert [stem(word) for word in ["bus", "glass", "this", "was", "didn't"]] == [
        "bus",
        "glass",
        "this",
        "was",
        "didn't",
    ]


def test_it_marks_words_after_a_negation_in_the_same_clause() -> None:
    found = [(t.stem, t.negated) for t in tokens("Staff weren't rude, but the queue was long.")]
    assert found == [
        ("staff", False),
        ("weren't", False),
        ("rud", True),
        ("the", False),
        ("queu", False),
        ("was", False),
        ("long", False),
    ]


def test_negation_reaches_three_words_only() -> None:
    assert [t.negated for t in tokens("not at all very rude")] == [False, True, True, True, False]


FRIENDLINESS = Rules(any_of=("friendly", "rude", "polite"))
LONG_WAIT = Rules(any_of=("queue", "wait"), count_negated=False)


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("The staff were so FRIENDLY!", True),
        ("Rude cashier.", True),
        ("Staff were not friendly at all", True),  # a topic: "not friendly" is about friendliness
        ("Great prices", False),
        ("friendlyish vibes", False),  # whole words only
    ],
)
def test_a_topic_theme_counts_negated_mentions(comment: str, expected: bool) -> None:
    assert match_one(FRIENDLINESS, comment) is expected


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Long queues at the tills", True),
        ("We waited 20 minutes", True),
        ("No queue at all, lovely", False),  # the problem is negated: not a mention
        ("Didn't have to wait", False),
        ("There was no parking but the queue was huge", True),  # "no" governs its own clause only
        ("Never again. Waiting times are awful", True),
    ],
)
def test_a_problem_theme_ignores_negated_mentions(comment: str, expected: bool) -> None:
    assert match_one(LONG_WAIT, comment) is expected


def test_phrases_match_word_sequences_in_order() -> None:
    value = Rules(any_of=("value for money",))
    assert match_one(value, "Excellent Value for Money overall")
    assert not match_one(value, "money for value")
    assert not match_one(value, "value of the money")


def test_all_of_needs_every_phrase() -> None:
    rules = Rules(all_of=("refund", "late"))
    assert match_one(rules, "The refund came late")
    assert not match_one(rules, "The refund was quick")


def test_none_of_excludes_a_comment() -> None:
    rules = Rules(any_of=("park",), none_of=("theme park",))
    assert match_one(rules, "Parking was impossible")
    assert not match_one(rules, "Cheaper than the theme park")


def test_near_needs_both_phrases_within_the_window_in_either_order() -> None:
    rules = Rules(near=(("wait", "long"),), near_words=3)
    assert match_one(rules, "waited far too long")
    assert match_one(rules, "a long, long wait")
    assert not match_one(rules, "we waited while the assistant looked for a long time")


def test_a_matcher_tags_each_comment_with_every_theme_it_mentions() -> None:
    matcher = Matcher({1: FRIENDLINESS, 2: LONG_WAIT, 3: Rules(any_of=("price",))})
    assert matcher.match("Polite staff but the queues were long and prices high") == {1, 2, 3}
    assert matcher.match("Polite staff and no waiting") == {1}
    assert matcher.match("") == set()


def test_a_theme_without_rules_matches_nothing() -> None:
    assert not match_one(Rules(), "anything at all")


def test_rule_fields_are_read_one_phrase_a_line_or_comma() -> None:
    assert lines("queue\n  long wait , slow\n\n") == ("queue", "long wait", "slow")
    assert parse_near("wait ~ long\n\nstaff ~ rude") == (("wait", "long"), ("staff", "rude"))
    assert phrase("Value for Money") == ("valu", "for", "money")


def test_a_near_rule_without_a_tilde_is_refused_with_the_line() -> None:
    with pytest.raises(ValueError, match="'wait long'"):
        parse_near("wait long")
