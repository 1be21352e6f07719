"""Generic machinery added for the carers and workforce sources: several sample globs per spec,
empty raw tables for sources with nothing loaded, and reference lists the gate's SQL can read."""

import duckdb

from dagster_project.ingest.load import ensure_raw_tables
from dagster_project.settings import REFERENCE_DIR, SAMPLES_DIR
from dagster_project.sources import SOURCES
from dagster_project.sources.workforce import NHS_STAFF_FTE, NHS_VACANCIES
from dagster_project.validation.gate import load_suite_json
from dagster_project.warehouse import table_exists


def test_every_bundled_carers_and_workforce_sample_belongs_to_exactly_one_source():
    samples = [p for family in ("carers", "workforce") for p in (SAMPLES_DIR / family).rglob("*") if p.is_file()]
    assert len(samples) == 1 + 12 + 3 + 2
    for path in samples:
        owners = [key for key, spec in SOURCES.items() if any(path in SAMPLES_DIR.glob(g) for g in spec.sample_globs)]
        assert len(owners) == 1, f"{path.name}: {owners}"
        assert SOURCES[owners[0]].matches(path), f"{path.name} does not look like {owners[0]}"


def test_a_spec_may_list_its_samples_in_two_layouts():
    names = sorted(p.name for g in NHS_STAFF_FTE.sample_globs for p in SAMPLES_DIR.glob(g))
    assert names == [
        "Workforce-Core1-RX1.excerpt.csv",
        "hchs-staff-by-staff-group-nationality-and-organisation-september-2017-and-june-2018_ah2324.xlsx",
    ]
    assert NHS_VACANCIES.sample_globs == ()


def test_sources_with_nothing_loaded_get_empty_raw_tables_and_loaded_ones_are_untouched(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.nhs_vacancies (kept integer)")
    con.execute("insert into raw.nhs_vacancies values (1)")
    created = ensure_raw_tables(con, [NHS_VACANCIES])
    assert created == ["raw.nhs_vacancies__totals"]
    assert con.execute("select * from raw.nhs_vacancies").fetchall() == [(1,)]
    assert table_exists(con, "raw.nhs_vacancies__totals")
    assert con.execute("select count(*) from raw.nhs_vacancies__totals").fetchone() == (0,)
    assert ensure_raw_tables(con, [NHS_VACANCIES]) == []


def test_suites_read_reference_lists_from_the_dbt_seeds_folder():
    suite = load_suite_json(SOURCES["ascof_council_measures"].suite_path)
    queries = [e["kwargs"].get("unexpected_rows_query", "") for e in suite["expectations"]]
    councils = [q for q in queries if "ons_local_authorities.csv" in q]
    assert councils and all("{reference_dir}" not in q for q in queries)
    assert f"read_csv('{REFERENCE_DIR.as_posix()}/ons_local_authorities.csv'" in councils[0]
    assert (REFERENCE_DIR / "ons_local_authorities.csv").exists()
