"""The NHS trust type reference (dbt/seeds/reference/nhs_trust_types.csv), derived from bundled real files.

Only what a file says classifies a trust, never its name:
- acute: the trust reported type 1 A&E attendances (a consultant-led 24-hour major emergency
  department) in an A&E monthly file (data/samples/uec/*.csv); named from the newest such month.
- ambulance: the trust has rows of its own in NHS England's AmbSYS time series
  (data/samples/uec/ambsys/), which lists every ambulance service; the Isle of Wight NHS Trust
  is there too (it runs the island's ambulance service) but runs a type 1 A&E, so it stays acute.
- unclassified: an NHS trust (a 3-character ODS code starting R or T, the ODS coding of NHS
  trusts) that the System Mapping or an OAPs file names but no file above classifies. The OAPs
  files list sending providers, which include acute and community trusts as well as mental-health
  ones, so they name trusts without saying their type.

`python -m tests.support.trust_types` writes the seed; tests/unit/test_nhs_trust_types_seed.py
holds the seed to this derivation.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT, SAMPLES_DIR

SEED = PROJECT_ROOT / "dbt" / "seeds" / "reference" / "nhs_trust_types.csv"
SYSTEM_MAPPING = PROJECT_ROOT / "dbt" / "seeds" / "reference" / "nhse_system_mapping.csv"
AE_FILES = sorted((SAMPLES_DIR / "uec").glob("*.csv"))
AMBSYS_FILES = sorted((SAMPLES_DIR / "uec" / "ambsys").glob("*.csv"))
OAPS_FILES = sorted((SAMPLES_DIR / "mental_health" / "oaps").glob("*.csv"))
COLUMNS = ("org_code", "org_name", "trust_type", "classified_from", "basis")


def _relative(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT).as_posix()


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(handle)]


def _is_nhs_trust_code(code: str) -> bool:
    return len(code) == 3 and code[0] in "RT"


def _ae_month(period: str) -> dt.date:
    """`MSitAE-SEPTEMBER-2023` -> 2023-09-01."""
    _, month, year = period.rsplit("-", 2)
    return dt.datetime.strptime(f"{month.title()} {year}", "%B %Y").date()


def acute_trusts() -> dict[str, dict[str, str]]:
    newest: dict[str, tuple[dt.date, str, Path]] = {}
    months: dict[str, int] = {}
    for path in AE_FILES:
        for row in _rows(path):
            code, type1 = row["Org Code"].upper(), row["A&E attendances Type 1"]
            if code == "TOTAL" or not type1 or float(type1) <= 0:
                continue
            month = _ae_month(row["Period"])
            months[code] = months.get(code, 0) + 1
            if code not in newest or month > newest[code][0]:
                newest[code] = (month, row["Org name"], path)
    return {
        code: {
            "org_code": code,
            "org_name": name,
            "trust_type": "acute",
            "classified_from": _relative(path),
            "basis": f"type 1 A&E attendances in {months[code]} of {len(AE_FILES)} bundled months, newest {month:%B %Y}",
        }
        for code, (month, name, path) in newest.items()
    }


def ambulance_trusts(acute: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    trusts: dict[str, dict[str, str]] = {}
    for path in AMBSYS_FILES:
        for row in _rows(path):
            code = row["Org Code"].upper()
            if not _is_nhs_trust_code(code):  # England (Eng) and the regions (Y56-Y63)
                continue
            if code in acute:
                also = f"; also an organisation of its own in AmbSYS ({path.name}: it runs an ambulance service), kept acute"
                if also not in acute[code]["basis"]:
                    acute[code]["basis"] += also
                continue
            trusts[code] = {
                "org_code": code,
                "org_name": row["Org Name"],  # the file is in date order: the newest name wins
                "trust_type": "ambulance",
                "classified_from": _relative(path),
                "basis": "an organisation of its own in AmbSYS, NHS England's ambulance system indicators",
            }
    return trusts


def named_trusts() -> list[tuple[str, str, Path, str]]:
    """(code, name, file, why listed) for every NHS trust the System Mapping and the OAPs files name."""
    named = [
        (row["Code"].upper(), row["Name"], SYSTEM_MAPPING, "listed in NHS England's A&E System Mapping")
        for row in _rows(SYSTEM_MAPPING)
    ]
    # February 2017 first: it names the providers; the 2016 files give codes only.
    for path in sorted(OAPS_FILES, key=lambda p: "feb" not in p.name):
        for row in _rows(path):
            if row["Breakdown1"] == "SendingProvider":
                named.append(
                    (row["Breakdown1Code"].upper(), row.get("Breakdown1Description", ""), path, "an OAPs sending provider")
                )
    return [n for n in named if _is_nhs_trust_code(n[0])]


def derive() -> list[dict[str, str]]:
    acute = acute_trusts()
    classified = acute | ambulance_trusts(acute)
    for code, name, path, why in named_trusts():
        if code in classified:
            continue
        classified[code] = {
            "org_code": code,
            "org_name": name,
            "trust_type": "unclassified",
            "classified_from": _relative(path),
            "basis": f"{why}; no bundled file classifies its type",
        }
    return sorted(classified.values(), key=lambda r: r["org_code"])


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


if __name__ == "__main__":
    SEED.write_text(as_csv(derive()))
    print(f"wrote {SEED}")
