"""The formulas' dbt unit tests (`unit_tests:` beside the marts' YAML) pass on the project and fail
when a formula is wrong: the project copied with each formula mutated into a plausible mistake, and
every unit test of that formula fails. Production builds leave unit tests out (assets/dbt.py), so
this is where they run: on a copy of the warehouse a build made (dbt reads the inputs' column types
from it)."""

from __future__ import annotations

import json

import pytest

from tests.support.dbt_runs import copy_project, edit, run_dbt

pytestmark = pytest.mark.slow

UNIT_TESTS = {
    "fct_ae_provider_month_conversion_rate",
    "fct_ae_provider_month_pct_dta_over_12h",
    "mart_uec_region_month_conversion_rate",
    "mart_uec_region_month_pct_dta_over_12h",
    "mart_ratings_distribution_pct_of_rated",
    "mart_workforce_region_month_sickness_absence_rate",
}

# model file -> (the formula as written, a plausible mistake): each unit test checks one formula's
# column only, so mutating all at once still shows each test catching its own.
MUTATIONS = {
    "uec/fct_ae_provider_month.sql": [
        # booked appointments added to the denominator
        (
            "{{ percent('emergency_admissions_via_ae', 'ae_attendances') }} as conversion_rate",
            "{{ percent('emergency_admissions_via_ae', 'ae_attendances + booked_appointments') }} as conversion_rate",
        ),
        # over all emergency admissions, not those via A&E
        (
            "{{ percent('dta_waits_over_12h', 'emergency_admissions_via_ae') }} as pct_dta_over_12h",
            "{{ percent('dta_waits_over_12h', 'emergency_admissions') }} as pct_dta_over_12h",
        ),
    ],
    "uec/mart_uec_region_month.sql": [
        # every emergency admission counted as a conversion
        (
            "{{ percent('emergency_admissions_via_ae', 'ae_attendances') }} as conversion_rate",
            "{{ percent('emergency_admissions', 'ae_attendances') }} as conversion_rate",
        ),
        # the 4-12 hour waits counted too
        (
            "{{ percent('dta_waits_over_12h', 'emergency_admissions_via_ae') }} as pct_dta_over_12h",
            "{{ percent('dta_waits_4_to_12h + dta_waits_over_12h', 'emergency_admissions_via_ae') }} as pct_dta_over_12h",
        ),
    ],
    "ratings/mart_ratings_distribution.sql": [
        # shares over every location, not the rated ones
        (
            "{{ percent('locations', 'sum(case when is_rated then locations else 0 end) over cell') }}",
            "{{ percent('locations', 'sum(locations) over cell') }}",
        ),
    ],
    "workforce/mart_workforce_region_month.sql": [
        # the mean of organisations' rates instead of the ratio of summed days
        (
            "{{ percent('sum(fte_days_lost)', 'sum(fte_days_available)') }} as sickness_absence_rate",
            "avg({{ percent('fte_days_lost', 'fte_days_available') }}) as sickness_absence_rate",
        ),
    ],
}


def _unit_test_statuses(run) -> dict[str, str]:
    return {uid.split(".")[-1]: status for uid, status in run.statuses.items() if uid.startswith("unit_test.")}


def test_every_formula_unit_test_passes(built_home, tmp_path):
    run = run_dbt(tmp_path, built_home / "warehouse.duckdb", "test", "--select", "test_type:unit")
    assert _unit_test_statuses(run) == {name: "pass" for name in UNIT_TESTS}, run.output
    assert run.returncode == 0, run.output


def test_each_formula_unit_test_fails_when_its_formula_is_wrong(built_home, tmp_path):
    project = copy_project(tmp_path / "dbt")
    for model, mutations in MUTATIONS.items():
        for formula, mistake in mutations:
            edit(project / "models" / "marts" / model, formula, mistake)
    run = run_dbt(tmp_path / "work", built_home / "warehouse.duckdb", "test", "--select", "test_type:unit", project_dir=project)
    assert _unit_test_statuses(run) == {name: "fail" for name in UNIT_TESTS}, run.output
    assert run.returncode != 0


def test_production_builds_leave_unit_tests_out(built_home):
    """The build that made the home ran models and data tests, and no unit test."""
    runs = sorted(p for p in (built_home / "dbt" / "runs").iterdir() if (p / "run_results.json").exists())
    assert runs
    for run in runs:
        ids = [r["unique_id"] for r in json.loads((run / "run_results.json").read_text())["results"]]
        assert any(i.startswith("model.") for i in ids) and any(i.startswith("test.") for i in ids)
        assert not [i for i in ids if i.startswith("unit_test.")], run
