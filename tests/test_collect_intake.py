"""Widget answers are received at once and filed as responses in batches (harken.collect.intake)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from harken.collect import intake, ratelimit
from harken.collect.models import ReceivedAnswer, Response
from harken.distribution.models import Channel
from harken.lib import batching
from harken.loop.tasks import apply_rules, apply_rules_to
from harken.text.tasks import analyse_response, analyse_responses

KEY_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
KEY_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def receive(org: Any, key: str, **answer: Any) -> None:
    fields = {"score": None, "comment": None, "visitor": None, "language": "en", **answer}
    intake.do_receive(
        survey_id=org.survey.pk,
        unit_id=org.north_2.pk,
        touchpoint_id=org.purchase.pk,
        submission_key=key,
        **fields,
    )


def queued(task: Any) -> list[Any]:
    rows = DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at")
    return [row.args_kwargs["args"] for row in rows]


def test_answers_wait_until_filed_then_become_one_response_per_submission(org: Any) -> None:
    before = Response.objects.count()
    receive(org, KEY_A, score=3)
    receive(org, KEY_B, score=10, language="fr")
    receive(org, KEY_A, comment="Too slow at the till")  # the comment step of the same submission
    assert ReceivedAnswer.objects.count() == 3 and Response.objects.count() == before
    assert intake.waiting() == 3

    assert intake.do_file_batch() == 3
    assert intake.waiting() == 0 and ReceivedAnswer.objects.count() == 0
    a = Response.objects.get(submission_key=KEY_A)
    b = Response.objects.get(submission_key=KEY_B)
    assert (a.score, a.comment, a.category, a.channel) == (3, "Too slow at the till", "detractor", Channel.WIDGET)
    assert (a.unit_id, a.touchpoint_id, a.survey_id) == (org.north_2.pk, org.purchase.pk, org.survey.pk)
    assert (b.score, b.comment, b.language) == (10, "", "fr")
    assert Response.objects.count() == before + 2


def test_a_batch_queues_its_follow_up_work_once_not_per_response(org: Any) -> None:
    receive(org, KEY_A, score=2, comment="Rude staff")
    receive(org, KEY_B, score=9)
    intake.do_file_batch()
    a = Response.objects.get(submission_key=KEY_A).pk
    b = Response.objects.get(submission_key=KEY_B).pk
    assert queued(apply_rules_to) == [[sorted([a, b])]]
    assert queued(analyse_responses) == [[[a]]]  # only the response with a comment
    assert queued(apply_rules) == [] and queued(analyse_response) == []


def test_outside_a_batch_each_response_queues_its_own_tasks(org: Any) -> None:
    assert batching.add(apply_rules_to, 1) is False
    with batching.tasks_per_batch():
        assert batching.add(apply_rules_to, 7) is True
        assert batching.add(apply_rules_to, 7) is True
        assert batching.add(apply_rules_to, 5) is True
    assert queued(apply_rules_to) == [[[5, 7]]]


def test_a_later_score_replaces_the_earlier_one_in_arrival_order(org: Any) -> None:
    receive(org, KEY_A, score=4)
    receive(org, KEY_A, score=9)
    intake.do_file_batch()
    assert Response.objects.get(submission_key=KEY_A).score == 9


def test_an_answer_to_a_deleted_survey_is_kept_with_the_reason_and_holds_up_nothing(org: Any) -> None:
    receive(org, KEY_A, score=8)
    intake.do_receive(
        survey_id=999_999, unit_id=org.north_2.pk, touchpoint_id=None, submission_key=KEY_B, score=1,
        comment=None, language="en", visitor=None,
    )  # fmt: skip
    assert intake.do_file_batch() == 1
    assert Response.objects.filter(submission_key=KEY_A).exists()
    kept = ReceivedAnswer.objects.get()
    assert (kept.submission_key, kept.attempts, kept.last_error) == (KEY_B, 3, "Survey 999999 no longer exists.")
    assert intake.waiting() == 0  # given up on, but still there for an administrator to see
    assert intake.do_file_batch() == 0


def test_a_visitor_named_by_the_host_page_becomes_the_contact(org: Any) -> None:
    visitor = {"id": "cus_42", "email": "ada@example.com", "name": "Ada", "attributes": {"plan": "pro"}}
    receive(org, KEY_A, score=10, visitor=visitor)
    intake.do_file_batch()
    response = Response.objects.select_related("contact").get(submission_key=KEY_A)
    assert response.contact is not None
    assert (response.contact.external_id, response.contact.email, response.contact.attributes) == (
        "cus_42",
        "ada@example.com",
        {"plan": "pro"},
    )
    assert response.contact.home_unit_id == org.north_2.pk


def test_over_the_rate_limit_nothing_is_stored(org: Any) -> None:
    limit = ratelimit.Limit("answer:ip:203.0.113.9", 1)
    receive(org, KEY_A, score=5, limits=[limit])
    with pytest.raises(ratelimit.RateLimited):
        receive(org, KEY_B, score=5, limits=[limit])
    assert list(ReceivedAnswer.objects.values_list("submission_key", flat=True)) == [KEY_A]


def test_only_one_filer_at_a_time_in_a_process(org: Any) -> None:
    receive(org, KEY_A, score=7)
    with intake._filing:  # another thread of this process is filing
        assert intake.file_waiting() == 0
    assert intake.file_waiting() == 1


def test_an_answer_alone_in_its_process_is_filed_before_the_reply(org: Any) -> None:
    with intake.answering() as busy:
        receive(org, KEY_A, score=6)
        assert busy() is False
        intake.file_soon(busy())
    assert Response.objects.get(submission_key=KEY_A).score == 6


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_answers_are_each_stored_once(org: Any) -> None:
    """Twenty threads answer at once: group commit writes them together, and every one is stored exactly once."""
    errors: list[BaseException] = []

    def answer(number: int) -> None:
        try:
            intake.do_receive(
                survey_id=org.survey.pk, unit_id=org.north_2.pk, touchpoint_id=None,
                submission_key=f"thread{number:02d}-0123456789abcdef", score=number % 11, comment=None,
                language="en", visitor=None,
            )  # fmt: skip
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ReceivedAnswer.objects.count() == 20
    while intake.do_file_batch(limit=7):
        pass
    assert Response.objects.filter(submission_key__startswith="thread").count() == 20


def test_with_a_filer_process_the_web_process_leaves_filing_to_it(org: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARKEN_ANSWER_FILER", "process")  # as `harken serve` sets for its web processes
    with intake.answering() as busy:
        receive(org, KEY_A, score=6)
        intake.file_soon(busy())
    assert not Response.objects.filter(submission_key=KEY_A).exists() and intake.waiting() == 1
    assert not intake._filer_started.is_set()  # no filer thread in a web process either
    assert intake.file_waiting() == 1  # what the filer process does
    assert Response.objects.get(submission_key=KEY_A).score == 6


def test_an_administrator_sees_answers_given_up_on_and_can_file_them_again(org: Any, admin_client: Any) -> None:
    receive(org, KEY_A, score=1)
    ReceivedAnswer.objects.update(attempts=3, last_error="Survey 41 no longer exists.")
    page = admin_client.get("/admin/collect/receivedanswer/")
    assert page.status_code == 200 and "Survey 41 no longer exists." in page.content.decode()
    pk = ReceivedAnswer.objects.get().pk
    admin_client.post("/admin/collect/receivedanswer/", {"action": "file_again", "_selected_action": [pk]}, follow=True)
    assert ReceivedAnswer.objects.filter(pk=pk, attempts=0, last_error="").exists()
    assert intake.do_file_batch() == 1
    assert Response.objects.get(submission_key=KEY_A).score == 1


def test_the_batch_task_applies_the_rules_to_each_response_and_survives_a_missing_one(org: Any) -> None:
    from harken.loop.models import AlertRule, Case

    rule = AlertRule.objects.create(name="Detractors", categories=["detractor"], sla_hours=8)
    receive(org, KEY_A, score=2)
    receive(org, KEY_B, score=10)
    intake.do_file_batch()
    [ids] = queued(apply_rules_to)[0]
    assert apply_rules_to.call([999_999, *ids]) == 1  # a response deleted in the meantime is skipped
    case = Case.objects.get()
    assert (case.rule_id, case.response.submission_key) == (rule.pk, KEY_A)


def test_the_batch_task_announces_each_new_response_to_the_endpoints_that_want_it(org: Any) -> None:
    from harken.integrations.webhooks.models import Delivery, Webhook

    north = Webhook.objects.create(name="North", url="https://n.example/", unit=org.north)
    Webhook.objects.create(name="South", url="https://s.example/", unit=org.south)
    Webhook.objects.create(name="Cases only", url="https://c.example/", events=["case.opened"])
    receive(org, KEY_A, score=9)  # North 2, under North
    receive(org, KEY_B, score=4)
    intake.do_file_batch()
    [ids] = queued(apply_rules_to)[0]
    apply_rules_to.call(ids)
    sent = Delivery.objects.order_by("id")
    assert [(d.webhook_id, d.event, d.payload["score"]) for d in sent] == [
        (north.pk, "response.created", 9),
        (north.pk, "response.created", 4),
    ]
