"""Theme discovery on untagged comments: clusters with their terms, size, NPS and examples."""

from __future__ import annotations

from harken.analytics.nps import Counts
from harken.analytics.queries import Filters
from harken.text.discovery import cluster, discover, do_create_theme
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
