"""Revisions: every vintage kept, the marts on the latest, `mart_revisions` showing what moved.

No earlier vintage of a bundled month is bundled (the A&E samples are mostly NHS England's revised
vintages), so the "first release" of June 2023 here is a copy of the real file with one trust's type 1
attendances 100 higher and the England total row with it, as a publisher's revision would differ.
The real (revised) file then arrives as the later vintage.
"""

from __future__ import annotations

import duckdb
import pytest
from tests.conftest import run_cli, uec_sample
from tests.support.vintages import edited_vintage

pytestmark = pytest.mark.slow

# NHS England's revised June 2023 file: R1K (London North West University Healthcare) type 1
# attendances, and England's type 1 + type 2 + other attendances.
R1K_TYPE_1 = 12613
ENGLAND_ATTENDANCES = 1361908 + 45718 + 748929


def query(db, sql):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_revised_month_replaces_the_first_vintage_and_mart_revisions_shows_the_change(tmp_path):
    home = tmp_path / "home"
    real = uec_sample("June-2023")
    first_release = edited_vintage(
        real, tmp_path / "Monthly-AE-June-2023.csv", org_code="R1K", column="A&E attendances Type 1", delta=100
    )
    run_cli("ingest", str(first_release), home=home, check=True)
    run_cli("build", "--no-samples", home=home)
    serving = home / "serving" / "marts.duckdb"
    assert query(serving, "select ae_attendances from mart_uec_region_month where is_england") == [(ENGLAND_ATTENDANCES + 100,)]
    assert query(serving, "select count(*) from mart_revisions") == [(0,)]

    run_cli("ingest", str(real), home=home, check=True)
    run_cli("build", "--no-samples", home=home)

    # The marts use the latest vintage.
    assert query(serving, "select ae_attendances from mart_uec_region_month where is_england") == [(ENGLAND_ATTENDANCES,)]
    # Exactly one value moved, by -100, from the first release to the revision.
    assert query(
        serving,
        "select source_key, cast(period as varchar), vintage_number, previous_file_name, revised_file_name, row_key, "
        "measure, previous_value, revised_value, change, change_type from mart_revisions",
    ) == [
        (
            "uec_ae_monthly",
            "2023-06-01",
            2,
            "Monthly-AE-June-2023.csv",
            real.name,
            "R1K",
            "ae_attendances_type_1",
            R1K_TYPE_1 + 100.0,
            float(R1K_TYPE_1),
            -100.0,
            "value changed",
        )
    ]
    # Both vintages are kept: the first one's rows in raw_history, its load in meta.partition_loads.
    warehouse = home / "warehouse.duckdb"
    assert query(
        warehouse, "select file_name, is_current from meta.partition_loads where period = '2023-06-01' order by loaded_at"
    ) == [("Monthly-AE-June-2023.csv", False), (real.name, True)]
    assert query(warehouse, "select ae_attendances_type_1 from raw_history.uec_ae_monthly where org_code = 'R1K'") == [
        (R1K_TYPE_1 + 100,)
    ]
