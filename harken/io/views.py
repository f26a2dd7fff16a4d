"""The Import page (upload → dry run with problems by line and column → confirm) and the Export page.

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

from harken.analytics import periods
from harken.api.auth import check_can_write_unit
from harken.dashboards import selection
from harken.distribution.models import Channel
from harken.io import uploads
from harken.io.exports import CONTENT_TYPES, export_bytes
from harken.io.formats import LayoutError
from harken.io.forms import ExportForm, ImportForm
from harken.io.imports import Report, Target, do_import
from harken.io.parse import Options, parse_file
from harken.io.selection import matching_responses
from harken.io.tables import FileError
from harken.org import audit
from harken.org.scoping import visible_units
from harken.surveys.models import Survey, Touchpoint


def may_import(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff and superusers may import history (base.html shows the Import link to the same people)."""
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))


def check_can_import(user: AbstractBaseUser | AnonymousUser) -> None:
    """Refuse everyone else."""
    if not may_import(user):
        raise PermissionDenied("Only staff and administrators may import responses.")


def import_page(request: HttpRequest) -> TemplateResponse:
    """GET: the form.  POST: a dry run of the uploaded file, or (``step=import``) the import itself."""
    check_can_import(request.user)
    form = ImportForm(request.user, request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return TemplateResponse(request, "io/import.html", context, status=422 if request.method == "POST" else 200)
    confirm = request.POST.get("step") == "import"
    try:
        upload = _upload(request)
        report = _run(request.user, form.cleaned_data, upload, dry_run=not confirm)  # type: ignore[arg-type]
    except (FileError, LayoutError, ValueError, PermissionDenied) as exc:
        context["error"] = str(exc)
        return TemplateResponse(request, "io/import.html", context, status=422)
    if confirm and report.created + report.already_imported:
        uploads.discard(request.user.pk, upload.token)
    can_confirm = not confirm and report.created > 0 and (report.ok or form.cleaned_data["skip_bad_rows"])
    context |= {"report": report, "upload": upload, "confirmed": confirm, "can_confirm": can_confirm}
    return TemplateResponse(request, "io/import.html", context)


def _upload(request: HttpRequest) -> uploads.Upload:
    file = request.FILES.get("file")
    if isinstance(file, UploadedFile):
        return uploads.save(request.user.pk, file)
    token = request.POST.get("token", "")
    if not token:
        raise ValueError("Choose a file to import.")
    return uploads.load(request.user.pk, token, request.POST.get("filename", ""))


def _run(user: AbstractBaseUser, data: dict[str, Any], upload: uploads.Upload, dry_run: bool) -> Report:
    """Check the unit, parse the file and import it (or pretend to)."""
    check_can_write_unit(user, data["unit"])
    columns = {"score": data["score_column"]} if data["score_column"] else {}
    options = Options(
        time_zone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
        format=data["format"] or None,
        columns=columns,
        unit_column=data["unit_column"] or None,
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
    units = visible_units(request.user).order_by("path")
    top = min((unit.depth for unit in units), default=0)
    return {
        "form": form,
        "sel": chosen,
        "period_choices": list(periods.PRESETS.items()),
        "unit_choices": [(unit.pk, "\u2003" * (unit.depth - top) + unit.name) for unit in units],
        "touchpoint_choices": list(Touchpoint.objects.values_list("pk", "name")),
        "survey_choices": list(Survey.objects.values_list("pk", "name")),
        "channel_choices": Channel.choices,
        "category_choices": [("promoter", "Promoters"), ("passive", "Passives"), ("detractor", "Detractors")],
        "has_units": units.exists(),
    }
