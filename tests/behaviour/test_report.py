"""`nhs-warehouse report` writes one static HTML page from the published marts; rendered in headless
Chromium it shows State of Care figure 20 as a table and a bar chart, the 12-hour-wait trend over
every loaded month, and a plain sentence for each family not yet published. The screenshot is kept
in test-artifacts/report.png for a person to look at."""

from __future__ import annotations

import struct

import duckdb
import pytest

from dagster_project.assets.dbt import published_models
from dagster_project.serving.publish import publish
from dagster_project.settings import PROJECT_ROOT
from tests.conftest import run_cli
from tests.integration.test_build import FIGURE_20
from tests.support.browser import rendered_dom, screenshot
from tests.support.page import Page

pytestmark = [pytest.mark.slow, pytest.mark.system]

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SHOT_SIZE = (1100, 2600)
FAMILY_SECTIONS = {
    "ratings": "mart_ratings_distribution",
    "carers": "mart_carers_region_year",
    "sickness": "mart_workforce_region_month",
}


@pytest.fixture
def report_home(built_home, tmp_path):
    """A home of the test's own whose serving folder is the built warehouse's (the report only reads it)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "serving").symlink_to(built_home / "serving", target_is_directory=True)
    return home


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_report_in_chromium_shows_figure_20_and_the_trend(report_home, tmp_path):
    result = run_cli("report", home=report_home, check=True)
    index = report_home / "report" / "index.html"
    assert "Report of publication" in result.stdout and index.exists()

    url = index.as_uri()
    page = Page(rendered_dom(url, tmp_path / "chromium-dom"))

    # Figure 20 as a table: every region's 12-hour waits and emergency admissions, as printed.
    rows = {row[0]: row for row in page.table("figure-20-table")}
    assert set(rows) == set(FIGURE_20)
    for region, (waits, admissions) in FIGURE_20.items():
        assert rows[region][1] == f"{waits:,}", region
        assert rows[region][2] == f"{admissions:,}", region
    assert rows["London"][3] == "9.8%"

    # ... and as a bar chart: one labelled bar per region (England is the table's total row).
    chart = page.by_id("figure-20-chart")
    bars = [text.text() for text in chart.iter("text") if text.attrs.get("class") == "value"]
    regions = sorted(r for r in FIGURE_20 if r != "England")
    assert bars == [f"{FIGURE_20[r][0]:,}" for r in regions]
    assert len(list(chart.iter("rect"))) == len(regions)

    # The trend covers every loaded month, one line per region.
    trend = page.text("trend-12h")
    assert "April 2020 to June 2024 (51 months)" in trend
    assert len([p for p in page.by_id("trend-12h").iter("polyline")]) == 7
    assert len(page.table("trend-12h-latest")) == 7

    # Each family's section is either drawn from its mart or says the mart is not published yet.
    con = duckdb.connect(str(report_home / "serving" / "marts.duckdb"), read_only=True)
    try:
        published = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    finally:
        con.close()
    for anchor, mart in FAMILY_SECTIONS.items():
        said_not_loaded = "not in this publication yet" in page.text(anchor)
        assert said_not_loaded == (mart not in published), anchor
    if FAMILY_SECTIONS["ratings"] in published:
        rated = {row[0]: row[1] for row in page.table("ratings-table")}
        assert rated["England (API, 20 Mar 2025)"] == "117"  # Oldham's rated locations in the bundled capture
    if FAMILY_SECTIONS["sickness"] in published:
        con = duckdb.connect(str(report_home / "serving" / "marts.duckdb"), read_only=True)
        try:
            month, rate = con.execute(
                "select month_start, sickness_absence_rate from mart_workforce_region_month where region_code = 'ENG' "
                "and measure = 'sickness_absence' and breakdown_value = 'All organisation types' order by month_start desc limit 1"
            ).fetchone()
        finally:
            con.close()
        sickness = {row[0]: row[1] for row in page.table("sickness-table")}
        assert sickness["England"] == f"{rate:.2f}%" and f"{month:%B %Y}" in page.text("sickness")
    if FAMILY_SECTIONS["carers"] in published:
        assert "Carer-reported quality of life (1D), 2021-22" in page.text("carers")

    shot = screenshot(url, tmp_path / "chromium-shot", ARTIFACTS / "report.png", size=SHOT_SIZE)
    assert _png_size(shot) == SHOT_SIZE
    assert shot.stat().st_size > 50_000  # a page of charts and tables, not a blank one


def test_families_not_yet_published_are_named_instead_of_breaking_the_report(built_home, tmp_path):
    # A publication of the A&E and core marts only, as before the other families were loaded.
    home = tmp_path / "home"
    uec_only = [t for _, t in published_models() if t.split(".")[-1].startswith(("dim_", "fct_ae_", "mart_uec_"))]
    warehouse = duckdb.connect(str(built_home / "warehouse.duckdb"), read_only=True)
    try:
        publish(warehouse, uec_only, home / "serving")
    finally:
        warehouse.close()

    result = run_cli("report", home=home, check=True)
    for title in ("CQC ratings", "Adult carers", "NHS staff sickness absence"):
        line = next(line for line in result.stdout.splitlines() if title in line)
        assert "not in this publication yet" in line, line

    page = Page((home / "report" / "index.html").read_text())
    for anchor, mart in FAMILY_SECTIONS.items():
        assert f"no {mart} among the published marts" in page.text(anchor)
    assert page.table("figure-20-table")[1][:2] == ["London", "5,196"]


def test_report_without_a_publication_says_what_to_do(home):
    result = run_cli("report", home=home.home)
    assert result.returncode == 1
    assert "run `nhs-warehouse build` first" in result.stderr
