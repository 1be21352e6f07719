"""AmbSYS revisions: NHS England re-publishes the whole series every month, revising earlier months.
A new vintage replaces every month it covers, and `mart_revisions` lists only the values that moved.

No earlier vintage of the bundled file is bundled, so the "previous release" here is a copy of the
real file with one month's North West C1 90th centile 5 seconds higher (the trust RX7 and its
region row Y62, the region's only trust; England's centile cannot be derived from the trusts', so a
publisher's revision could move these two alone). The real file then arrives as the next vintage.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pytest

from tests.conftest import run_cli
from dagster_project.settings import SAMPLES_DIR

pytestmark = pytest.mark.slow
REAL = SAMPLES_DIR / "uec" / "ambsys" / "AmbSYS-to-Apr-2026.csv"
# NHS England's C1 90th centile for North West Ambulance Service (and the North West region), June 2025.
NORTH_WEST_C1_P90 = 739


def previous_release(dest):
    """The real file with A26 of RX7 and Y62 in June 2025 raised by 5; every other byte unchanged."""
    text = REAL.read_bytes().decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    column = rows[0].index("A26")
    touched = 0
    for row in rows[1:]:
        if row[:2] == ["2025", "6"] and row[3] in ("RX7", "Y62"):
            assert int(row[column]) == NORTH_WEST_C1_P90
            row[column] = str(NORTH_WEST_C1_P90 + 5)
            touched += 1
    assert touched == 2
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    dest.write_bytes(out.getvalue().encode())
    return dest


def query(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_republished_series_with_one_changed_month_shows_that_month_in_mart_revisions(tmp_path):
    home = tmp_path / "home"
    earlier = previous_release(tmp_path / "AmbSYS-to-Mar-2026.csv")
    run_cli("ingest", str(earlier), home=home, check=True)
    run_cli("build", "--no-samples", home=home, check=True)
    serving = home / "serving" / "marts.duckdb"
    north_west_june_2025 = "from mart_ambulance_region_month where region_code = 'Y62' and month_start = date '2025-06-01'"
    assert query(serving, f"select c1_p90_seconds {north_west_june_2025}") == [(NORTH_WEST_C1_P90 + 5,)]
    assert query(serving, "select count(*) from mart_revisions where source_key = 'uec_ambsys_monthly'") == [(0,)]

    run_cli("ingest", str(REAL), home=home, check=True)
    run_cli("build", "--no-samples", home=home, check=True)

    # The marts use the latest vintage.
    assert query(serving, f"select c1_p90_seconds {north_west_june_2025}") == [(NORTH_WEST_C1_P90,)]
    # All 105 months were replaced, but only June 2025's two values moved.
    assert query(
        serving,
        "select cast(period as varchar), vintage_number, previous_file_name, revised_file_name, row_key, measure, "
        "previous_value, revised_value, change, change_type from mart_revisions where source_key = 'uec_ambsys_monthly' order by row_key",
    ) == [
        (
            "2025-06-01",
            2,
            earlier.name,
            REAL.name,
            code,
            "a26",
            NORTH_WEST_C1_P90 + 5.0,
            float(NORTH_WEST_C1_P90),
            -5.0,
            "value changed",
        )
        for code in ("RX7", "Y62")
    ]
    # Both vintages of every month are kept.
    warehouse = home / "warehouse.duckdb"
    assert query(
        warehouse,
        "select count(distinct period), count(*) filter (where is_current), count(*) filter (where not is_current) "
        "from meta.partition_loads where source_key = 'uec_ambsys_monthly'",
    ) == [(105, 105, 105)]
    assert query(
        warehouse, "select a26 from raw_history.uec_ambsys_monthly where org_code = 'RX7' and _period = '2025-06-01'"
    ) == [(NORTH_WEST_C1_P90 + 5,)]
