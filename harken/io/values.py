"""Pure parsing of single cells: scores, timestamps, header texts.  No database, no Django settings."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import zoneinfo
from dataclasses import dataclass

SCORE_LABEL = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:[-–—:=]\s*\S.*)?$")
UNKNOWN_SCORE = -1  # a sentinel some tools (django-nps) use for "no answer"
TAG = re.compile(r"<[^>]+>")
SPACES = re.compile(r"\s+")


class CellError(ValueError):
    """A cell that cannot be read, with a message for the user."""


def clean_header(text: str) -> str:
    """A header as people read it: tags stripped (Typeform), entities decoded, spaces (also NBSP) collapsed."""
    return SPACES.sub(" ", html.unescape(TAG.sub("", text))).strip()


def clean_text(text: str) -> str:
    """A cell value with non-breaking spaces made plain and the ends trimmed."""
    return text.replace("\xa0", " ").strip()


def parse_score(text: str, offset: int = 0) -> int | None:
    """A 0–10 score from "9", "9.0", "10 - Extremely likely" or "0 – Not at all likely"; None when blank.

    ``-1`` (an "unknown" sentinel) is None too.  Anything else — 6.5, 11, "great" — is a ``CellError``:
    an import must never round a score into a bucket.  With ``offset=1`` the file's scale is 1–11 (see
    ``detect_scale``) and 1 … 11 are read as 0 … 10.
    """
    text = clean_text(text)
    if not text:
        return None
    low, high = offset, 10 + offset
    match = SCORE_LABEL.match(text)
    if not match:
        raise CellError(f"{text!r} is not a score from {low} to {high}")
    value = float(match.group(1).replace(",", "."))
    if value == UNKNOWN_SCORE:
        return None
    if not value.is_integer() or not low <= value <= high:
        raise CellError(f"{text!r} is not a whole number from {low} to {high}")
    return int(value) - offset


@dataclass(frozen=True)
class Scale:
    """The scale of a file's score column: ``offset`` 0 for 0–10, 1 for 1–11; ``reason`` says how we know."""

    offset: int
    reason: str = ""


_RANGE_1_11 = re.compile(r"(?<!\d)1\s*(?:-|–|—|to|a|bis|à)\s*11(?!\d)", re.IGNORECASE)
_LABELLED = re.compile(r"^\s*(\d+)\s*[-–—:=]\s*\S")


def detect_scale(cells: list[str], labels: list[str]) -> Scale:
    """0–10 or 1–11, from the score column's header texts and values (pure).

    Some tools code an 11-point "how likely" question 1–11 (Qualtrics' default codes for a multiple-choice
    question; some SurveyMonkey and survey-panel exports).  It is 1–11 when a header says "1-11"; when the
    end points carry labels ("1 - Not at all likely" … "11 - Extremely likely") and none is on 0; or when
    all values are whole numbers from 1 to 11 and 11 is common (at least 5 answers and 5 %).  Anything else
    stays 0–10, where an 11 is a bad score.
    """
    for label in labels:
        if _RANGE_1_11.search(clean_header(label)):
            return Scale(1, f"the header says {clean_header(label)!r}")
    numbers: list[float] = []
    labelled: set[int] = set()
    for cell in cells:
        text = clean_text(cell)
        match = SCORE_LABEL.match(text)
        if not match:
            continue
        numbers.append(float(match.group(1).replace(",", ".")))
        named = _LABELLED.match(text)
        if named:
            labelled.add(int(named.group(1)))
    if 0 not in numbers and (11 in labelled or (1 in labelled and 0 not in labelled and 10 not in labelled)):
        ends = " and ".join(str(n) for n in sorted(labelled & {1, 11}))
        return Scale(1, f"the labelled answers are {ends}, not 0 and 10")
    # From values alone only when 11 is common (the top answer usually is): a 0–10 file without any 0 and
    # with a stray 11 must keep its scores and report the 11 as a mistake.
    answered = [n for n in numbers if n != UNKNOWN_SCORE]
    elevens = answered.count(11)
    if answered and set(answered) <= set(map(float, range(1, 12))) and elevens >= max(5, 0.05 * len(answered)):
        return Scale(1, f"the scores run from 1 to 11 ({elevens} are 11) and none is 0")
    return Scale(0)


def category_of(text: str) -> str | None:
    """The category named by a group cell: Qualtrics codes 1–3, English and Spanish labels; None if unknown."""
    value = clean_text(text).lower()
    codes = {"1": "detractor", "2": "passive", "3": "promoter"}
    words = {
        "detractor": "detractor",
        "passive": "passive",
        "neutral": "passive",
        "promoter": "promoter",
        "detractors": "detractor",
        "passives": "passive",
        "promoters": "promoter",
        "detractor(es)": "detractor",
        "pasivo": "passive",
        "promotor": "promoter",
        "neutro": "passive",
    }
    return codes.get(value) or words.get(value)


# --- Timestamps -----------------------------------------------------------------------------------------------

_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%a %b %d %Y",  # old Formbricks: Date.toDateString()
    "%a %b %d %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y",
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y",
]
_SLASHED = re.compile(
    r"^(\d{1,2})[/.](\d{1,2})[/.](\d{2}|\d{4})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_GMT_OFFSET = re.compile(r"\s*(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?$")
EPOCH_MIN, EPOCH_MAX = 631152000, 4102444800  # 1990 … 2100, in seconds


@dataclass(frozen=True)
class DateStyle:
    """How to read ambiguous day/month dates such as 5/10/2026 (a file-wide choice)."""

    day_first: bool = False


def guess_date_style(samples: list[str]) -> DateStyle:
    """Day first if any slashed date has a first part over 12 (e.g. 25/12/2026), else month first (US)."""
    for text in samples:
        match = _SLASHED.match(clean_text(text))
        if match and int(match.group(1)) > 12:
            return DateStyle(day_first=True)
    return DateStyle(day_first=False)


def parse_timestamp(text: str, zone: zoneinfo.ZoneInfo, style: DateStyle = DateStyle()) -> dt.datetime | None:
    """An aware datetime from the forms survey tools export; None when blank.

    Accepts ISO 8601 (with or without offset), Unix epoch seconds or milliseconds (Delighted, Wootric),
    slashed dates with 2- or 4-digit years and 12- or 24-hour times (Google Forms, SurveyMonkey), a
    trailing "GMT+3", and date-only forms.  Times without an offset are in ``zone``.
    """
    text = clean_text(text)
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    offset = None
    gmt = _GMT_OFFSET.search(text)
    if gmt:
        minutes = int(gmt.group(2)) * 60 + int(gmt.group(3) or 0)
        offset = dt.timezone(dt.timedelta(minutes=minutes if gmt.group(1) == "+" else -minutes))
        text = text[: gmt.start()]
    moment = _parse_naive_or_aware(text, style)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=offset or zone)
    return moment


def _from_epoch(value: float) -> dt.datetime:
    if value > EPOCH_MAX * 10:
        value /= 1000  # milliseconds
    if not EPOCH_MIN <= value <= EPOCH_MAX:
        raise CellError(f"{value:.0f} is not a plausible Unix time")
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def _parse_naive_or_aware(text: str, style: DateStyle) -> dt.datetime:
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        pass
    match = _SLASHED.match(text)
    if match:
        return _slashed(match, style, text)
    for fmt in _FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise CellError(f"{text!r} is not a date and time this importer knows")


def _slashed(match: re.Match[str], style: DateStyle, text: str) -> dt.datetime:
    first, second, year_text, hour, minute, second_text, meridiem = match.groups()
    day, month = (int(first), int(second)) if style.day_first else (int(second), int(first))
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    hours = int(hour or 0)
    if meridiem:
        if not 1 <= hours <= 12:
            raise CellError(f"{text!r} has an impossible hour")
        hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
    try:
        return dt.datetime(year, month, day, hours, int(minute or 0), int(second_text or 0))
    except ValueError:
        order = "day/month" if style.day_first else "month/day"
        raise CellError(f"{text!r} is not a valid date (read as {order}/year)") from None


def is_number(text: str) -> bool:
    """Whether a cell holds a finite number."""
    try:
        return math.isfinite(float(clean_text(text)))
    except ValueError:
        return False
