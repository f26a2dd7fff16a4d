"""The contact page: who the customer is, their consent, everything sent to them, every answer, skipped sends."""

from __future__ import annotations

import base64
import binascii

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from harken.collect.models import Response
from harken.contacts import erasure, imports
from harken.contacts.models import Contact
from harken.distribution.eligibility import next_eligible_for
from harken.distribution.models import EligibilityEntry, Invitation
from harken.io.tables import FileError, Table, read_table
from harken.org import audit
from harken.org.scoping import scope_to_user
from harken.surveys.models import Survey


def check_contact(request: HttpRequest, contact_id: int) -> Contact:
    """The contact, if its home unit is one the user sees; 404 otherwise (we do not tell which)."""
    contact = scope_to_user(Contact.objects.select_related("home_unit"), request.user, "home_unit")
    found = contact.filter(pk=contact_id).first()
    if found is None:
        raise Http404("No such contact")
    return found


def contact_page(request: HttpRequest, contact_id: int) -> TemplateResponse:
    """One contact with their history."""
    contact = check_contact(request, contact_id)
    survey = Survey.objects.filter(is_active=True).first()
    context = {
        "contact": contact,
        "next_eligible_at": next_eligible_for(contact, survey) if survey else None,
        "invitations": Invitation.objects.filter(contact=contact).select_related("survey", "unit")[:200],
        "responses": Response.objects.filter(contact=contact).select_related("survey", "unit")[:200],
        "skipped": EligibilityEntry.objects.filter(contact=contact).select_related("survey")[:200],
        "may_erase": _may_erase(request, contact),
        "erased": request.GET.get("erased") == "1",
    }
    return TemplateResponse(request, "contacts/contact.html", context)


def _may_erase(request: HttpRequest, contact: Contact) -> bool:
    try:
        erasure.check_can_erase(request.user, contact)  # type: ignore[arg-type]
    except PermissionDenied:
        return False
    return True


def erase_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """GET asks for confirmation; POST erases the contact's personal data and comments (GDPR)."""
    contact = check_contact(request, contact_id)
    erasure.check_can_erase(request.user, contact)  # type: ignore[arg-type]
    if request.method != "POST":
        count = Response.objects.filter(contact=contact).count()
        return TemplateResponse(request, "contacts/erase.html", {"contact": contact, "responses": count})
    done = erasure.do_erase_contact(contact)
    audit.record(request.user, "erase_contact", contact, responses=done.responses, via="web")
    return HttpResponseRedirect(reverse("contacts:contact", args=[contact.pk]) + "?erased=1")


MAX_IMPORT_BYTES = 5 * 1024 * 1024
PREVIEW_ROWS = 10


def import_contacts(request: HttpRequest) -> TemplateResponse:
    """Upload a CSV/XLSX file, map its columns, preview the result, then import all rows or only the valid ones.

    The file travels between the steps in the form itself (base64), so any web process can serve each step.
    """
    context: dict[str, object] = {"targets": imports.FIELDS, "types": imports.TYPES}
    if request.method != "POST":
        return TemplateResponse(request, "contacts/import.html", context)
    try:
        data, filename = _uploaded(request)
        table = read_table(data, filename)
        mapping = _mapping_from(request, table) or imports.guess_mapping(table)
        checked = imports.check_rows(request.user, table, mapping)  # type: ignore[arg-type]
    except (FileError, ValueError) as exc:
        context["error"] = str(exc)
        return TemplateResponse(request, "contacts/import.html", context, status=422)
    context |= {
        "data": base64.b64encode(data).decode(),
        "filename": filename,
        "columns": [
            _column(index, column, mapping.get(column, imports.IGNORE)) for index, column in enumerate(checked.header)
        ],
        "preview": checked.rows[:PREVIEW_ROWS],
        "checked": checked,
    }
    step = request.POST.get("step")
    if step in ("import", "import_valid"):
        context["report"] = imports.do_import(checked, only_valid=step == "import_valid")
    return TemplateResponse(request, "contacts/import.html", context)


def _uploaded(request: HttpRequest) -> tuple[bytes, str]:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size and upload.size > MAX_IMPORT_BYTES:
            raise ValueError("The file is larger than 5 MB; split it.")
        return upload.read(), upload.name or "contacts.csv"
    encoded = request.POST.get("data", "")
    if not encoded:
        raise ValueError("Choose a CSV or XLSX file.")
    try:
        return base64.b64decode(encoded, validate=True), request.POST.get("filename", "contacts.csv")
    except binascii.Error:
        raise ValueError("The file was damaged between the steps; upload it again.") from None


def _mapping_from(request: HttpRequest, table: Table) -> dict[str, str] | None:
    if "file" in request.FILES or not table.rows:
        return None
    mapping = {}
    for index, column in enumerate(table.rows[0]):
        target = request.POST.get(f"map-{index}", imports.IGNORE)
        if target.startswith("attr:"):
            name = imports.slug(request.POST.get(f"name-{index}", "") or column)
            target = f"attr:{name}:{target.split(':')[-1]}"
        mapping[column] = target
    return mapping


def _column(index: int, column: str, target: str) -> dict[str, object]:
    """One column of the mapping form: where it goes now, split for the form's select and name field."""
    is_attribute = target.startswith("attr:")
    parts = target.split(":")
    return {
        "index": index,
        "column": column,
        "target": f"attr:{parts[2]}" if is_attribute else target,
        "attribute": parts[1] if is_attribute else imports.slug(column),
    }
