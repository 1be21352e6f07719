"""Carers: council-level adult social care measures, from Oflog and from the Survey of Adult Carers.

Two publications, one financial year per partition:
- `ascof_council_measures`: the Office for Local Government's adult social care metrics, a long CSV
  (financial year x council x measure) that copies NHS England's ASCOF values (carer-reported
  quality of life 1D, ease of finding information 3D1/3D2, ...) and adds Oflog's own median. One
  file holds every year, so it fills several partitions.
- `sace_council_tables`: NHS England's *Personal Social Services Survey of Adult Carers in England*
  (SACE) tables by council, a workbook whose layout `sources/sace_tables.py` reads.
"""

from __future__ import annotations

from dagster_project.ingest.periods import financial_year
from dagster_project.ingest.columns import Column
from dagster_project.ingest.spec import SourceSpec
from dagster_project.sources import sace_tables

OFLOG_COLUMNS = (
    Column("financial_year", "text", ("Financial year",), description="April-March year, e.g. 2021-22"),
    Column("la_code", "text", ("Local authority code",), description="ONS code of the council (E06, E08, E09, E10)"),
    Column("la_name", "text", ("Local authority name",)),
    Column("grouping", "text", ("Grouping",), required=False, description="Oflog's data grouping (LA_Raw)"),
    Column("la_type", "text", ("Entity_Name", "Entity name"), required=False, description="Council type as Oflog names it"),
    Column("region_name", "text", ("Region",), description="ONS region (9 in England)"),
    Column("measure", "text", ("Measure",), description="Oflog's measure label, e.g. 'Outcome, ASC Carer Quality of Life'"),
    # Oflog's own code (ASC1 ... ASC7); earlier copies of the file lack the column.
    Column("oflog_code", "text", ("Code",), required=False),
    Column("value", "number", ("Value",), description="The council's value; blank where it did not take part or was suppressed"),
    Column(
        "publisher_median", "number", ("MEDIAN", "Median"), description="Oflog's median across councils for the year and measure"
    ),
    Column("mads_from_median", "number", ("MADs_from_median",), required=False),
    Column("rank_order", "text", ("rank_order",), required=False, description="Which direction is better: desc, DESC or None"),
)

ASCOF_COUNCIL_MEASURES = SourceSpec(
    key="ascof_council_measures",
    family="carers",
    title="Adult social care metrics by council (Oflog, from ASCOF)",
    publisher="Office for Local Government",
    provenance=(
        "Office for Local Government, adult social care metrics derived from NHS England's ASCOF; copy kept "
        "in communitiesuk/oflog-automated-text @ 8036fa87bff7902004956b0561765af21af665da, src/lib/ASC_data.csv (OGL v3.0)"
    ),
    format="csv",
    partitioning="financial_year",
    first_period="2015-16",
    columns=OFLOG_COLUMNS,
    period_column="financial_year",
    period_from_value=financial_year,
    # Blank is how Oflog writes "no value"; the usual suppression markers mean the same if they appear.
    sample_glob="carers/ascof_oflog/*.csv",
    row_key=("la_code", "measure"),
)

SACE_COUNCIL_TABLES = SourceSpec(
    key="sace_council_tables",
    family="carers",
    title="Personal Social Services Survey of Adult Carers in England: tables by council",
    publisher="NHS England",
    provenance=(
        "NHS England (formerly NHS Digital), Personal Social Services Survey of Adult Carers in England, "
        "council-level data tables (OGL v3.0). No real file is bundled; the parser follows the published layout."
    ),
    format="xlsx",
    partitioning="financial_year",
    first_period="2012-13",
    columns=sace_tables.COLUMNS,
    period_column="financial_year",
    period_from_value=financial_year,
    is_total_row=sace_tables.is_area_total,
    missing_markers=frozenset(sace_tables.MARKERS),
    parser=sace_tables.parse,
    detect=sace_tables.looks_like_sace,
    row_key=("la_code", "measure_code"),
    sample_absent_because="no public copy of the council tables was found; tests build workbooks in the published layout",
)
