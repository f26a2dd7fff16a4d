"""Theme pages: impact for what the viewer may see, a live rule preview, corrections, discovery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harken.text.models import ResponseTheme, Source, Theme
from harken.text.tagging import do_analyse_pending, do_save_theme
from tests.conftest import Org
from tests.test_text_tagging import comment_on


@pytest.fixture
def queues(org: Org) -> Theme:
    theme = Theme(name="Queues", any_of="queue", count_negated=False)
    do_save_theme(theme)
    comment_on(org, "north_1", "delivery", 2, "The queue was endless")
    comment_on(org, "north_1", "delivery", 6, "No queue, but rude staff")
    comment_on(org, "north_1", "purchase", 10, "Parking was easy")
    comment_on(org, "north_1", "purchase", 9, "Parking was quick")
    do_analyse_pending()
    return theme


def test_the_themes_page_shows_impact_with_its_interval(login: Callable[[str], Any], queues: Theme) -> None:
    page = login("analyst").get("/themes/?period=all").content.decode()
    assert "Queues" in page and "Pulling NPS down" in page
    # Everything (all time): (17, 6, 13) n = 36, NPS +11.1; without the one mention (D): (17, 6, 12) n = 35,
    # NPS +14.3 → impact −3.2.
    assert "−3.2 points" in page


def test_it_hides_other_units_themes_from_an_outsider(login: Callable[[str], Any], queues: Theme) -> None:
    page = login("outsider").get("/themes/?period=all").content.decode()
    assert "No comment in this selection mentions a theme." in page


def test_a_theme_page_previews_rules_live(login: Callable[[str], Any], queues: Theme) -> None:
    client = login("manager")
    page = client.get(f"/themes/{queues.pk}/").content.decode()
    assert "By touchpoint" in page and "<strong>1</strong> of the latest 4 comments match" in page
    partial = client.get(f"/themes/{queues.pk}/preview/", {"any_of": "parking"}).content.decode()
    assert "<strong>2</strong> of the latest 4 comments match" in partial and "<html" not in partial
    wrong = client.get(f"/themes/{queues.pk}/preview/", {"near": "wait long"}).content.decode()
    assert "two phrases joined by ~" in wrong


def test_a_person_can_correct_a_comment_they_see(login: Callable[[str], Any], org: Org, queues: Theme) -> None:
    response = comment_on(org, "north_1", "support", 10, "Quick")
    reply = login("frontline").post(
        f"/themes/responses/{response.pk}/", {"theme": queues.pk, "present": "1", "next": "https://evil.example/"}
    )
    assert reply.status_code == 302 and reply["Location"] == "/themes/"
    link = ResponseTheme.objects.get(response=response, theme=queues)
    assert (link.source, link.excluded) == (Source.PERSON, False)


def test_an_outsider_cannot_correct_another_units_comment(login: Callable[[str], Any], org: Org, queues: Theme) -> None:
    response = comment_on(org, "north_1", "support", 10, "Quick")
    reply = login("outsider").post(f"/themes/responses/{response.pk}/", {"theme": queues.pk, "present": "1"})
    assert reply.status_code == 404
    assert not ResponseTheme.objects.filter(response=response).exists()


def test_discovery_suggests_and_staff_turn_a_suggestion_into_a_theme(
    login: Callable[[str], Any], queues: Theme
) -> None:
    page = login("analyst").get("/themes/discover/").content.decode()
    assert "parking" in page and "Make it a theme" not in page
    admin = login("admin")
    assert "Make it a theme" in admin.get("/themes/discover/").content.decode()
    reply = admin.post("/themes/discover/create/", {"name": "Parking", "term": ["parking"]})
    created = Theme.objects.get(name="Parking")
    assert reply.status_code == 302 and reply["Location"] == f"/themes/{created.pk}/"
    assert login("analyst").post("/themes/discover/create/", {"name": "X", "term": ["x"]}).status_code == 404


def test_the_discovery_page_says_which_method_grouped_the_comments(login: Callable[[str], Any], queues: Theme) -> None:
    page = login("analyst").get("/themes/discover/", {"method": "tfidf"}).content.decode()
    assert "Grouped by <strong>TF-IDF + k-means (scikit-learn)</strong>" in page
    assert "From 3 comments that match no theme" in page


def test_removing_a_theme_from_a_comment_on_the_theme_page_sticks(
    login: Callable[[str], Any], org: Org, queues: Theme
) -> None:
    client = login("manager")
    page = client.get(f"/themes/{queues.pk}/").content.decode()
    assert "The queue was endless" in page and "Not about Queues" in page
    mentioned = ResponseTheme.objects.get(theme=queues, excluded=False)
    reply = client.post(
        f"/themes/responses/{mentioned.response_id}/", {"theme": queues.pk, "present": "0", "next": "/themes/"}
    )
    assert reply.status_code == 302
    do_analyse_pending(everything=True)
    assert "None in this selection." in client.get(f"/themes/{queues.pk}/").content.decode()


def test_the_drivers_page_ranks_driver_ratings(login: Callable[[str], Any], org: Org) -> None:
    from harken.collect.models import Response
    from harken.surveys.models import Question

    client = login("analyst")
    assert "No survey has driver ratings" in client.get("/themes/drivers/").content.decode()
    Question.objects.create(survey=org.survey, key="staff", kind="rating_1_5", text="Staff?", driver="Staff")
    Question.objects.create(survey=org.survey, key="price", kind="rating_1_5", text="Price?", driver="Price")
    for i, response in enumerate(Response.objects.filter(score__isnull=False).order_by("pk")):
        assert response.score is not None
        Response.objects.filter(pk=response.pk).update(
            answers={"staff": 1 + response.score * 4 // 10, "price": 1 + i % 5}
        )
    page = client.get("/themes/drivers/?period=all").content.decode()
    assert page.index('<td class="cell-name">Staff</td>') < page.index('<td class="cell-name">Price</td>')
    assert "n = 36" in page and "significant (p &lt; 0.001)" in page
    # Staff: ratings 1 + score·4 // 10 sum to 117 over 36 → mean 3.25 → 100 · 2.25 / 4 = 56.25 on 0–100;
    # price: 1 + i mod 5 sums to 106 → 100 · (106/36 − 1) / 4 = 48.6.  Average 52.4: staff is above it.
    assert 'data-label="Performance">56.3</td>' in page and 'data-label="Performance">48.6</td>' in page
    assert '<td class="cell-nps">Keep it up</td>' in page and "Nothing to fix first" in page
    assert 'data-chart="drivers"' in page and '"performance_line": 52.43' in page and '"n": 36' in page
