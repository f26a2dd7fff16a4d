"""The executive report as an HTML fragment, a printable PDF (WeasyPrint, no JavaScript) and an email."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

from harken.analytics.templatetags.nps import nps as signed
from harken.reports.executive import Report

STYLESHEET = "reports/report.css"
# WeasyPrint logs every layout step at INFO and each screen-only CSS rule it skips at WARNING: keep the logs quiet.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def context(report: Report) -> dict[str, Any]:
    """What the report templates need: the report, its story and its charts (SVG, marked safe)."""
    return {
        "report": report,
        "story": report.story(),
        "charts": {name: mark_safe(svg) for name, svg in report.charts().items()},  # noqa: S308 - escaped in charts
        "site_name": settings.SITE_NAME,
    }


def stylesheet() -> Path:
    found = finders.find(STYLESHEET)
    if not found:
        raise FileNotFoundError(STYLESHEET)
    return Path(str(found))


def pdf(report: Report) -> bytes:
    """The report as a PDF: the same template and SVG charts as the page, laid out for A4 paper."""
    from weasyprint import CSS, HTML  # imported here: loading pango takes a moment and most requests never need it

    html = render_to_string("reports/executive_pdf.html", context(report))
    document = HTML(string=html, base_url=settings.BASE_URL)
    result: bytes = document.write_pdf(stylesheets=[CSS(filename=str(stylesheet()))])
    return result


def filename(report: Report) -> str:
    """e.g. ``harken-report-north-q3-2026.pdf``."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{report.scope_name} {report.period.label}".lower()).strip("-")
    return f"harken-report-{slug[:80]}.pdf"


def subject(report: Report) -> str:
    head = report.headline.now
    return f"Executive report · {report.scope_name} · {report.period.label}: NPS {signed(head.nps)} (n = {head.n})"


def email(report: Report, recipients: list[str], link: str) -> EmailMultiAlternatives:
    """The scheduled email: an HTML summary (headline and story), a plain-text part, and the PDF attached."""
    data = {**context(report), "link": link}
    html = render_to_string("reports/email.html", data)
    text = render_to_string("reports/email.txt", data)
    message = EmailMultiAlternatives(
        subject=subject(report), body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=recipients
    )
    message.attach_alternative(html, "text/html")
    message.attach(filename(report), pdf(report), "application/pdf")
    return message


def plain(html: str) -> str:
    """Text of an HTML fragment with its whitespace collapsed (for checks and previews)."""
    return re.sub(r"\s+", " ", strip_tags(html)).strip()
