"""Comment search: the query syntax, exact hits on SQLite FTS5 and PostgreSQL full text, safe highlights,
the dashboards' filters and role scoping, paging, the index kept in step (erasure, lost triggers), page and API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from harken.analytics.queries import Filters
from harken.collect.models import Response
from harken.contacts.erasure import do_erase_older_than
from harken.text import search
from harken.text.search import Parsed, SearchError, Term
from tests.conftest import Org
from tests.test_text_tagging import comment_on

# --- Syntax (pure) ----------------------------------------------------------------------------------------


def test_it_parses_words_phrases_prefixes_exclusions_and_alternatives() -> None:
    parsed = search.parse('Late deliver* -"rude staff" OR refund')
    assert parsed == Parsed(
        (
            (Term(("late",)), Term(("deliver",), prefix=True), Term(("rude", "staff"), negated=True)),
            (Term(("refund",)),),
        )
    )
    assert search.to_fts5(parsed) == '(("late" AND "deliver"*) NOT "rude staff") OR ("refund")'
    assert search.to_tsquery(parsed) == "(('late') & ('deliver':*) & !('rude' <-> 'staff')) | (('refund'))"


def test_punctuation_cannot_break_out_of_the_query() -> None:
    parsed = search.parse("e-mail's \"NEAR(a b)\" ') OR 1=1 --")
    assert search.to_fts5(parsed) == '("e mail s" AND "near a b") OR ("1 1")'
    assert search.to_tsquery(parsed) == "(('e' <-> 'mail' <-> 's') & ('near' <-> 'a' <-> 'b')) | (('1' <-> '1'))"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Type a word to search for."),
        ("?! --", "Type a word to search for: punctuation alone matches nothing."),
        ("-late", "Add a word to look for: a search cannot only exclude words (-word)."),
        ("x" * 201, "The search is too long: at most 200 characters."),
        (" ".join(["word"] * 21), "Too many words: at most 20."),
    ],
)
def test_it_says_how_to_fix_a_search_it_cannot_run(text: str, message: str) -> None:
    with pytest.raises(SearchError) as error:
        search.parse(text)
    assert str(error.value) == message


def test_highlights_escape_the_comment_and_keep_only_our_marks() -> None:
    start, stop = search.START, search.STOP
    marked = f"<script>alert('x')</script> {start}late{stop} {start}delivery{stop} & {start}again"
    assert str(search.highlight(marked)) == (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>late delivery</mark> &amp; <mark>again</mark>"
    )


def test_long_comments_are_cut_around_the_first_match() -> None:
    words = [f"w{i}" for i in range(40)]
    words[20] = f"{search.START}late{search.STOP}"
    cut = search.excerpt(" ".join(words), words=8)
    assert cut == f"… w18 w19 {search.START}late{search.STOP} w21 w22 w23 w24 w25 …"
    assert search.excerpt("short and sweet", words=8) == "short and sweet"


# --- Searching the database -------------------------------------------------------------------------------


@pytest.fixture
def comments(org: Org) -> dict[str, Response]:
    """Six comments; ``comment_on`` writes with a plain UPDATE, as imports and erasure do."""
    return {
        "staff": comment_on(org, "north_1", "purchase", 10, "Lovely staff, quick checkout"),
        "rude": comment_on(org, "north_1", "delivery", 2, "The delivery was late and the driver was rude"),
        "early": comment_on(org, "north_1", "delivery", 9, "Delivered early, friendly driver"),
        "queues": comment_on(org, "north_2", "support", 0, "Late, late, late again: queues for an hour"),
        "hours": comment_on(org, "south_1", "purchase", 10, "Late opening hours are great"),
        "script": comment_on(org, "south_1", "delivery", 1, "<b>Late delivery</b> & no call"),
    }


def found(text: str, filters: Filters | None = None, user: Any = None, **kwargs: Any) -> list[int]:
    return [hit.response.pk for hit in search.search(text, filters or Filters(), user, **kwargs).hits]


def test_it_finds_every_comment_with_a_word_best_match_first(comments: dict[str, Response]) -> None:
    results = search.search("late", Filters())
    assert results.total == 4
    # Three "late"s in one short comment rank first on both databases; the rest tie on relevance.
    assert results.hits[0].response == comments["queues"]
    assert {hit.response.pk for hit in results.hits} == {comments[k].pk for k in ("queues", "rude", "hours", "script")}


def test_plurals_and_word_forms_match(comments: dict[str, Response]) -> None:
    assert found("queue") == [comments["queues"].pk]
    assert found("drivers") == found("driver")
    assert set(found("driver")) == {comments["rude"].pk, comments["early"].pk}


def test_phrases_prefixes_exclusions_and_alternatives(comments: dict[str, Response]) -> None:
    assert found('"late delivery"') == [comments["script"].pk]
    assert set(found("deliver*")) == {comments[k].pk for k in ("rude", "early", "script")}
    assert set(found("late -driver")) == {comments[k].pk for k in ("queues", "hours", "script")}
    assert set(found("queues OR opening")) == {comments["queues"].pk, comments["hours"].pk}
    assert found("parking") == []


def test_matches_are_highlighted_and_the_comment_escaped(comments: dict[str, Response]) -> None:
    (hit,) = search.search('"late delivery"', Filters()).hits
    assert str(hit.snippet) == "&lt;b&gt;<mark>Late delivery</mark>&lt;/b&gt; &amp; no call"


def test_it_applies_the_dashboard_filters(org: Org, comments: dict[str, Response]) -> None:
    assert set(found("late", Filters(touchpoints=(org.delivery.pk,)))) == {comments["rude"].pk, comments["script"].pk}
    assert set(found("late", Filters(unit=org.south))) == {comments["hours"].pk, comments["script"].pk}
    assert found("late", Filters(categories=("promoter",))) == [comments["hours"].pk]


def test_it_shows_each_person_only_their_units_comments(org: Org, comments: dict[str, Response]) -> None:
    assert found("late", user=org.users["frontline"]) == [comments["rude"].pk]  # North 1 only
    assert set(found("late", user=org.users["outsider"])) == {comments["hours"].pk, comments["script"].pk}  # South 1
    assert found("late", user=org.users["newcomer"]) == []  # no unit yet


def test_results_come_in_pages(comments: dict[str, Response]) -> None:
    first = search.search("late", Filters(), per_page=3)
    second = search.search("late", Filters(), page=2, per_page=3)
    assert (first.total, first.pages, len(first.hits), first.has_next) == (4, 2, 3, True)
    assert (second.first, second.last, second.has_next, second.has_previous) == (4, 4, False, True)
    assert {h.response.pk for h in first.hits} | {h.response.pk for h in second.hits} == set(found("late"))


def test_new_changed_and_deleted_comments_are_searchable_at_once(org: Org, comments: dict[str, Response]) -> None:
    response = Response.objects.create(
        survey=org.survey, unit=org.north_1, touchpoint=org.support, score=3, comment="Refund took weeks"
    )
    assert found("refund") == [response.pk]
    response.comment = "Voucher took weeks"
    response.save()
    assert (found("refund"), found("voucher")) == ([], [response.pk])
    response.delete()
    assert found("voucher") == []


def test_erased_comments_cannot_be_found(org: Org, comments: dict[str, Response]) -> None:
    old = Response.objects.filter(submitted_at__lt=timezone.now() - dt.timedelta(days=300)).first()
    assert old is not None
    Response.objects.filter(pk=old.pk).update(comment="Refund never came")
    assert found("refund") == [old.pk]
    do_erase_older_than(12)  # retention: blanks the comments of responses older than a year
    assert found("refund") == []
    assert found("late") != []  # recent comments stay


def test_a_lost_index_is_reinstalled_and_rebuilt(org: Org, comments: dict[str, Response]) -> None:
    """SQLite drops the triggers when a migration rebuilds ``collect_response``; PostgreSQL can lose its GIN
    index the same way.  ``ensure`` (run after every migrate) puts them back and the index is complete."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The fixture's rows leave deferred FK checks pending in the test's transaction, and PostgreSQL
            # builds no index on a table with pending trigger events; after a real migrate there are none.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"DROP INDEX {search.PG_INDEX}")
        else:
            for name in search.TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
    if connection.vendor == "sqlite":  # written while the triggers are gone: not indexed until the rebuild
        Response.objects.filter(pk=comments["staff"].pk).update(comment="Refund was quick")
    assert not search.installed()
    search.ensure()
    assert search.installed()
    if connection.vendor == "postgresql":  # an expression index: nothing to rebuild, every row is covered
        Response.objects.filter(pk=comments["staff"].pk).update(comment="Refund was quick")
    assert found("refund") == [comments["staff"].pk]
    assert found("lovely") == []
    if connection.vendor == "sqlite":  # only the six comments are indexed, not the 30 responses without one
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM text_commentsearch_docsize")
            assert cursor.fetchone()[0] == 6


# --- Page and API -----------------------------------------------------------------------------------------


def test_the_search_page_highlights_hits_within_the_filters(
    login: Callable[[str], Any], org: Org, comments: dict[str, Response]
) -> None:
    client = login("analyst")
    page = client.get("/themes/search/", {"q": '"late delivery"', "period": "all"}).content.decode()
    assert "1–1 of 1 comment" in page and "<mark>Late delivery</mark>" in page
    assert "&lt;b&gt;" in page and "<b>Late" not in page
    partial = client.get(
        "/themes/search/", {"q": "late", "touchpoint": org.delivery.pk}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "1–2 of 2 comments" in partial and "<html" not in partial
    bad = client.get("/themes/search/", {"q": "-late"}).content.decode()
    assert "a search cannot only exclude words" in bad


def test_the_search_page_hides_other_units(login: Callable[[str], Any], comments: dict[str, Response]) -> None:
    page = login("frontline").get("/themes/search/", {"q": "late"}).content.decode()
    assert "1–1 of 1 comment" in page and "driver was rude" in page and "opening hours" not in page
    assert "No comment matches" in login("newcomer").get("/themes/search/", {"q": "late"}).content.decode()


def test_the_api_searches_comments(login: Callable[[str], Any], org: Org, comments: dict[str, Response]) -> None:
    client = login("frontline")
    body = client.get("/api/v1/comments/search", {"q": "late"}).json()
    assert (body["total"], body["pages"], [item["id"] for item in body["items"]]) == (1, 1, [comments["rude"].pk])
    assert body["items"][0]["highlighted"] == "The delivery was <mark>late</mark> and the driver was rude"
    wrong = client.get("/api/v1/comments/search", {"q": "-late"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "q"
    assert client.get("/api/v1/comments/search", {"q": "late", "unit": org.south.pk}).status_code == 422
