"""Metric alerts: exact hand-computed cases, never firing on noise or small samples, state and cool-down, and
notifications by email (a real SMTP server) and Slack (a real HTTP receiver).

All rules are checked at 06:00 UTC on Monday 11 March 2024 (installation time zone UTC), so the last 7 days
are 4–10 March and the 28 days before them 5 February – 3 March.

NPS below 0 over 7 days, North 1 with (P 5, A 5, D 20), n = 30: NPS = 100 · (5 − 20)/30 = −50.0.
Adjusted-Wald: n' = 33, P' = 5.75/33 = 0.17424, D' = 20.75/33 = 0.62879, centre −0.45455,
σ'² = 0.80303 − 0.20661 = 0.59642, half = 1.959964 · √(0.59642/33) = 0.26349 → [−71.8, −19.1]: all below 0.

Change, baseline (P 20, A 10, D 10) n = 40 → +25.0, SE = 100 · √((0.5 + 0.25 − 0.0625)/40) = 13.110.
Now (P 8, A 6, D 16) n = 30 → −26.7, SE = 100 · √((0.8 − 0.071111)/30) = 15.587; SE(Δ) = 20.368,
z = −51.667/20.368 = −2.537, p = 0.011 → a significant fall.  Now (P 14, A 6, D 10) → +13.3,
SE = 16.147, SE(Δ) = 20.80, z = −0.561, p = 0.575 → not significant, never fires.

Two proportions (pooled): share 4/40 → 10/20: p̂ = 14/60, SE = √(0.23333 · 0.76667 · (1/40 + 1/20)) = 0.11583,
z = 0.4/0.11583 = 3.453, p = 0.00055.  Response rate 50/100 → 10/50: p̂ = 0.4, SE = √(0.24 · 0.03) = 0.084853,
z = −3.536, p = 0.00041; 50/100 → 22/50: p̂ = 0.48, SE = 0.086533, z = −0.693, p = 0.488.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from harken.analytics.nps import Counts
from harken.collect.models import Response
from harken.contacts.models import Contact
from harken.distribution.models import Invitation
from harken.integrations.webhooks import delivery
from harken.integrations.webhooks.models import Webhook
from harken.loop import mailing
from harken.org.models import Unit
from harken.reports.metric_alerts import checks, evaluation
from harken.reports.metric_alerts.models import Kind, MetricAlertEvent, MetricAlertRule
from harken.text.models import Theme
from harken.text.tagging import do_analyse_pending, do_save_theme
from tests.conftest import Org
from tests.test_webhooks_delivery import receiver_factory  # noqa: F401 (a fixture)

UTC = dt.UTC
NOW = dt.datetime(2024, 3, 11, 6, 0, tzinfo=UTC)
RECENT = dt.datetime(2024, 3, 6, 12, tzinfo=UTC)
BASELINE = dt.datetime(2024, 2, 20, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc(settings: Any) -> None:
    settings.TIME_ZONE = "UTC"


def add(org: Org, unit: Unit, counts: tuple[int, int, int], when: dt.datetime, comment: str = "") -> None:
    """(promoters, passives, detractors) as scores 10, 8 and 3."""
    promoters, passives, detractors = counts
    scores = [10] * promoters + [8] * passives + [3] * detractors
    Response.objects.bulk_create(
        Response(survey=org.survey, unit=unit, score=score, comment=comment, submitted_at=when) for score in scores
    )


def rule(org: Org, **fields: Any) -> MetricAlertRule:
    return MetricAlertRule.objects.create(
        name=fields.pop("name", "Watch"), unit=fields.pop("unit", org.north_1), **fields
    )


def events(alert: MetricAlertRule) -> list[tuple[str, str]]:
    return [(event.kind, event.message) for event in alert.events.order_by("at", "pk")]


# --- Pure decisions ----------------------------------------------------------------------------------------


def test_nps_below_fires_only_when_the_whole_interval_is_below() -> None:
    counts = Counts(detractors=20, passives=5, promoters=5)
    fired = evaluation.judge_nps_below(counts, 0, 20, 0.95)
    assert fired.holds and fired.message == "NPS −50.0 (interval [−71.8, −19.1], n = 30) is below the threshold of 0.0."
    noise = evaluation.judge_nps_below(counts, -40, 20, 0.95)
    assert not noise.holds and noise.judged
    assert noise.message.endswith("is under −40.0 but within the margin of error: not firing.")
    small = evaluation.judge_nps_below(counts, 0, 31, 0.95)
    assert (small.holds, small.judged, small.message) == (False, False, "Only 30 responses (minimum 31): not judged.")


def test_a_significant_fall_fires_and_a_non_significant_one_does_not() -> None:
    baseline = Counts(detractors=10, passives=10, promoters=20)
    fell = evaluation.judge_nps_change(baseline, Counts(16, 6, 8), "down", 20, 0.05)
    assert fell.holds and fell.message == (
        "NPS fell significantly by 51.7 points: NPS −26.7 (n = 30) against +25.0 in the baseline (n = 40), p = 0.011."
    )
    noise = evaluation.judge_nps_change(baseline, Counts(10, 6, 14), "down", 20, 0.05)
    assert not noise.holds and noise.judged and "p = 0.575" in noise.message and "significantly" not in noise.message
    wrong_way = evaluation.judge_nps_change(baseline, Counts(16, 6, 8), "up", 20, 0.05)
    assert not wrong_way.holds
    small = evaluation.judge_nps_change(baseline, Counts(16, 6, 8), "down", 31, 0.05)
    assert not small.holds and not small.judged


def test_response_rate_and_theme_share_tests() -> None:
    drop = evaluation.judge_rate_drop(50, 100, 10, 50, 30, 0.05)
    assert drop.holds and drop.message == (
        "The response rate dropped significantly: 20.0% answered (10 of 50) against 50.0% (50 of 100), p < 0.001."
    )
    assert not evaluation.judge_rate_drop(50, 100, 22, 50, 30, 0.05).holds  # p = 0.488
    assert not evaluation.judge_rate_drop(50, 100, 10, 20, 30, 0.05).judged  # 20 invitations < 30
    assert evaluation.judge_share_rising(4, 40, 10, 20, 10, 0.05).holds
    assert not evaluation.judge_share_rising(4, 40, 2, 5, 10, 0.05).judged  # 5 comments < 10


# --- Rules on the database, state and notifications --------------------------------------------------------


def test_a_low_nps_fires_once_notifies_the_manager_and_clears(org: Org, smtp: Any) -> None:
    smtp.start()
    org.users["manager"].email = "manager@acme.example"
    org.users["manager"].save()
    add(org, org.north_1, (5, 5, 20), RECENT)
    alert = rule(org, name="North 1 below zero", kind=Kind.NPS_BELOW, threshold=0, period_days=7, min_sample=20)
    event = checks.do_check(alert, NOW)
    assert event is not None and event.window == "2024-03-04..2024-03-10"
    assert alert.state == "firing" and alert.last_fired_at == NOW
    assert mailing.do_send_due() == {"emails_sent": 1}  # queued, then sent by the worker with retries
    [message] = smtp.inbox.messages
    assert message["To"] == "manager@acme.example"
    assert message["Subject"].strip() == "Metric alert: North 1 below zero — North 1"
    assert "NPS −50.0 (interval [−71.8, −19.1], n = 30) is below the threshold of 0.0." in message.get_content()
    assert event.notified == ["manager@acme.example"]
    # Checked again an hour later and the next day: still firing, nobody is told twice.
    assert checks.do_check(alert, NOW + dt.timedelta(hours=1)) is None
    assert checks.do_check(alert, NOW + dt.timedelta(days=1)) is None
    assert mailing.do_send_due() == {} and len(smtp.inbox.messages) == 1
    # The same window can never fire twice, even if the state were lost.
    MetricAlertRule.objects.filter(pk=alert.pk).update(state="ok", last_fired_at=None)
    alert.refresh_from_db()
    assert checks.do_check(alert, NOW) is None and len(smtp.inbox.messages) == 1
    # Enough promoters arrive later: the condition is gone, the rule clears.
    alert.state = "firing"
    add(org, org.north_1, (40, 0, 0), dt.datetime(2024, 3, 11, 12, tzinfo=UTC))
    cleared = checks.do_check(alert, NOW + dt.timedelta(days=1))
    assert cleared is not None and cleared.kind == "cleared" and alert.state == "ok"


def test_the_cooldown_holds_back_a_new_firing(org: Org) -> None:
    add(org, org.north_1, (5, 5, 20), RECENT)
    alert = rule(org, kind=Kind.NPS_BELOW, threshold=0, period_days=7, min_sample=20, cooldown_hours=48)
    alert.last_fired_at = NOW - dt.timedelta(hours=24)
    assert checks.do_check(alert, NOW) is None and alert.state == "ok"
    assert checks.do_check(alert, NOW + dt.timedelta(hours=25)) is not None


def test_small_samples_and_noise_never_fire(org: Org) -> None:
    add(org, org.north_1, (5, 5, 20), RECENT)
    small = rule(org, kind=Kind.NPS_BELOW, threshold=0, period_days=7, min_sample=31)
    noise = rule(org, kind=Kind.NPS_BELOW, threshold=-40, period_days=7, min_sample=20)
    assert checks.do_check(small, NOW) is None and checks.do_check(noise, NOW) is None
    assert MetricAlertEvent.objects.count() == 0


def test_a_significant_fall_against_the_four_weeks_before_fires(org: Org) -> None:
    add(org, org.north_1, (20, 10, 10), BASELINE)
    add(org, org.north_1, (8, 6, 16), RECENT)
    alert = rule(org, kind=Kind.NPS_CHANGE, baseline="week", direction="down", min_sample=20)
    event = checks.do_check(alert, NOW)
    assert event is not None and event.message.startswith("NPS fell significantly by 51.7 points")
    assert event.details["window"] == "4 Mar 2024 – 10 Mar 2024 against 5 Feb 2024 – 3 Mar 2024"


def test_a_fall_within_the_noise_does_not_fire(org: Org) -> None:
    add(org, org.north_1, (20, 10, 10), BASELINE)
    add(org, org.north_1, (14, 6, 10), RECENT)
    alert = rule(org, kind=Kind.NPS_CHANGE, baseline="week", direction="down", min_sample=20)
    assert checks.do_check(alert, NOW) is None
    _window, verdict = checks.judge(alert, NOW.date())
    assert verdict.judged and "p = 0.575" in verdict.message


def test_a_rising_theme_fires(org: Org) -> None:
    do_save_theme(Theme(name="Waiting", any_of="queue"))
    add(org, org.north_1, (0, 0, 4), BASELINE, "Long queue")
    add(org, org.north_1, (36, 0, 0), BASELINE, "Nice shop")
    add(org, org.north_1, (0, 0, 10), RECENT, "Long queue")
    add(org, org.north_1, (10, 0, 0), RECENT, "Nice shop")
    do_analyse_pending()
    theme = Theme.objects.get(name="Waiting")
    alert = rule(org, kind=Kind.THEME_RISING, theme=theme, baseline="week", min_sample=10)
    event = checks.do_check(alert, NOW)
    assert event is not None and event.message == (
        "The theme's share rose significantly: 50.0% of comments (10 of 20) against 10.0% (4 of 40), p < 0.001."
    )


def test_a_response_rate_drop_fires_and_posts_to_slack(org: Org, receiver_factory: Any) -> None:  # noqa: F811
    receiver = receiver_factory()
    contact = Contact.objects.create(email="c@example.com")
    for sent, answered, when in ((100, 50, BASELINE), (50, 10, RECENT)):
        for i in range(sent):
            invitation = Invitation.objects.create(
                survey=org.survey, contact=contact, unit=org.north_1, scheduled_at=when, sent_at=when
            )
            if i < answered:
                Response.objects.create(
                    survey=org.survey, unit=org.north_1, score=9, invitation=invitation, submitted_at=when
                )
                Invitation.objects.filter(pk=invitation.pk).update(answered_at=when)
    slack = Webhook.objects.create(name="Store ops", url=receiver.url, kind=Webhook.Kind.SLACK)
    alert = rule(org, name="Fewer answers", kind=Kind.RATE_DROP, baseline="week", min_sample=30, notify_owners=False)
    alert.webhooks.add(slack)
    event = checks.do_check(alert, NOW)
    assert event is not None and event.notified == ["Slack incoming webhook: Store ops"]
    assert delivery.do_deliver_due() == {"delivered": 1}
    [(headers, body)] = receiver.accepted()
    assert headers["X-Harken-Event"] == "metric_alert.fired"
    text = json.loads(body)["text"]
    assert text.startswith("Metric alert: Fewer answers — North 1 · North 1\n> The response rate dropped significantly")
    assert f"/metric-alerts/{alert.pk}/|Open in Harken>" in text


def test_no_feedback_for_n_days_fires_once_per_silence(org: Org) -> None:
    east = Unit.objects.create(name="East 1", parent=org.acme)
    Response.objects.create(survey=org.survey, unit=east, score=9, submitted_at=dt.datetime(2024, 3, 1, 9, tzinfo=UTC))
    alert = rule(org, unit=east, kind=Kind.NO_FEEDBACK, days=7)
    event = checks.do_check(alert, NOW)
    assert event is not None and event.message == "No feedback for 10 days (alert after 7)."
    assert event.window == "since 2024-03-01"
    assert checks.do_check(alert, NOW + dt.timedelta(days=3)) is None  # still silent: no repeat
    quiet = rule(org, unit=east, kind=Kind.NO_FEEDBACK, days=11)
    assert checks.do_check(quiet, NOW) is None


def test_the_worker_checks_due_rules_hourly(org: Org) -> None:
    add(org, org.north_1, (5, 5, 20), RECENT)
    alert = rule(org, kind=Kind.NPS_BELOW, threshold=0, period_days=7, min_sample=20, next_check_at=NOW)
    assert checks.do_check_due(NOW) == 1
    assert checks.do_check_due(NOW + dt.timedelta(minutes=30)) == 0
    alert.refresh_from_db()
    assert alert.state == "firing" and alert.next_check_at == NOW + dt.timedelta(hours=1)


def test_the_worker_fires_a_due_rule_on_its_heartbeat(org: Org, run_worker: Any, smtp: Any) -> None:
    from django.utils import timezone

    from harken.reports.metric_alerts.tasks import metric_alert_tick

    smtp.start()
    east = Unit.objects.create(name="East 1", parent=org.acme)
    Response.objects.create(survey=org.survey, unit=east, score=9, submitted_at=timezone.now() - dt.timedelta(days=10))
    alert = rule(org, unit=east, kind=Kind.NO_FEEDBACK, days=7, notify_emails="ops@acme.example")
    metric_alert_tick.enqueue()
    run_worker()
    alert.refresh_from_db()
    assert alert.state == "firing"
    [event] = alert.events.all()
    assert event.message == "No feedback for 10 days (alert after 7)." and event.notified == ["ops@acme.example"]
    [message] = smtp.inbox.messages
    assert message["To"] == "ops@acme.example"
