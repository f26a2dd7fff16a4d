"""Wall screens: signed, revocable, rate-limited links without login that show no customer's personal data.

North 1 in the ``org`` fixture (3 days ago): (5 promoters, 2 passives, 3 detractors), n = 10 → NPS +20.0.
With HARKEN_MIN_SAMPLE = 5 the three stores rank by shrunk NPS: South 1 (+70.0) first, North 1 (+20.0) second,
North 2 (0.0) third.
"""

from __future__ import annotations

from typing import Any

import pytest

from harken.contacts.models import Contact
from harken.reports import walls
from harken.reports.models import WallLink
from tests.conftest import Org
from tests.test_text_tagging import comment_on


@pytest.fixture
def screen(org: Org, settings: Any) -> WallLink:
    settings.MIN_SAMPLE = 5
    jane = Contact.objects.create(name="Jane Customer", email="jane@example.com", phone="+447700900123")
    praised = comment_on(
        org, "north_1", "purchase", 10, "Ask for Sam! Reach me at jane@example.com or +44 20 7946 0958"
    )
    type(praised).objects.filter(pk=praised.pk).update(contact=jane)
    comment_on(org, "north_1", "purchase", 9, "Quick and friendly checkout")
    comment_on(org, "north_1", "purchase", 4, "Rude staff, never again")
    return WallLink.objects.create(unit=org.north_1, name="Break room TV")


def test_redaction_hides_email_addresses_and_phone_numbers() -> None:
    assert walls.redact("Mail jo.b+x@shop.co.uk now") == "Mail [email] now"
    assert walls.redact("Call +44 (0)20 7946-0958 or 07700 900123.") == "Call [phone] or [phone]."
    assert walls.redact("Order 12345 took 3 days, 2 of 5 items") == "Order 12345 took 3 days, 2 of 5 items"


def test_the_wall_opens_without_login_and_shows_nps_rank_and_praise(screen: WallLink, client: Any) -> None:
    page = client.get(f"/wall/{walls.token(screen)}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "no-referrer"
    assert page.context["wall"].summary.nps == 20.0 and page.context["wall"].summary.n == 10
    assert page.context["wall"].rank.entry.rank == 2 and page.context["wall"].rank.ranked == 3
    assert '<meta http-equiv="refresh" content="300">' in html
    assert sorted(page.context["wall"].praise) == [
        "Ask for Sam! Reach me at [email] or [phone]",
        "Quick and friendly checkout",
    ]
    for personal in ("Jane", "jane@example.com", "7946", "447700900123"):
        assert personal not in html
    assert "Rude staff" not in html  # praise only
    screen.refresh_from_db()
    assert screen.last_seen_at is not None


def test_a_revoked_link_shows_a_friendly_page(screen: WallLink, org: Org, login: Any) -> None:
    url = f"/wall/{walls.token(screen)}/"
    manager = login("manager")
    assert manager.post(f"/reports/walls/{screen.pk}/revoke/").status_code == 302
    manager.logout()
    page = manager.get(url)
    assert page.status_code == 410
    assert "This wall screen has been switched off. Ask your manager for a new link." in page.content.decode()
    assert "+20.0" not in page.content.decode()


def test_a_forged_or_guessed_link_is_refused(screen: WallLink, client: Any) -> None:
    token = walls.token(screen)
    assert client.get(f"/wall/{token[:-2]}xx/").status_code == 404
    other = WallLink(pk=screen.pk, key="guessed", unit=screen.unit)
    assert client.get(f"/wall/{walls.token(other)}/").status_code == 404


def test_the_public_path_is_rate_limited(screen: WallLink, client: Any, settings: Any) -> None:
    settings.RATE_LIMIT_PER_TOKEN = 2
    url = f"/wall/{walls.token(screen)}/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert "Retry-After" in client.get(url)


def test_a_manager_creates_links_for_their_units_only(org: Org, login: Any) -> None:
    client = login("manager")
    page = client.get("/reports/walls/")
    assert [u.name for u in page.context["form"].fields["unit"].queryset] == ["North", "North 1", "North 2"]
    assert client.post("/reports/walls/", {"unit": org.north_1.pk, "name": "Till screen"}).status_code == 302
    link = WallLink.objects.get()
    assert (link.unit, link.name, link.created_by) == (org.north_1, "Till screen", org.users["manager"])
    assert f"/wall/{walls.token(link)}/" in client.get("/reports/walls/").content.decode()
    refused = client.post("/reports/walls/", {"unit": org.south_1.pk, "name": ""})
    assert refused.status_code == 400
    assert set(refused.context["form"].errors) == {"unit", "name"}


def test_others_cannot_create_or_revoke_links(screen: WallLink, org: Org, login: Any) -> None:
    assert login("frontline").get("/reports/walls/").status_code == 403
    south = WallLink.objects.create(unit=org.south_1, name="South TV")
    assert login("manager").post(f"/reports/walls/{south.pk}/revoke/").status_code == 404
    south.refresh_from_db()
    assert south.revoked_at is None
