"""dbt's exposures say who reads the marts: the HTML report (the marts dagster_project/reporting/
queries) and each BI recipe in the README's "Point a BI tool at the marts" table (every published
mart). Each check fails when the exposures and the code or README part."""

from __future__ import annotations

import copy
import re

import pytest

from dagster_project.settings import PROJECT_ROOT
from tests.support.dbt_docs import exposure_gaps, load_manifest


def report_marts() -> set[str]:
    """The marts the report reads: each section asks the serving DB whether its mart is published."""
    return {
        mart
        for module in (PROJECT_ROOT / "dagster_project" / "reporting").glob("*.py")
        for mart in re.findall(r'marts\.has\("(\w+)"\)', module.read_text())
    }


def readme_bi_tools(readme: str) -> list[str]:
    """The tools (bold first cell) of the README's table under "Point a BI tool at the marts"."""
    section = readme.split("## Point a BI tool at the marts", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| \*\*(.+?)\*\*", section, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest()


@pytest.fixture(scope="module")
def tools() -> list[str]:
    return readme_bi_tools((PROJECT_ROOT / "README.md").read_text())


def test_the_report_and_every_bi_recipe_have_an_exposure(manifest, tools):
    assert report_marts() == {
        "mart_uec_region_month",
        "mart_ambulance_region_month",
        "mart_mh_out_of_area_month",
        "mart_ratings_distribution",
        "mart_carers_region_year",
        "mart_workforce_region_month",
    }
    assert "Superset" in tools and "DuckDB CLI" in tools and len(tools) >= 7
    assert exposure_gaps(manifest, report_marts(), tools) == []


def test_a_mart_the_report_reads_but_its_exposure_omits_is_named(manifest, tools):
    assert exposure_gaps(manifest, report_marts() | {"mart_system_overview"}, tools) == [
        "html_report: does not name mart_system_overview, which the report reads",
    ]


def test_a_bi_recipe_without_an_exposure_is_named(manifest, tools):
    assert exposure_gaps(manifest, report_marts(), [*tools, "Tableau"]) == ["Tableau: the README's BI recipe has no exposure"]


def test_a_bi_exposure_missing_a_published_mart_is_named(manifest, tools):
    broken = copy.deepcopy(manifest)
    superset = next(e for e in broken["exposures"].values() if e["label"] == "Superset")
    superset["depends_on"]["nodes"] = [uid for uid in superset["depends_on"]["nodes"] if not uid.endswith(".dim_icb")]
    assert exposure_gaps(broken, report_marts(), tools) == ["Superset: does not name dim_icb, which the serving DB publishes"]
