"""Digest content for a hand-built week, significance wording, pausing, and sending through a real SMTP server.

The week of Monday 4 March 2024 (installation time zone UTC) against the week before, for North:

============  ==========================  ===========================
              26 Feb – 3 Mar (before)     4 – 10 Mar (the digest's week)
============  ==========================  ===========================
North 1       P 3, A 5, D 12, n 20 → −45  P 12, A 4, D 4, n 20 → +40
North 2       P 4, A 4, D 2,  n 10 → +20  P 5, A 3, D 2, n 10 → +30 (+ 1 response without a score)
North         P 7, A 9, D 14, n 30 → −23.3 P 17, A 7, D 6, n 30 → +36.7
============  ==========================  ===========================

North now: NPS = 100 · (17 − 6)/30 = +36.667.  Adjusted-Wald: n' = 33, P' = 17.75/33 = 0.53788, D' = 6.75/33 =
0.20455, centre 0.33333, σ'² = 0.74242 − 0.11111 = 0.63131, half = 1.959964 · √(0.63131/33) = 0.27109 →
[+6.2, +60.4].  Change: SE₁ = 100·√((7/30 + 14/30 − (7/30 − 14/30)²)/30) = 14.663 (before),
SE₂ = 100·√((17/30 + 6/30 − (11/30)²)/30) = 14.517, SE(Δ) = 20.638, Δ = +60.0, z = 2.907, p = 0.0036 → significant.
North 2 alone: +20 → +30, SE₁ = 100·√((0.4 + 0.2 − 0.04)/10) = 23.664, SE₂ = 100·√((0.5 + 0.2 − 0.09)/10) = 24.698,
SE(Δ) = 34.205, z = 0.292, p = 0.770 → not significant.
North 1: −45 → +40, SE(Δ) = 24.367, z = 3.488, p = 0.00049 → the most improved store, significantly.

Themes (rules: Staff = "staff", Waiting = "queue", "wait"), over North's 30 scored answers (D 6, A 7, P 17):
Staff is mentioned by three promoters → rest K = (D 6, A 7, P 14), n 27, NPS(K) = +29.630, impact = +7.037.
Waiting by one passive and three detractors → K = (D 3, A 6, P 17), n 26, NPS(K) = +53.846, impact = −17.179.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.utils import timezone

from harken.analytics.nps import Counts, compare
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.distribution.models import Invitation
from harken.loop.models import Case, Status
from harken.loop.recognition import do_record_shoutouts
from harken.org.models import Employee
from harken.reports.digests import content, emails, sending
from harken.reports.digests.models import DigestSend, Subscription
from harken.text.models import Theme
from harken.text.tagging import do_analyse_pending, do_save_theme
from tests.conftest import Org

UTC = dt.UTC
WEEK = (dt.date(2024, 3, 4), dt.date(2024, 3, 10))


def at(day: int, hour: int = 12, month: int = 3) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, 0, tzinfo=UTC)


def respond(org: Org, unit: Any, score: int | None, comment: str = "", when: dt.datetime | None = None) -> Response:
    return Response.objects.create(
        survey=org.survey, unit=unit, touchpoint=org.purchase, score=score, comment=comment, submitted_at=when or at(5)
    )


def scores(org: Org, unit: Any, values: list[int], when: dt.datetime) -> None:
    for value in values:
        respond(org, unit, value, when=when)


@pytest.fixture
def week(org: Org, settings: Any) -> Org:
    """The hand-built fortnight of the module docstring, with comments, themes, invitations and cases."""
    settings.TIME_ZONE = "UTC"
    settings.MIN_SAMPLE = 10
    for name, phrases in (("Staff", "staff"), ("Waiting", "queue\nwait")):
        do_save_theme(Theme(name=name, any_of=phrases))
    # The week before: North 1 (3, 5, 12), North 2 (4, 4, 2) as (P, A, D); no comments.
    scores(org, org.north_1, [9] * 3 + [7] * 5 + [3] * 12, at(28, month=2))
    scores(org, org.north_2, [10] * 4 + [8] * 4 + [6] * 2, at(1))
    # The digest's week, North 1: 12 promoters, 4 passives, 4 detractors.
    respond(org, org.north_1, 10, "The staff were friendly and helpful, I was in and out in minutes", at(4, 9))
    respond(org, org.north_1, 10, "Friendly staff, great advice", at(5, 9))
    respond(org, org.north_1, 9, "Good", at(6, 9))
    scores(org, org.north_1, [9] * 9, at(6, 10))
    respond(org, org.north_1, 8, "Fine but the queue was long", at(7, 9))
    scores(org, org.north_1, [7, 7, 8], at(7, 10))
    waited = respond(org, org.north_1, 3, "Waited forty minutes in the queue, nobody at the counter", at(8, 9))
    respond(org, org.north_1, 5, "Long wait again", at(8, 10))
    respond(org, org.north_1, 2, "", at(8, 11))
    respond(org, org.north_1, 6, "Prices went up", at(9, 9))
    # North 2: 5 promoters, 3 passives, 2 detractors, and one answer without a score.
    respond(org, org.north_2, 10, "Anna at the till was lovely, staff know their products", at(10, 8))
    scores(org, org.north_2, [9, 9, 9, 9, 8, 7, 7, 1], at(9, 12))
    respond(org, org.north_2, 4, "Queue out the door", at(9, 13))
    respond(org, org.north_2, None, "No score, just saying hello", at(9, 14))
    do_analyse_pending()
    # Four invitations sent to North 1 in the week, three answered.
    contact = Contact.objects.create(email="c@example.com")
    answered = list(Response.objects.filter(unit=org.north_1, submitted_at__gte=at(6, 10))[:3])
    for i in range(4):
        invitation = Invitation.objects.create(
            survey=org.survey, contact=contact, unit=org.north_1, scheduled_at=at(4), sent_at=at(4, 8 + i)
        )
        if i < 3:
            Response.objects.filter(pk=answered[i].pk).update(invitation=invitation)
            Invitation.objects.filter(pk=invitation.pk).update(answered_at=answered[i].submitted_at)
    # One case opened in the week and overdue now; one on North 2's 1 opened and closed in the week.
    Case.objects.create(
        response=waited, unit=org.north_1, title="Waited forty minutes", opened_at=at(8, 10), due_at=at(9)
    )
    Case.objects.create(
        response=Response.objects.get(unit=org.north_2, score=1, submitted_at__gte=at(4, 0)),
        unit=org.north_2,
        title="Rude reply",
        opened_at=at(9, 13),
        status=Status.CLOSED,
        closed_at=at(10),
    )
    # Anna, named by a promoter, gets a shout-out (recognition, harken/loop).
    Employee.objects.create(name="Anna Berg", unit=org.north_2)
    do_record_shoutouts(Response.objects.get(comment__startswith="Anna"))
    return org


def test_the_digest_of_a_region_has_the_hand_computed_numbers(week: Org) -> None:
    digest = content.build([week.north], *WEEK, user=week.users["manager"])
    assert digest.scope_name == "North"
    counts = digest.summary.counts
    assert (counts.promoters, counts.passives, counts.detractors) == (17, 7, 6)
    assert round(digest.summary.nps, 1) == 36.7
    assert (round(digest.summary.interval.low, 1), round(digest.summary.interval.high, 1)) == (6.2, 60.4)
    assert digest.previous == (dt.date(2024, 2, 26), dt.date(2024, 3, 3))
    assert round(digest.before.nps, 1) == -23.3 and digest.before.n == 30
    assert digest.test.difference == pytest.approx(60.0)
    assert digest.test.p_value == pytest.approx(0.003646, abs=1e-6)
    assert digest.change == "NPS rose significantly, by 60.0 points against the previous period (p = 0.004)."
    assert digest.responses == 31  # 30 scored and one without a score
    assert (digest.answered, digest.sent, digest.response_rate) == (3, 4, 75.0)
    assert [(row.name, round(row.summary.nps, 1), row.summary.n) for row in digest.units] == [
        ("North 1", 40.0, 20),
        ("North 2", 30.0, 10),
    ]


def test_it_names_the_themes_that_pull_nps_down_and_lift_it(week: Org) -> None:
    digest = content.build([week.north], *WEEK, user=week.users["manager"])
    [waiting] = digest.detractor_themes
    [staff] = digest.promoter_themes
    assert (waiting.name, waiting.mentions, round(waiting.impact, 3), waiting.share) == ("Waiting", 4, -17.179, 4 / 9)
    assert (staff.name, staff.mentions, round(staff.impact, 3), staff.share) == ("Staff", 3, 7.037, 3 / 9)


def test_it_curates_praise_and_complaints_with_text_newest_first(week: Org) -> None:
    digest = content.build([week.north], *WEEK, user=week.users["manager"])
    # The longest 10/10 comment is the excellence comment of "best practice"; praise shows the others.
    assert digest.best.excellence.text == "The staff were friendly and helpful, I was in and out in minutes"
    assert [c.text for c in digest.praise] == [
        "Anna at the till was lovely, staff know their products",
        "Good",
        "Friendly staff, great advice",
    ]
    assert [c.text for c in digest.complaints] == [
        "Queue out the door",
        "Long wait again",
        "Waited forty minutes in the queue, nobody at the counter",
    ]


def test_it_counts_open_overdue_opened_and_closed_cases(week: Org) -> None:
    cases = content.build([week.north], *WEEK, user=week.users["manager"]).cases
    assert (cases.open, cases.overdue, cases.opened, cases.closed) == (1, 1, 2, 1)
    assert [case.title for case in cases.overdue_cases] == ["Waited forty minutes"]


def test_best_practice_is_the_significantly_improved_and_top_store(week: Org) -> None:
    best = content.build([week.north], *WEEK, user=week.users["manager"]).best
    assert best.improved is not None and best.improved.unit == week.north_1
    assert best.improved.test.difference == pytest.approx(85.0) and best.improved.test.p_value < 0.001
    assert best.top is not None and best.top.unit == week.north_1 and best.level_label == "store"
    assert best.excellence is not None
    assert best.excellence.text == "The staff were friendly and helpful, I was in and out in minutes"
    assert [s.recipient_name for s in best.shoutouts] == ["Anna Berg"]


def test_a_store_digest_gives_only_the_stores_rank_among_peers(week: Org) -> None:
    best = content.build([week.north_1], *WEEK, user=week.users["frontline"]).best
    assert best.top is None and best.improved is None
    assert best.rank is not None and (best.rank.entry.rank, best.rank.ranked) == (1, 2)


def test_a_change_within_the_noise_is_never_called_a_rise(week: Org) -> None:
    digest = content.build([week.north_2], *WEEK)  # an address without a login: exactly the chosen unit
    assert digest.test.p_value == pytest.approx(0.770, abs=1e-3)
    assert digest.change == (
        "+10.0 points against the previous period: within the margin of error (p = 0.770), so not a real change yet."
    )
    subscription = sending.do_subscribe(
        frequency="weekly", units=[week.north_2], time_zone="UTC", send_hour=8, email="board@example.com"
    )
    subject, text, html = emails.render(subscription, digest)
    for word in ("significant", "rose", "fell"):
        assert word not in text.lower() and word not in html.lower() and word not in subject.lower()


def test_a_user_sees_only_units_in_their_scope(week: Org) -> None:
    # The outsider (front line of South 1) may not read North: it is dropped, so nothing of North is counted.
    digest = content.build([week.north], *WEEK, user=week.users["outsider"])
    assert digest.scope == [] and digest.summary.n == 0 and not digest.has_feedback
    # With no units chosen, a user's digest covers all of their units.
    assert content.build([], *WEEK, user=week.users["outsider"]).scope == [week.south_1]
    assert content.build([], *WEEK, user=week.users["analyst"]).scope == [week.acme]


def test_the_change_sentence_keeps_its_wording_exact() -> None:
    up = compare(Counts(14, 9, 7), Counts(6, 7, 17))
    down = compare(Counts(6, 7, 17), Counts(14, 9, 7))
    assert content.change_sentence(up).startswith("NPS rose significantly, by 60.0 points")
    assert content.change_sentence(down).startswith("NPS fell significantly, by 60.0 points")
    assert content.change_sentence(compare(Counts(1, 0, 1), Counts(1, 0, 1))) == (
        "NPS is unchanged against the previous period (p = 1.000)."
    )
    assert content.change_sentence(None) == "No comparison: one of the two periods has no scored answers."


# --- Sending -----------------------------------------------------------------------------------------------


def subscribe_manager(week: Org, unit: Any, **extra: Any) -> Subscription:
    week.users["manager"].email = "manager@acme.example"
    week.users["manager"].save()
    subscription = sending.do_subscribe(
        frequency="weekly", units=[unit], time_zone="Europe/London", send_hour=8, user=week.users["manager"], **extra
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        next_period_start=WEEK[0], next_run_at=dt.datetime(2024, 3, 11, 8, tzinfo=UTC)
    )
    return Subscription.objects.get(pk=subscription.pk)


def test_a_digest_goes_out_once_as_html_and_text_through_smtp(week: Org, smtp: Any) -> None:
    smtp.start()
    subscription = subscribe_manager(week, week.north)
    monday = dt.datetime(2024, 3, 11, 8, 0, tzinfo=UTC)
    [send_id] = sending.do_schedule_due(monday)
    assert sending.do_schedule_due(monday) == []  # the period is claimed once
    send = sending.do_send(send_id, monday)
    assert send is not None and send.status == DigestSend.Status.SENT
    assert sending.do_send(send_id, monday) is None  # never twice
    [message] = smtp.inbox.messages
    assert message["To"] == "manager@acme.example"
    assert message["Subject"].strip() == "Weekly NPS digest · North · Week of 4 Mar 2024: NPS +36.7 (n = 30)"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "NPS +36.7, 95% interval [+6.2, +60.4], n = 30 (17 promoters, 7 passives, 6 detractors)" in text
    assert "NPS rose significantly, by 60.0 points against the previous period (p = 0.004)." in text
    assert "Responses: 31; response rate 75.0% (3 of 4 invitations)" in text
    assert "Pulling NPS down: Waiting (−17.2 pts, 4 mentions)" in text
    assert "Lifting NPS: Staff (+7.0 pts, 4 mentions)" not in text and "Staff (+7.0 pts, 3 mentions)" in text
    assert "1 open, 1 overdue; 2 opened and 1 closed in the period" in text
    assert "Most improved: North 1 rose significantly from −45.0 to +40.0 (+85.0 points, p < 0.001, n = 20)" in text
    assert "Shout-out for Anna Berg" in text
    assert "+36.7" in html and "Waited forty minutes in the queue, nobody at the counter" in html
    unsubscribe = message["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe in text and unsubscribe.removeprefix(settings_base()) in html
    subscription.refresh_from_db()
    assert subscription.next_period_start == dt.date(2024, 3, 11)
    assert subscription.next_run_at == dt.datetime(2024, 3, 18, 8, tzinfo=UTC)  # London is on GMT in March


def settings_base() -> str:
    from django.conf import settings

    return settings.BASE_URL.rstrip("/")


def test_a_period_without_feedback_pauses_and_says_so(week: Org, smtp: Any, caplog: Any) -> None:
    smtp.start()
    subscribe_manager(week, week.north)
    quiet = subscribe_manager(week, week.north)
    Subscription.objects.filter(pk=quiet.pk).update(next_period_start=dt.date(2024, 3, 11))
    later = dt.datetime(2024, 3, 18, 8, tzinfo=UTC)
    sends = sending.do_schedule_due(later)
    caplog.set_level("INFO", logger="harken.reports.digests.sending")
    outcomes = {sending.do_send(send_id, later).period_start: sending_status(send_id) for send_id in sends}
    # The first subscription skips the week of 4 March (missed by the worker) for the latest ended one.
    assert outcomes == {dt.date(2024, 3, 11): "paused"}
    assert all(send.status == "paused" for send in DigestSend.objects.all())
    assert smtp.inbox.messages == []
    send = DigestSend.objects.first()
    assert send.note == "Paused: no new feedback from 2024-03-11 to 2024-03-17; nothing was sent."
    assert send.responses == 0
    assert "no new feedback" in caplog.text


def sending_status(send_id: int) -> str:
    return DigestSend.objects.get(pk=send_id).status


def test_a_temporary_smtp_failure_is_retried_with_backoff(week: Org, smtp: Any, settings: Any) -> None:
    subscribe_manager(week, week.north)  # the SMTP server is down: not started
    monday = dt.datetime(2024, 3, 11, 8, 0, tzinfo=UTC)
    [send_id] = sending.do_schedule_due(monday)
    send = sending.do_send(send_id, monday)
    assert send.status == "queued" and send.attempts == 1 and "ConnectionRefusedError" in send.note
    assert send.next_attempt_at == monday + dt.timedelta(seconds=settings.EMAIL_RETRY_SECONDS)
    smtp.start()
    assert sending.do_send(send_id, monday) is None  # not due yet
    retry = monday + dt.timedelta(seconds=settings.EMAIL_RETRY_SECONDS)
    assert sending.do_send(send_id, retry).status == "sent"
    assert len(smtp.inbox.messages) == 1


def test_the_worker_sends_yesterdays_daily_digest(org: Org, smtp: Any, run_worker: Any, settings: Any) -> None:
    from harken.reports.digests.tasks import digest_tick

    settings.TIME_ZONE = "UTC"
    smtp.start()
    org.users["manager"].email = "manager@acme.example"
    org.users["manager"].save()
    now = timezone.now()
    yesterday = now.astimezone(zoneinfo.ZoneInfo("UTC")).date() - dt.timedelta(days=1)
    respond(org, org.north_1, 10, "Lovely", dt.datetime.combine(yesterday, dt.time(12), UTC))
    sending.do_subscribe(
        frequency="daily",
        units=[],
        time_zone="UTC",
        send_hour=0,
        user=org.users["manager"],
        now=now - dt.timedelta(days=2),
    )
    digest_tick.enqueue()
    run_worker()
    [send] = DigestSend.objects.all()
    assert (send.period_start, send.status, send.responses) == (yesterday, "sent", 1)
    [message] = smtp.inbox.messages
    assert (
        message["Subject"]
        .strip()
        .startswith(f"Daily NPS digest · North · {content.period_label('daily', yesterday, yesterday)}: NPS +")
    )
