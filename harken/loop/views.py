"""Case pages: the inbox of the cases a user may see, and one case to work to closed.

Views fetch through ``cases.visible_cases`` (role scoping in the query), authorize with ``cases.can_work``,
call one ``check_`` and one ``do_`` function, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from harken.loop import cases, mailing
from harken.loop.effects import action_effect
from harken.loop.forms import CustomerEmailForm, InboxFilters, NoteForm, StatusForm
from harken.loop.models import OPEN_STATUSES, Action, Case
from harken.org.models import Unit
from harken.org.scoping import visible_units

CASES_PER_PAGE = 50


def inbox(request: HttpRequest) -> TemplateResponse:
    """The cases the user may see, open ones first by default, with filters."""
    form = InboxFilters(request.GET or {"status": "open"}, visible_units(request.user).order_by("path"))
    queryset = cases.visible_cases(request.user)
    if form.is_valid():
        queryset = _filtered(queryset, form.cleaned_data, request.user.pk)
    else:
        queryset = queryset.none()
    page = Paginator(queryset.select_related("unit", "owner", "response"), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "cases": page, "page": page, "query": query.urlencode(), "now": timezone.now()}
    return TemplateResponse(request, "loop/inbox.html", context)


def _filtered(queryset: QuerySet[Case], chosen: dict[str, Any], user_id: int | None) -> QuerySet[Case]:
    status = chosen.get("status") or "open"
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status == "overdue":
        queryset = queryset.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    elif status != "all":
        queryset = queryset.filter(status=status)
    if chosen.get("mine"):
        queryset = queryset.filter(owner_id=user_id)
    if chosen.get("unit"):
        path = Unit.objects.filter(pk=chosen["unit"]).values_list("path", flat=True).first() or "\0"
        queryset = queryset.filter(unit__path__startswith=path)  # still inside the scoped queryset
    if chosen.get("priority"):
        queryset = queryset.filter(priority=chosen["priority"])
    return queryset


def _case_or_404(request: HttpRequest, case_id: int) -> Case:
    case = cases.visible_cases(request.user).filter(pk=case_id).first()
    if case is None:
        raise Http404("No such case")
    return case


def case_page(request: HttpRequest, case_id: int) -> TemplateResponse:
    """One case: the response and customer, the history, and forms to move it on."""
    case = _case_or_404(request, case_id)
    return _render_case(request, case, StatusForm(allowed=case.allowed_statuses()), NoteForm())


def _render_case(
    request: HttpRequest,
    case: Case,
    status_form: StatusForm,
    note_form: NoteForm,
    email_form: CustomerEmailForm | None = None,
) -> TemplateResponse:
    try:
        email_to, email_refusal = mailing.customer_address(case), ""
    except mailing.EmailError as error:
        email_to, email_refusal = "", str(error)
    context = {
        "email_form": email_form or CustomerEmailForm(initial={"subject": f"About your feedback to {case.unit.name}"}),
        "email_to": email_to,
        "email_refusal": email_refusal,
        "reply_to": mailing.reply_address(case.owner if case.owner and case.owner.email else request.user),
        "emails": case.emails.all()[:20],
        "case": case,
        "response": case.response,
        "contact": case.response.contact,
        "events": case.events.select_related("actor"),
        "status_form": status_form,
        "note_form": note_form,
        "can_work": cases.can_work(request.user, case),
        "overdue": case.is_overdue(),
    }
    return TemplateResponse(request, "loop/case.html", context)


@require_POST
def change_status(request: HttpRequest, case_id: int) -> HttpResponse:
    """POST: move the case to another status."""
    case = _authorized(request, case_id)
    form = StatusForm(request.POST, allowed=case.allowed_statuses())
    if form.is_valid():
        data = form.cleaned_data
        try:
            cases.check_status_change(case, data["status"], data["root_cause"], data["outcome"])
        except cases.CaseError as error:
            form.add_error(None, str(error))
        else:
            cases.do_change_status(
                case,
                data["status"],
                request.user,
                root_cause=data["root_cause"],
                outcome=data["outcome"],
                note=data["note"],
            )
            messages.success(request, f"Case is now {case.get_status_display().lower()}.")
            return redirect("loop:case", case_id=case.pk)
    return _render_case(request, case, form, NoteForm())


@require_POST
def add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    """POST: add a note to the case's history."""
    case = _authorized(request, case_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            text = cases.check_note(form.cleaned_data["text"])
        except cases.CaseError as error:
            form.add_error("text", str(error))
        else:
            cases.do_add_note(case, request.user, text)
            return redirect("loop:case", case_id=case.pk)
    return _render_case(request, case, StatusForm(allowed=case.allowed_statuses()), form)


@require_POST
def email_customer(request: HttpRequest, case_id: int) -> HttpResponse:
    """POST: queue an email to the case's customer (sent by the worker), Reply-To the case owner."""
    case = _authorized(request, case_id)
    form = CustomerEmailForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            mailing.check_customer_email(case, request.user, data["subject"], data["body"])
        except mailing.EmailError as error:
            form.add_error(error.field, str(error))
        else:
            mailing.do_queue_customer_email(case, request.user, data["subject"], data["body"])
            messages.success(request, "Your email is on its way; the customer's reply will go to the case owner.")
            return redirect("loop:case", case_id=case.pk)
    return _render_case(request, case, StatusForm(allowed=case.allowed_statuses()), NoteForm(), form)


def _authorized(request: HttpRequest, case_id: int) -> Case:
    case = _case_or_404(request, case_id)
    if not cases.can_work(request.user, case):
        raise PermissionDenied("You may read this case but not change it.")
    return case


def actions(request: HttpRequest) -> TemplateResponse:
    """Improvement actions on the units the user may see, each with its before/after effect."""
    visible = visible_units(request.user).values("pk")
    chosen = (
        Action.objects.filter(units__in=visible).distinct().select_related("owner", "theme").prefetch_related("units")
    )
    today = timezone.localdate()
    rows = [(action, action_effect(action, today)) for action in chosen]
    return TemplateResponse(request, "loop/actions.html", {"rows": rows})
