"""The Import page (upload → column mapping → dry run with problems by line and column → confirm) and the
Export page.

Both reuse ``harken.io``: ``parse_file`` and ``do_import`` as ``harken import responses`` does, and the export
datasets of ``harken export``, scoped to the viewer's units with the dashboards' filters.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from harken.api.auth import check_can_write_unit, is_administrator
from harken.dashboards import selection
from harken.dashboards.views import filter_choices  # one source of the filter bar's options
from harken.io import uploads
from harken.io.exports import CONTENT_TYPES, export_bytes
from harken.io.formats import LayoutError, detect
from harken.io.forms import ExportForm, ImportForm, MappingForm
from harken.io.imports import Report, Target, do_import
from harken.io.parse import Options, parse_file
from harken.io.selection import matching_responses
from harken.io.tables import FileError, read_table
from harken.org import audit
from harken.org.scoping import visible_units


def may_import(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Administrators of the organisation (the admin role on a unit, or superusers) may import history;
    base.html shows the Import link to the same people."""
    return user.is_authenticated and is_administrator(user)


def check_can_import(user: AbstractBaseUser | AnonymousUser) -> None:
    """Refuse everyone else."""
    if not may_import(user):
        raise PermissionDenied("Only administrators may import responses.")


def import_page(request: HttpRequest) -> TemplateResponse:
    """Upload → map the columns → dry run (problems by line and column) → import.

    The first POST of a file (or of another format or survey than the mapping was made for) shows the
    recognised columns in a mapping form; later POSTs carry the upload's token and the mapping, and run the
    dry run (``step=dry_run``) or the import (``step=import``).
    """
    check_can_import(request.user)
    form = ImportForm(request.user, request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST":
        return TemplateResponse(request, "io/import.html", context)
    if not form.is_valid():
        return TemplateResponse(request, "io/import.html", context, status=422)
    data = form.cleaned_data
    try:
        check_can_write_unit(request.user, data["unit"])  # type: ignore[arg-type]
        upload = _upload(request)
        table = read_table(upload.data, upload.filename)
        layout = detect(table, data["format"] or None)
    except (FileError, LayoutError, ValueError, PermissionDenied) as exc:
        context["error"] = str(exc)
        return TemplateResponse(request, "io/import.html", context, status=422)
    questions = list(data["survey"].questions.filter(is_active=True).order_by("position", "pk"))
    mapped_for = f"{layout.format}:{data['survey'].pk}"
    fresh = "file" in request.FILES or request.POST.get("mapped_for") != mapped_for
    mapping = MappingForm(layout, table, questions, None if fresh else request.POST)
    context |= {"upload": upload, "layout": layout, "rows": len(table.rows) - layout.data_start}
    context |= {"mapping": mapping, "mapped_for": mapped_for}
    if fresh:
        return TemplateResponse(request, "io/import.html", context)
    if not mapping.is_valid():
        return TemplateResponse(request, "io/import.html", context, status=422)
    confirm = request.POST.get("step") == "import"
    try:
        report = _run(data, mapping, upload, dry_run=not confirm)
    except (FileError, LayoutError, ValueError) as exc:
        context["error"] = str(exc)
        return TemplateResponse(request, "io/import.html", context, status=422)
    if confirm and report.created + report.already_imported:
        uploads.discard(request.user.pk, upload.token)
    can_confirm = not confirm and report.created > 0 and (report.ok or data["skip_bad_rows"])
    context |= {"report": report, "confirmed": confirm, "can_confirm": can_confirm}
    return TemplateResponse(request, "io/import.html", context)


def _upload(request: HttpRequest) -> uploads.Upload:
    file = request.FILES.get("file")
    if isinstance(file, UploadedFile):
        return uploads.save(request.user.pk, file)
    token = request.POST.get("token", "")
    if not token:
        raise ValueError("Choose a file to import.")
    return uploads.load(request.user.pk, token, request.POST.get("filename", ""))


def _run(data: dict[str, Any], mapping: MappingForm, upload: uploads.Upload, dry_run: bool) -> Report:
    """Parse the file with the mapping and import it (or pretend to)."""
    options = Options(
        time_zone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        format=data["format"] or None,
        columns=mapping.roles(),
        answer_columns=mapping.answers(),
        scale=data["scale"] or "auto",
    )
    parsed = parse_file(upload.data, upload.filename, options)
    target = Target(data["survey"], data["unit"], data["touchpoint"], skip_bad_rows=data["skip_bad_rows"])
    return do_import(parsed, target, dry_run=dry_run)


def export_page(request: HttpRequest) -> HttpResponse:
    """The form; with ``download``, the file of the chosen dataset for the filters, limited to the viewer."""
    form = ExportForm(request.GET if "download" in request.GET else None)
    chosen = selection.read(request.GET, request.user)
    if not form.is_valid():
        return TemplateResponse(request, "io/export.html", _export_context(request, form, chosen))
    dataset, fmt = form.cleaned_data["dataset"], form.cleaned_data["format"]
    data = export_bytes(dataset, fmt, matching_responses(chosen.filters(), request.user))
    audit.record(request.user, "export", dataset=dataset, format=fmt, via="web")
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="harken-{dataset}.{fmt}"'
    return response


def _export_context(request: HttpRequest, form: ExportForm, chosen: selection.Selection) -> dict[str, Any]:
    """The form and the dashboards' filter options (the page includes their filter fields)."""
    return {
        "form": form,
        "sel": chosen,
        "has_units": visible_units(request.user).exists(),
        **filter_choices(request.user, chosen),
    }
