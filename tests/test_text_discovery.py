"""Theme discovery on untagged comments: clusters with their terms, size, NPS and examples."""

from __future__ import annotations

import os

import pytest

from harken.analytics.nps import Counts
from harken.analytics.queries import Filters
from harken.text.discovery import METHODS, cluster, discover, do_create_theme, embeddings_available
from harken.text.models import Theme
from harken.text.tagging import do_analyse_pending, do_retag_theme, do_save_theme
from tests.conftest import Org
from tests.test_text_tagging import comment_on

PARKING = ["parking was full", "no parking spaces left", "parking is too small", "parking lot was full again"]
RETURNS = ["returns desk refused my receipt", "the returns desk was closed", "returns desk queue slow"]


def rows() -> list[tuple[int, str, int]]:
    texts = [(t, 2) for t in PARKING] + [(t, 10) for t in RETURNS]
    return [(i, text, score) for i, (text, score) in enumerate(texts)]


def test_it_clusters_comments_by_what_they_are_about() -> None:
    found = cluster(rows(), clusters=2)
    assert found.comments == 7
    big, small = found.suggestions
    assert (big.size, big.terms[0], big.counts, big.nps) == (4, "parking", Counts(4, 0, 0), -100.0)
    assert (small.size, small.counts, small.nps) == (3, Counts(0, 0, 3), 100.0)
    assert {"returns", "desk", "returns desk"} <= set(small.terms)
    assert set(big.response_ids) == {0, 1, 2, 3}
    assert len(big.examples) == 3 and set(big.examples) <= set(PARKING)


def test_too_few_comments_suggest_nothing() -> None:
    assert cluster([(1, "parking", 3)]).suggestions == ()
    assert cluster([(1, "the", 3), (2, "and", 4)]).suggestions == ()


def test_it_suggests_from_comments_no_theme_matches_and_a_suggestion_becomes_a_theme(org: Org) -> None:
    do_save_theme(Theme(name="Staff", any_of="staff"))
    for score, text in zip([8, 4, 2, 6], PARKING, strict=True):
        comment_on(org, "north_1", "purchase" if score in (8, 4) else "delivery", score, text)
    comment_on(org, "north_1", "delivery", 9, "Friendly staff")
    do_analyse_pending()

    found = discover(Filters(unit=org.north_1), clusters=1)
    assert [(s.size, s.terms[0], s.counts) for s in found.suggestions] == [(4, "parking", Counts(3, 1, 0))]

    theme = do_create_theme("Parking", found.suggestions[0].terms[:1])
    assert do_retag_theme(theme.pk, theme.rules_version) == 4
    assert discover(Filters(unit=org.north_1)).suggestions == ()


# The same two topics in different words: the cashier and staff, and parking the car.
STAFF = [
    "the cashier was rude to me",
    "unfriendly staff at the till",
    "the employee was impolite and rude",
    "staff ignored me at the counter",
    "the shop assistant was unfriendly",
]
CARS = [
    "nowhere to park my car",
    "the car park was full",
    "no parking spaces for cars",
    "had to park the car far away",
    "parking for cars is a nightmare",
]
needs_embeddings = pytest.mark.skipif(
    not embeddings_available() and os.environ.get("HARKEN_REQUIRE_ALL") != "1",
    reason="the embeddings extra is not installed (make install adds it when the CPU torch wheel is there)",
)


def topic_rows() -> list[tuple[int, str, int]]:
    return [(i, text, 2) for i, text in enumerate(STAFF)] + [(10 + i, text, 9) for i, text in enumerate(CARS)]


def test_tfidf_groups_by_shared_words_only() -> None:
    found = cluster(topic_rows(), clusters=2, method="tfidf")
    assert (found.method, found.key) == ("TF-IDF + k-means (scikit-learn)", "tfidf")
    # "car"/"cars" and "park"/"parking" are different words to TF-IDF: two car comments split off.
    assert [sorted(s.response_ids) for s in found.suggestions] == [[0, 1, 2, 3, 4, 10, 11, 13], [12, 14]]


@needs_embeddings
def test_sentence_embeddings_group_by_meaning() -> None:
    found = cluster(topic_rows(), clusters=2, method="embeddings")
    assert (found.method, found.key) == (METHODS["embeddings"], "embeddings")
    cars, staff = sorted(found.suggestions, key=lambda s: min(s.response_ids), reverse=True)
    assert (sorted(cars.response_ids), cars.counts, cars.terms[:2]) == (
        [10, 11, 12, 13, 14],
        Counts(0, 0, 5),
        ("car", "park"),
    )
    assert (sorted(staff.response_ids), staff.counts, staff.terms[0]) == ([0, 1, 2, 3, 4], Counts(5, 0, 0), "rude")
    assert "parking" not in staff.terms  # only words of the cluster's own comments name it


@needs_embeddings
def test_discovery_uses_embeddings_when_installed_and_says_so(org: Org) -> None:
    places = [("delivery", 2), ("purchase", 4), ("delivery", 6), ("purchase", 8)]
    for (touchpoint, score), text in zip(places, STAFF, strict=False):
        comment_on(org, "north_1", touchpoint, score, text)
    embedded = discover(Filters(unit=org.north_1), clusters=1)
    assert (embedded.key, embedded.method, embedded.comments, embedded.limit) == (
        "embeddings",
        METHODS["embeddings"],
        4,
        2000,
    )
    plain = discover(Filters(unit=org.north_1), clusters=1, method="tfidf")
    assert (plain.key, plain.method, plain.limit, plain.capped) == ("tfidf", METHODS["tfidf"], 50_000, False)
