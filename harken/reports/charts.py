"""Charts as server-side SVG, so that the PDF (no JavaScript) and the HTML page draw the same pictures.

Pure functions from numbers to SVG text: no database, no templates.  Every label is escaped; the caller may
mark the result safe.  NPS values are in points (−100…100); ``None`` means "no answers" and is left out of
the drawing rather than drawn as 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from harken.analytics.templatetags.nps import nps as signed

FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
INK, MUTED, GRID = "#1b1f24", "#57606a", "#d0d7de"
LINE, BAND = "#0a58ca", "#9ec5fe"
POSITIVE, NEGATIVE, SMALL = "#2da44e", "#e5534b", "#afb8c1"


@dataclass(frozen=True)
class Point:
    """One period of a trend: its label, NPS, interval bounds and n (None values: no answers)."""

    label: str
    nps: float | None
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: a label, the value, optional interval bounds, n, and whether to grey it out."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None
    muted: bool = False


def nice_range(values: list[float], pad: float = 10.0, step: float = 20.0) -> tuple[float, float]:
    """The y range that holds ``values`` with some room, on multiples of ``step``, within −100…100.

    Always includes 0 so that the sign of NPS is visible; an empty list gives −100…100.
    """
    if not values:
        return -100.0, 100.0
    low = max(-100.0, math.floor((min(*values, 0.0) - pad) / step) * step)
    high = min(100.0, math.ceil((max(*values, 0.0) + pad) / step) * step)
    return low, high


def _scale(value: float, domain: tuple[float, float], pixels: tuple[float, float]) -> float:
    (d0, d1), (p0, p1) = domain, pixels
    return p0 + (value - d0) / (d1 - d0) * (p1 - p0)


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "start", fill: str = MUTED) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT}>'
        f"{escape(text)}</text>"
    )


def trend_svg(points: list[Point], title: str, width: int = 640, height: int = 240) -> str:
    """A line of NPS per period with its interval as a shaded band; gaps where a period has no answers."""
    left, right, top, bottom = 44.0, 12.0, 14.0, 40.0
    shown = [p for p in points if p.nps is not None]
    values = [v for p in shown for v in (p.nps, p.low, p.high) if v is not None]
    domain = nice_range(values)
    plot_x = (left, width - right)
    plot_y = (height - bottom, top)
    slots = max(len(points), 1)

    def x_of(index: int) -> float:
        return plot_x[0] + (index + 0.5) * (plot_x[1] - plot_x[0]) / slots

    parts = [_svg_open(width, height, title)]
    tick = domain[0]
    while tick <= domain[1] + 1e-9:
        y = _scale(tick, domain, plot_y)
        colour = MUTED if tick == 0 else GRID
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}"/>')
        parts.append(_text(left - 6, y + 4, signed(tick).replace(".0", ""), anchor="end"))
        tick += 20
    for run in _runs(points):
        band = [(x_of(i), _scale(points[i].high or 0, domain, plot_y)) for i in run]
        band += [(x_of(i), _scale(points[i].low or 0, domain, plot_y)) for i in reversed(run)]
        if len(run) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in band)
            parts.append(f'<polygon points="{coords}" fill="{BAND}" fill-opacity="0.55" stroke="none"/>')
        line = " ".join(f"{x_of(i):.1f},{_scale(points[i].nps or 0, domain, plot_y):.1f}" for i in run)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    for i, point in enumerate(points):
        if point.nps is not None:
            x, y = x_of(i), _scale(point.nps, domain, plot_y)
            if point.low is not None and point.high is not None:
                y0, y1 = _scale(point.low, domain, plot_y), _scale(point.high, domain, plot_y)
                parts.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{LINE}" '
                    'stroke-opacity="0.5"/>'
                )
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}"><title>'
                f"{escape(point.label)}: {signed(point.nps)}, n = {point.n}</title></circle>"
            )
    every = max(1, math.ceil(len(points) / 8))
    for i, point in enumerate(points):
        if (len(points) - 1 - i) % every == 0:  # counted from the end, so the latest period is always labelled
            parts.append(_text(x_of(i), height - bottom + 16, point.label, size=10, anchor="middle"))
            parts.append(_text(x_of(i), height - bottom + 29, f"n {point.n}", size=9, anchor="middle"))
    parts.append("</svg>")
    return "".join(parts)


def _runs(points: list[Point]) -> list[list[int]]:
    """Indexes of consecutive points that have an NPS (a gap splits the line and the band)."""
    runs: list[list[int]] = [[]]
    for i, point in enumerate(points):
        if point.nps is None or point.low is None or point.high is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(i)
    return [run for run in runs if run]


def bars_svg(
    bars: list[Bar], title: str, domain: tuple[float, float] | None = None, width: int = 640, row: int = 26
) -> str:
    """Horizontal bars from 0 with interval whiskers; labels on the left, the value and n on the right."""
    label_width, value_width = 170.0, 110.0
    top, bottom = 8.0, 22.0
    height = int(top + bottom + row * max(len(bars), 1))
    values = [v for b in bars for v in (b.value, b.low, b.high) if v is not None]
    domain = domain or nice_range(values)
    plot_x = (label_width, width - value_width)
    parts = [_svg_open(width, height, title)]
    zero = _scale(0, domain, plot_x)
    for tick in (domain[0], 0.0, domain[1]):
        x = _scale(tick, domain, plot_x)
        parts.append(_text(x, height - 6, signed(tick).replace(".0", ""), size=10, anchor="middle"))
    parts.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{height - bottom + 4}" stroke="{MUTED}"/>')
    for i, bar in enumerate(bars):
        y = top + i * row
        middle = y + row / 2
        parts.append(_text(label_width - 8, middle + 4, _shorten(bar.label, 26), size=11, anchor="end", fill=INK))
        if bar.value is not None:
            x = _scale(bar.value, domain, plot_x)
            colour = SMALL if bar.muted else (POSITIVE if bar.value >= 0 else NEGATIVE)
            parts.append(
                f'<rect x="{min(x, zero):.1f}" y="{y + 5:.1f}" width="{max(abs(x - zero), 1):.1f}" '
                f'height="{row - 10}" fill="{colour}" rx="2"/>'
            )
            if bar.low is not None and bar.high is not None:
                x0, x1 = _scale(bar.low, domain, plot_x), _scale(bar.high, domain, plot_x)
                parts.append(
                    f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{middle:.1f}" y2="{middle:.1f}" stroke="{INK}"/>'
                    f'<line x1="{x0:.1f}" x2="{x0:.1f}" y1="{middle - 4:.1f}" y2="{middle + 4:.1f}" stroke="{INK}"/>'
                    f'<line x1="{x1:.1f}" x2="{x1:.1f}" y1="{middle - 4:.1f}" y2="{middle + 4:.1f}" stroke="{INK}"/>'
                )
        text = signed(bar.value) + (f"  n {bar.n}" if bar.n is not None else "")
        parts.append(_text(width - value_width + 8, middle + 4, text, size=11, fill=INK))
    parts.append("</svg>")
    return "".join(parts)


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    )
