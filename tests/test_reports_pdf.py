"""The executive report as a PDF (WeasyPrint), rendered to PNG with pdftoppm to be looked at, and its charts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harken.reports import charts
from tests.conftest import ARTIFACTS, REQUIRE_ALL, Org
from tests.test_reports_executive import quarters  # noqa: F401 - the hand-built dataset fixture

POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")


def _need_poppler() -> None:
    if not POPPLER:
        message = "pdftoppm/pdftotext missing: apt-get install -y poppler-utils (.ci/run does)"
        if REQUIRE_ALL:
            pytest.fail(f"HARKEN_REQUIRE_ALL=1 but {message}", pytrace=False)
        pytest.skip(message)


def test_the_pdf_has_the_story_tables_and_charts_on_a4_pages(quarters: Org, login: Any, tmp_path: Path) -> None:  # noqa: F811
    _need_poppler()
    response = login("analyst").get("/reports/report.pdf", {"unit": quarters.acme.pk, "period": "quarter:2024-07-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="harken-report-acme-q3-2024.pdf"'
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    assert response.content.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Acme · Q3 2024" in flat
    assert "It rose by 34.4 points from +2.2 in Q2 2024, a significant rise." in flat
    assert "Faster checkout" in flat and "Waiting" in flat and "South" in flat
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("report-pdf-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "report-pdf")], check=True)
    pages = sorted(ARTIFACTS.glob("report-pdf-*.png"))
    assert 2 <= len(pages) <= 6
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info


def test_the_trend_chart_draws_a_band_a_line_and_a_gap_for_missing_months() -> None:
    points = [
        charts.Point("Jan", 10.0, 0.0, 20.0, 50),
        charts.Point("Feb", 20.0, 12.0, 28.0, 60),
        charts.Point("Mar", None, None, None, 0),
        charts.Point("Apr", -10.0, -30.0, 10.0, 20),
    ]
    svg = charts.trend_svg(points, "NPS <by> month", width=400, height=200)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200"')
    assert "NPS &lt;by&gt; month" in svg  # labels are escaped
    assert svg.count("<polygon") == 1  # Jan–Feb form a band; Apr alone has only its whisker
    assert svg.count("<polyline") == 2  # the line breaks at March
    assert svg.count("<circle") == 3
    assert "Apr: −10.0, n = 20" in svg


def test_the_range_holds_the_values_and_zero() -> None:
    assert charts.nice_range([]) == (-100.0, 100.0)
    assert charts.nice_range([12.0, 35.0]) == (-20.0, 60.0)
    assert charts.nice_range([-95.0, 99.0]) == (-100.0, 100.0)


def test_bars_run_from_zero_with_whiskers_and_grey_out_small_units() -> None:
    bars = [charts.Bar("North", 20.0, 10.0, 30.0, 60), charts.Bar("Tiny store", -10.0, -50.0, 30.0, 4, muted=True)]
    svg = charts.bars_svg(bars, "Units", domain=(-100.0, 100.0), width=500)
    # plot from x = 170 to 390: zero at 280, +20 at 302, −10 at 269.
    assert '<rect x="280.0" y="13.0" width="22.0"' in svg
    assert '<rect x="269.0" y="39.0" width="11.0" height="16" fill="#afb8c1"' in svg
    assert "+20.0  n 60" in svg and "−10.0  n 4" in svg
