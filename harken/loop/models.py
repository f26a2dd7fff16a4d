"""Alert rules and the cases they open: the inner loop (DESIGN.md §3).

``harken.loop.cases`` holds the ``check_*``/``do_*`` functions that are the only writers of cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from harken.loop.rules import AttributeCondition, Conditions, parse_keywords


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class AlertRule(models.Model):
    """Conditions on a new response and what to do when they all hold (an empty condition matches anything).

    ``attribute_conditions`` is a list of ``{"name": "revenue", "op": ">=", "value": 100000}`` on the
    contact's attributes.  ``sentiments`` and ``themes`` are matched against the comment's analysis
    (``harken.text``), which ``harken.loop.alerts`` makes sure exists before the rules run.  With
    ``recognize`` the rule is an excellence alert: a comment naming an employee or a store becomes a shout-out.
    """

    class Assign(models.TextChoices):
        MANAGER = "manager", "The manager of the response's unit"
        ROUND_ROBIN = "round_robin", "Round-robin within the unit's team"

    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, help_text="This unit and its subtree; empty: all."
    )
    survey = models.ForeignKey("surveys.Survey", null=True, blank=True, on_delete=models.CASCADE)
    touchpoint = models.ForeignKey("surveys.Touchpoint", null=True, blank=True, on_delete=models.CASCADE)
    categories = models.JSONField(default=list, blank=True, help_text='e.g. ["detractor"]; empty: any.')
    min_score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(null=True, blank=True)
    keywords = models.TextField(blank=True, help_text="Words or phrases, one a line or comma-separated; any of them.")
    sentiments = models.JSONField(default=list, blank=True, help_text='e.g. ["negative"]; empty: any.')
    themes = models.ManyToManyField(
        "text.Theme", blank=True, related_name="alert_rules", help_text="Any of these themes (or one below them)."
    )
    attribute_conditions = models.JSONField(default=list, blank=True)
    recognize = models.BooleanField(
        default=False, help_text="Excellence alert: send a shout-out to the employee or store the comment names."
    )
    open_case = models.BooleanField(default=True)
    assign = models.CharField(max_length=20, choices=Assign.choices, default=Assign.MANAGER)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    sla_hours = models.PositiveIntegerField(default=24, help_text="Business hours to resolve, in the unit's zone.")
    notify_emails = models.TextField(blank=True, help_text="Addresses to email, one a line.")
    webhooks = models.ManyToManyField(
        "webhooks.Webhook", blank=True, related_name="alert_rules", help_text="Slack, Teams or webhooks to post to."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_score__isnull=True) | models.Q(min_score__lte=10), name="alertrule_min_0_10"
            ),
            models.CheckConstraint(
                condition=models.Q(max_score__isnull=True) | models.Q(max_score__lte=10), name="alertrule_max_0_10"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def conditions(self, theme_ids: frozenset[int] | None = None) -> Conditions:
        """The rule's conditions for ``harken.loop.rules.matches``; ``theme_ids`` saves a query when known."""
        if theme_ids is None:
            theme_ids = frozenset(self.themes.values_list("pk", flat=True)) if self.pk else frozenset()
        return Conditions(
            categories=frozenset(str(c) for c in self.categories or []),
            min_score=self.min_score,
            max_score=self.max_score,
            survey_id=self.survey_id,
            touchpoint_id=self.touchpoint_id,
            unit_path=self.unit.path if self.unit else "",
            keywords=tuple(parse_keywords(self.keywords)),
            sentiments=frozenset(str(s) for s in self.sentiments or []),
            theme_ids=theme_ids,
            attributes=tuple(
                AttributeCondition(str(c.get("name", "")), str(c.get("op", "")), c.get("value"))
                for c in self.attribute_conditions or []
            ),
        )

    def notify_list(self) -> list[str]:
        """The addresses to email when the rule fires."""
        return [line.strip() for line in self.notify_emails.splitlines() if line.strip()]


class AlertCheck(models.Model):
    """Marks a response whose rules have been applied, so each response is checked exactly once."""

    response = models.OneToOneField("collect.Response", on_delete=models.CASCADE, related_name="alert_check")
    checked_at = models.DateTimeField(default=timezone.now)
    matched_rules = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Rules applied to response {self.response_id}"


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING = "waiting", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = [Status.NEW, Status.IN_PROGRESS, Status.WAITING]

# Allowed moves; resolved and closed cases can be reopened (back to "in progress").
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED},
    Status.IN_PROGRESS: {Status.WAITING, Status.RESOLVED},
    Status.WAITING: {Status.IN_PROGRESS, Status.RESOLVED},
    Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
    Status.CLOSED: {Status.IN_PROGRESS},
}


class RootCause(models.TextChoices):
    """The fixed root causes used before they became themes (``Case.root_cause`` → ``text.Theme``).

    Kept as names: migration 0002 maps old values to themes with these labels, and the demo uses them.
    """

    PRODUCT = "product", "Product"
    DELIVERY = "delivery", "Delivery or logistics"
    PRICE = "price", "Price or billing"
    STAFF = "staff", "Staff behaviour"
    PROCESS = "process", "Process or policy"
    COMMUNICATION = "communication", "Communication"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    RECOVERED = "recovered", "Customer recovered"
    NOT_RECOVERED = "not_recovered", "Customer not recovered"
    UNREACHABLE = "unreachable", "Customer could not be reached"
    NO_ACTION = "no_action", "No action needed"


class Case(models.Model):
    """A response someone must act on: owner, priority, due time from the rule's SLA, status, root cause."""

    response = models.ForeignKey("collect.Response", on_delete=models.CASCADE, related_name="cases")
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_cases"
    )
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    root_cause = models.ForeignKey(
        "text.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="root_cause_of"
    )
    root_cause_detail = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["-priority", "due_at", "-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["response", "rule"], name="case_unique_response_rule"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="case_unit_status")]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.title}"

    def is_open(self) -> bool:
        """New, in progress or waiting on the customer."""
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: object | None = None) -> bool:
        """Open and past its due time."""
        moment = now or timezone.now()
        return self.is_open() and self.due_at is not None and self.due_at < moment  # type: ignore[operator]

    def allowed_statuses(self) -> list[str]:
        """The statuses this case may move to next."""
        return [status for status in Status.values if status in TRANSITIONS[self.status]]


class CaseEvent(models.Model):
    """One entry of a case's history: who did what, when."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        STATUS = "status", "Status changed"
        NOTE = "note", "Note"
        ASSIGNED = "assigned", "Assigned"
        ESCALATED = "escalated", "Escalated"
        CONTACTED = "contacted", "Customer contacted"
        EMAILED = "emailed", "Email to the customer"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on case {self.case_id}"


class Action(models.Model):
    """An improvement project (the outer loop) on some units, whose effect on their NPS is measured.

    ``window_days`` before ``started_on`` are compared with as many days from it (``harken.loop.effects``).
    """

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        ABANDONED = "abandoned", "Abandoned"

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    theme = models.ForeignKey(
        "text.Theme",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
        help_text="The root cause it addresses.",
    )
    units = models.ManyToManyField("org.Unit", related_name="actions", help_text="Each with its subtree.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.PLANNED)
    started_on = models.DateField(help_text="The day the change took effect.")
    window_days = models.PositiveSmallIntegerField(default=90, help_text="Days compared before and after.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_on", "name"]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A step of an action, with its due day and when it was done."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Shoutout(models.Model):
    """Praise from a promoter that names an employee or a store, routed to them and their manager.

    Found by an excellence alert (an ``AlertRule`` with ``recognize``); see ``harken.loop.recognition``.
    ``employee`` is empty when a store was named; ``unit`` is the praised store, or the employee's unit.
    """

    response = models.ForeignKey("collect.Response", on_delete=models.CASCADE, related_name="shoutouts")
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="shoutouts")
    employee = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.CASCADE, related_name="shoutouts"
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="shoutouts")
    mention = models.CharField(max_length=200, help_text="The words of the comment that named them.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "employee"], condition=models.Q(employee__isnull=False), name="shoutout_person"
            ),
            models.UniqueConstraint(
                fields=["response", "unit"], condition=models.Q(employee__isnull=True), name="shoutout_store"
            ),
        ]

    def __str__(self) -> str:
        return f"Shout-out for {self.employee or self.unit} (response {self.response_id})"

    @property
    def recipient_name(self) -> str:
        """Who is praised: the employee's name, or the store's."""
        return self.employee.name if self.employee else self.unit.name


class LoopEmail(models.Model):
    """An email the loop sends through the worker: the owner writing to a customer from a case, or a shout-out.

    Sent like invitations (claimed by a conditional update, retried with ``harken.distribution.sending``'s
    backoff).  The case history keeps what was written; the recipient and body here are blanked once the
    email is sent or has failed, so no customer address lingers outside the case (which erasure scrubs).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    shoutout = models.ForeignKey(Shoutout, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    to = models.CharField(max_length=254, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.state})"
