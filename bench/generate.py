"""Synthetic extracts in the publishers' real layouts, at multiples of the real volume.

    .venv/bin/python -m bench.generate DEST --scale 10 [--new-month]

A&E (NHS England's monthly provider CSV, `uec_ae_monthly`): at 1x the 51 real files, unchanged. At
10x and 100x, every month from April 2020 to September 2026 (77 months; June 2023 is left out, since
that is the month whose published figures the dbt tests reproduce, which synthetic rows cannot), each
with 10x or 100x the real number of providers spread over those months: the real providers of the
same calendar month, then copies of them with new ODS-shaped codes (`Z0001A`), each copy's row scaled
by its own factor between 0.8 and 1.2 (so over-4-hour counts stay within attendances). The England
total row is the sum of the provider rows, so every month reconciles. Months before August 2020 have
the 16-column layout of that time, later ones 22 columns, as the publisher's files do.

Doctors by specialty and grade (NHS Workforce Statistics Core 3, `nhs_doctors_by_specialty`), the
workforce table: the real layout and the 71 specialty/grade rows of the bundled one-trust excerpt,
repeated for 220 organisations (about the number of NHS trusts) over 12 months at 1x (187 thousand
rows); 10x is ten years of months (1.87 million), 100x ten years at ten times the organisations
(18.7 million rows).

`--new-month` writes only the month after the generated history (October 2026), for measuring the
cost of one more month. Everything is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import io
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import SAMPLES_DIR

UEC_REAL = sorted((SAMPLES_DIR / "uec").glob("*.csv"))
CORE3_TEMPLATE = SAMPLES_DIR / "workforce" / "workforce_statistics_excerpt" / "Workforce-Core3-RX1.excerpt.csv"
REAL_UEC_PROVIDER_ROWS = 10_562  # the 51 bundled months
FIRST_MONTH = dt.date(2020, 4, 1)
LAST_HISTORY_MONTH = dt.date(2026, 9, 1)
NEW_MONTH = dt.date(2026, 10, 1)
FIGURES_MONTH = dt.date(2023, 6, 1)  # published-figure tests reproduce this month from the real file
CORE3_ORGANISATIONS = 220
CORE3_MONTHS = {1: 12, 10: 120, 100: 120}
CORE3_ORGS_FACTOR = {1: 1, 10: 1, 100: 10}


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def ods_code(n: int) -> str:
    """A synthetic organisation code shaped like an ODS code: Z + five base-36 characters."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    for _ in range(5):
        n, r = divmod(n, 36)
        out = digits[r] + out
    return "Z" + out


def _read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _write_csv(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


# ---------------------------------------------------------------------------------------------
# A&E


@dataclass(frozen=True)
class UecTemplate:
    header: list[str]
    providers: list[list[str]]  # real provider rows of one month
    counts_from: int  # first count column


def _uec_templates() -> dict[tuple[int, int], UecTemplate]:
    """Real months by (month number, layout width): the rows a synthetic month is made from."""
    templates: dict[tuple[int, int], UecTemplate] = {}
    for path in UEC_REAL:
        rows = _read_csv(path)
        header, body = rows[0], rows[1:]
        providers = [r for r in body if r[1].strip().casefold() != "total"]
        month = _period_month(providers[0][0])
        templates.setdefault((month, len(header)), UecTemplate(header, providers, 4))
    return templates


def _period_month(label: str) -> int:
    name = label.split("-")[1].casefold()
    return [m.casefold() for m in calendar.month_name].index(name)


def uec_month(month: dt.date, width: int, templates: dict, dest: Path) -> Path:
    """One synthetic month of `width` provider rows plus its England total row."""
    layout = 16 if month < dt.date(2020, 8, 1) else 22
    template = templates.get((month.month, layout)) or next(t for (m, w), t in templates.items() if w == layout)
    label = f"MSitAE-{calendar.month_name[month.month].upper()}-{month.year}"
    rng = random.Random(f"uec {month}")
    rows, totals = [], [0] * (len(template.header) - template.counts_from)
    for n in range(width):
        real = template.providers[n % len(template.providers)]
        copy = n // len(template.providers)
        factor = 1.0 if copy == 0 else rng.uniform(0.8, 1.2)
        counts = [round(int(v) * factor) for v in real[template.counts_from :]]
        code = real[1] if copy == 0 else ods_code(n)
        name = real[3] if copy == 0 else f"{real[3]} (SYNTHETIC {copy})"
        rows.append([label, code, real[2], name, *map(str, counts)])
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
    rows.append(["TOTAL"] * 4 + [str(t) for t in totals])
    name = f"Monthly-AE-{calendar.month_name[month.month]}-{month.year}-synthetic-{width}.csv"
    return _write_csv(dest / name, [template.header, *rows])


def uec_width(scale: int) -> int:
    history = [m for m in months(FIRST_MONTH, LAST_HISTORY_MONTH) if m != FIGURES_MONTH]
    return round(REAL_UEC_PROVIDER_ROWS * scale / len(history))


def generate_uec(dest: Path, scale: int, *, new_month: bool = False) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    if scale == 1 and not new_month:
        return [Path(shutil.copy2(p, dest / p.name)) for p in UEC_REAL]
    templates = _uec_templates()
    if new_month:
        # At 1x the history is the real 51 months (to June 2024); its next month has the real width.
        month, width = (dt.date(2024, 7, 1), 207) if scale == 1 else (NEW_MONTH, uec_width(scale))
        return [uec_month(month, width, templates, dest)]
    width = uec_width(scale)
    return [uec_month(m, width, templates, dest) for m in months(FIRST_MONTH, LAST_HISTORY_MONTH) if m != FIGURES_MONTH]


# ---------------------------------------------------------------------------------------------
# Workforce: doctors by specialty and grade (Core 3)


def core3_month(month: dt.date, organisations: int, dest: Path) -> Path:
    rows = _read_csv(CORE3_TEMPLATE)
    header, template = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    month_end = dt.date(month.year, month.month, calendar.monthrange(month.year, month.month)[1]).isoformat()
    rng = random.Random(f"core3 {month}")
    path = dest / f"Workforce-Core3-{month:%Y-%m}-synthetic-{organisations}.csv"
    dest.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for org in range(organisations):
            code = "RX1" if org == 0 else ods_code(org)
            name = "Nottingham University Hospitals NHS Trust" if org == 0 else f"Synthetic NHS Trust {org}"
            factor = rng.uniform(0.5, 1.5)
            for real in template:
                row = list(real)
                row[col["DATA_MONTH"]] = month_end
                row[col["ORG_CODE"]], row[col["ORG_NAME"]] = code, name
                headcount = round(int(real[col["HEADCOUNT"]]) * factor)
                fte = min(float(real[col["FTE"]]) * factor, headcount)
                row[col["HEADCOUNT"]], row[col["FTE"]] = str(headcount), f"{fte:.5f}"
                writer.writerow(row)
    return path


def core3_months(scale: int) -> list[dt.date]:
    return months(_months_back(LAST_HISTORY_MONTH, CORE3_MONTHS[scale] - 1), LAST_HISTORY_MONTH)


def _months_back(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def generate_core3(dest: Path, scale: int, *, new_month: bool = False) -> list[Path]:
    organisations = CORE3_ORGANISATIONS * CORE3_ORGS_FACTOR[scale]
    chosen = [NEW_MONTH] if new_month else core3_months(scale)
    return [core3_month(m, organisations, dest) for m in chosen]


def core3_rows(scale: int) -> int:
    return CORE3_ORGANISATIONS * CORE3_ORGS_FACTOR[scale] * (len(_read_csv(CORE3_TEMPLATE)) - 1) * CORE3_MONTHS[scale]


def generate(dest: Path, scale: int, *, new_month: bool = False, workforce: bool = True) -> list[Path]:
    files = generate_uec(dest / "uec", scale, new_month=new_month)
    if workforce:
        files += generate_core3(dest / "workforce", scale, new_month=new_month)
    return files


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--scale", type=int, choices=[1, 10, 100], default=10)
    parser.add_argument("--new-month", action="store_true")
    parser.add_argument("--no-workforce", action="store_true")
    args = parser.parse_args()
    files = generate(args.dest, args.scale, new_month=args.new_month, workforce=not args.no_workforce)
    print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:,.1f} MB in {args.dest}")


if __name__ == "__main__":
    _cli()
