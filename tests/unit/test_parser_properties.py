"""Property: any mutation of a real A&E file either raises IngestError or parses into rows whose
reconciliation with the file's own England total row is judged the same way by two independent
checks: a plain Python sum here, and the gate's own SQL (from expectations/uec_ae_monthly.json) run
by DuckDB over the partition as `stage()` writes it. So the parser never fails with another error
type, and never hands the gate rows it would mis-judge: either the rows reconcile, or the gate
quarantines the file.

More examples: HYPOTHESIS_PROFILE=parser-deep .venv/bin/pytest tests/unit/test_parser_properties.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from dagster_project.ingest.errors import IngestError
from dagster_project.ingest.landing import LandedFile
from dagster_project.ingest.load import stage
from dagster_project.sources.uec import UEC_AE_MONTHLY
from tests.conftest import uec_sample

settings.register_profile("parser-ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("parser-deep", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "parser-ci")

SPEC = UEC_AE_MONTHLY
COUNTS = [c.name for c in SPEC.columns if c.kind == "integer"]
# June 2023 (22 columns, no BOM) and July 2023 (BOM), and April 2020 (16 columns: no booked appointments).
REAL = {name: uec_sample(name).read_bytes() for name in ("June-2023", "July-2023", "April-2020")}
# Every reason code the parser gives; a new one should be added here deliberately.
KNOWN_REASONS = {
    "empty",
    "html_not_data",
    "not_csv",
    "bad_encoding",
    "malformed",
    "unrecognised",
    "missing_column",
    "duplicate_column",
    "short_row",
    "long_row",
    "bad_value",
    "no_data",
    "bad_period",
    "repeated_header",
}
INTERESTING_BYTES = [
    b",",
    b'"',
    b"\r",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xa3",
    b"\xc2\xa3",
    b"\xc3",
    b"1",
    b"-",
    b" ",
    b"x",
    b'""',
    b"TOTAL",
    b"\t",
    b";",
]
INTERESTING_CELLS = [
    "",
    " ",
    "-",
    "0",
    "00012",
    " 12 ",
    "1,234",
    "12.0",
    "12.5",
    "1e3",
    "-5",
    "+7",
    "NaN",
    "None",
    "TOTAL",
    "Total",
    "total ",
    "MSitAE-JUNE-2024",
    "MSitAE-JUNE-2023",
    "Period",
    "\ufeff1",
    "٣",
    "９",
    "=SUM(A1)",
    '"quoted"',
    "a\nb",
    "NHS ENGLAND LONDON",
]


def _reconciliation_queries() -> list[str]:
    suite = json.loads(SPEC.suite_path.read_text())
    wanted = {"exactly one publisher total row", "provider rows reconcile with the England total"}
    queries = [e["kwargs"]["unexpected_rows_query"] for e in suite["expectations"] if e.get("meta", {}).get("promise") in wanted]
    assert len(queries) == 2, "the suite's reconciliation expectations moved: update this test"
    return queries


QUERIES = _reconciliation_queries()


@st.composite
def mutations(draw) -> bytes:
    data = bytearray(REAL[draw(st.sampled_from(sorted(REAL)))])
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            break
        kind = draw(st.sampled_from(["truncate", "delete", "insert", "flip", "line", "cell"]))
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            del data[pos:]
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[pos:pos] = draw(st.one_of(st.sampled_from(INTERESTING_BYTES), st.binary(min_size=1, max_size=8)))
        elif kind == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif kind == "line":
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            op = draw(st.sampled_from(["duplicate", "delete", "swap", "move"]))
            if op == "duplicate":
                lines.insert(j, lines[i])
            elif op == "delete":
                del lines[i]
            elif op == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines.pop(i))
            data = bytearray(b"\n".join(lines))
        else:
            lines = bytes(data).split(b"\r\n")
            i = draw(st.integers(0, len(lines) - 1))
            cells = lines[i].split(b",")
            k = draw(st.integers(0, len(cells) - 1))
            cells[k] = draw(st.one_of(st.sampled_from(INTERESTING_CELLS), st.text(max_size=6))).encode("utf-8")
            lines[i] = b",".join(cells)
            data = bytearray(b"\r\n".join(lines))
    return bytes(data)


def _python_reconciles(frames: dict[str, pd.DataFrame]) -> bool:
    """One total row, and every count's provider sum equals it (both missing counts as equal)."""
    main, totals = frames[""], frames["totals"]
    if len(totals) != 1:
        return False
    for column in COUNTS:
        provider_sum = main[column].sum(min_count=1)
        total = totals[column].iloc[0]
        if pd.isna(provider_sum) and pd.isna(total):
            continue
        if pd.isna(provider_sum) or pd.isna(total) or int(provider_sum) != int(total):
            return False
    return True


def _gate_sql_flags(frames: dict[str, pd.DataFrame], period: str, work: Path) -> bool:
    landed = LandedFile(SPEC.key, "0" * 64, 0, "mutated.csv", "mutated.csv", "2026-01-01T00:00:00+00:00", (period,))
    staged = stage(SPEC, period, landed, frames, work, loaded_at=dt.datetime(2026, 1, 1))
    con = duckdb.connect(str(staged.pending_db), read_only=True)
    try:
        return any(con.execute(q.replace("{batch}", staged.pending_table(""))).fetchall() for q in QUERIES)
    finally:
        con.close()


@settings(settings.get_profile(PROFILE))
@given(mutations())
def test_a_mutated_file_raises_ingest_error_or_reconciles_as_the_gate_judges(data):
    with tempfile.TemporaryDirectory(prefix="rel-prop-") as tmp:
        path = Path(tmp) / "Monthly-AE-mutated.csv"
        path.write_bytes(data)
        try:
            parsed = SPEC.parse(path)
        except IngestError as exc:
            note(f"IngestError {exc.reason}: {exc}")
            event(f"IngestError {exc.reason}")
            assert exc.reason in KNOWN_REASONS, exc.reason
            assert path.name in str(exc), "the error names the file"
            return
        assert parsed.periods, "a parse that succeeds has at least one period"
        for period in parsed.periods:
            frames = parsed.for_period(period)
            python_says = _python_reconciles(frames)
            gate_flags = _gate_sql_flags(frames, period, Path(tmp) / "pending")
            note(f"{period}: {len(frames[''])} rows, python reconciles={python_says}, gate SQL flags={gate_flags}")
            event("parsed: rows reconcile" if python_says else "parsed: gate SQL flags it (quarantine)")
            assert python_says == (not gate_flags)


def test_the_property_sees_both_outcomes_on_plain_examples(tmp_path):
    """Anchors for the property: an untouched file reconciles; one changed count does not."""
    real = tmp_path / "June-2023.csv"
    real.write_bytes(REAL["June-2023"])
    frames = SPEC.parse(real).for_period("2023-06-01")
    assert _python_reconciles(frames) and not _gate_sql_flags(frames, "2023-06-01", tmp_path / "a")
    frames[""].loc[0, "dta_waits_over_12h"] += 1
    assert not _python_reconciles(frames) and _gate_sql_flags(frames, "2023-06-01", tmp_path / "b")
