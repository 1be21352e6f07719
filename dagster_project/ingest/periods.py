"""Turn the ways publishers write a period into partition keys: month starts and financial years.

Partition keys are `2023-06-01` for months and `2021-22` for financial years (April to March), as
`assets/partitions.py` declares them. These helpers are the `period_from_value` of many specs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9


def financial_year(value: str) -> str:
    """`2021-22`, `2021/22`, `2021-2022`, `2021/2022` or `FY2021-22` -> `2021-22`."""
    text = str(value).strip().casefold().removeprefix("fy").strip()
    match = re.fullmatch(r"(\d{4})\s*[-/–]\s*(\d{2}|\d{4})", text)
    if not match:
        raise ValueError("expected a financial year like 2021-22")
    start, end = int(match.group(1)), match.group(2)
    if int(end[-2:]) != (start + 1) % 100 or (len(end) == 4 and int(end) != start + 1):
        raise ValueError(f"{value!r} is not two consecutive years")
    return f"{start}-{str(start + 1)[-2:]}"


def find_financial_year(text: str) -> str | None:
    """The first financial year written anywhere in a title, e.g. `... England, 2021-22` -> `2021-22`."""
    for match in re.finditer(r"(?<!\d)(\d{4})\s*[-/–]\s*(\d{2}|\d{4})(?!\d)", str(text)):
        try:
            return financial_year(match.group(0))
        except ValueError:
            continue
    return None


def month_start(value: str) -> str:
    """A date or month written as `30/04/2024`, `2024-04-30`, `2024-04`, `2017-SEP`, `SEP-2017`,
    `September 2017` or `30 September 2016` -> the month's first day, `2024-04-01`."""
    text = str(value).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            day = dt.datetime.strptime(text, fmt).date()
            return day.replace(day=1).isoformat()
        except ValueError:
            continue
    folded = text.casefold()
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", folded):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := re.fullmatch(r"(\d{4})[-_ ]([a-z]+)", folded):
        year, month = int(match.group(1)), _MONTHS.get(match.group(2), 0)
    elif match := re.fullmatch(r"(?:\d{1,2}(?:st|nd|rd|th)?\s+)?([a-z]+)[-_ ,]+(\d{4})", folded):
        year, month = int(match.group(2)), _MONTHS.get(match.group(1), 0)
    else:
        raise ValueError("expected a month like 30/04/2024, 2024-04, 2017-SEP or September 2017")
    if not 1 <= month <= 12:
        raise ValueError(f"{value!r} does not name a month")
    return dt.date(year, month, 1).isoformat()


def find_month(text: str) -> str | None:
    """The first `as at 30 September 2016`-style date or month in a title -> `2016-09-01`."""
    for match in re.finditer(r"(?:\d{1,2}(?:st|nd|rd|th)?\s+)?([A-Za-z]+)\s+(\d{4})", str(text)):
        try:
            return month_start(match.group(0))
        except ValueError:
            continue
    return None


def quarter_end_month(value: str) -> str:
    """A financial quarter (`2022-23 Q1`, `Q1 2022/23`) or a quarter-end date (`30/06/2022`) ->
    the first day of the quarter's last month (`2022-06-01`): snapshots taken "as at" quarter end."""
    text = str(value).strip()
    folded = text.casefold()
    year = r"(?P<year>\d{4}\s*[-/–]\s*\d{2,4})"
    match = re.fullmatch(year + r"\s*q(?P<q>[1-4])", folded) or re.fullmatch(r"q(?P<q>[1-4])\s*" + year, folded)
    if match:
        start = int(financial_year(match.group("year"))[:4])
        months_after_april = 3 * int(match.group("q")) - 1  # Q1 ends in June, two months after April
        return dt.date(start + (3 + months_after_april) // 12, (3 + months_after_april) % 12 + 1, 1).isoformat()
    month = month_start(text)
    if int(month[5:7]) not in (3, 6, 9, 12):
        raise ValueError(f"{value!r} is not the end of a quarter")
    return month
