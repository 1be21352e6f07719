"""`nhs-warehouse report` writes one static HTML page from the published marts; rendered in headless
Chromium it shows State of Care figure 20 as a table and a bar chart, the 12-hour-wait trend over
every loaded month, ambulance response times against their standards, mental-health out-of-area
placements, and a plain sentence for each family not yet published. Each section links to a page
explaining its key numbers (nhs-warehouse explain): figure 20's names the June 2023 file by its
sha256. Nothing on any page is a script or fetched. The screenshots are kept in test-artifacts/
(report.png, report-explain-figure-20.png) for a person to look at."""

from __future__ import annotations

import hashlib
import re
import struct

import duckdb
import pytest

from dagster_project.assets.dbt import published_models
from dagster_project.serving.publish import publish
from dagster_project.settings import PROJECT_ROOT
from tests.conftest import run_cli, uec_sample
from tests.integration.test_build import FIGURE_20
from tests.support.browser import rendered_dom, screenshot
from tests.support.page import Page

pytestmark = [pytest.mark.slow, pytest.mark.system]

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SHOT_SIZE = (1100, 5200)
FAMILY_SECTIONS = {
    "ambulance": "mart_ambulance_region_month",
    "oaps": "mart_mh_out_of_area_month",
    "ratings": "mart_ratings_distribution",
    "carers": "mart_carers_region_year",
    "sickness": "mart_workforce_region_month",
}


@pytest.fixture
def report_home(built_home, tmp_path):
    """A home of the test's own whose serving folder, warehouse, landing manifests and dbt SQL are the
    built warehouse's (the report and its explanations only read them)."""
    home = tmp_path / "home"
    home.mkdir()
    for name in ("serving", "landing", "dbt", "warehouse.duckdb"):
        (home / name).symlink_to(built_home / name, target_is_directory=(built_home / name).is_dir())
    return home


def _published(home) -> set[str]:
    con = duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True)
    try:
        return {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    finally:
        con.close()


def _query(home, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _groups(element, prefix: str) -> list:
    """A chart's SVG groups whose id starts with `prefix` (charts.py names the artists it draws)."""
    return [g for g in element.iter("g") if g.attrs.get("id", "").startswith(prefix)]


def _min_sec(seconds) -> str:
    return f"{round(seconds) // 60}:{round(seconds) % 60:02d}"


def assert_offline_and_script_free(html: str, page: str) -> None:
    """Opens from a shared drive with no network: no scripts, nothing fetched (links to publishers are
    links, followed only when clicked)."""
    lowered = html.lower()
    assert "<script" not in lowered and "javascript:" not in lowered, page
    assert "<link" not in lowered and "@import" not in lowered, page
    assert not re.search(r"\ssrc\s*=", lowered), page
    assert not re.search(r"url\((?!#)", lowered), page  # only the charts' own clip paths
    assert not re.search(r"\son[a-z]+\s*=", lowered), page  # no event handlers


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
    regions = sorted(r for r in FIGURE_20 if r != "England")
    values = [g.text().strip() for g in _groups(chart, "figure-20-value-")]
    assert values == [f"{FIGURE_20[r][0]:,}" for r in regions]
    bars = _groups(chart, "figure-20-bar-")
    assert len(bars) == len(regions) and all(list(bar.iter("path")) for bar in bars)
    assert [t.text() for t in chart.iter("text") if t.text() in regions] == regions  # the bars' labels

    # The trend covers every loaded month, one line per region.
    trend = page.text("trend-12h")
    assert "April 2020 to June 2024 (51 months)" in trend
    assert len(_groups(page.by_id("trend-12h"), "trend-12h-line-")) == 7
    assert len(page.table("trend-12h-latest")) == 7

    published = _published(report_home)
    assert {"mart_ambulance_region_month", "mart_mh_out_of_area_month"} <= published  # the bundled samples build them

    # Ambulance: England and the seven regions over every month, C2 against 18 minutes and C1 against 7.
    (latest,) = _query(report_home, "select max(month_start) from mart_ambulance_region_month")[0]
    england = _query(
        report_home,
        "select c1_mean_seconds, c2_mean_seconds from mart_ambulance_region_month "
        f"where region_code = 'ENG' and month_start = date '{latest}'",
    )[0]
    ambulance = {row[0]: row for row in page.table("ambulance-table")}
    assert len(ambulance) == 8 and ambulance["England"][1:3] == [_min_sec(england[0]), _min_sec(england[1])]
    assert f"{latest:%B %Y}" in page.text("ambulance")
    c2 = page.by_id("ambulance-c2-chart")
    assert len(_groups(c2, "ambulance-c2-line-")) == 8
    assert _groups(c2, "ambulance-c2-standard") and "standard: 18 min" in c2.text()
    assert "standard: 7 min" in page.by_id("ambulance-c1-chart").text()
    # England's months in which a trust did not report: off the line, one hollow point each.
    partial = _query(
        report_home,
        "select count(*) from mart_ambulance_region_month where region_code = 'ENG' "
        "and not all_trusts_reported and c2_mean_seconds is not null",
    )[0][0]
    assert partial > 0
    (hollow,) = _groups(c2, "ambulance-c2-incomplete-england")
    assert len(list(hollow.iter("use"))) == partial

    # Out-of-area placements: England's exact counts and the regions' rounded ones, per month.
    oaps = [
        (m, a, n)
        for m, a, n in _query(
            report_home,
            "select month_start, area_name, oaps_active_at_period_end "
            "from mart_mh_out_of_area_month where area_level = 'england' order by 1",
        )
    ]
    table = {(row[0], row[1]): row[2] for row in page.table("oaps-table")}
    assert oaps and all(table[(f"{m:%B %Y}", "England")] == f"{n:,}" for m, _, n in oaps)
    assert table[("February 2017", "England")] == "681"  # the publisher's England row for February 2017
    assert "rounds each region's counts to the nearest 5" in page.text("oaps")
    assert len(_groups(page.by_id("oaps-chart"), "oaps-bar-")) == len(oaps) * 5  # England and four regions a month

    # Each family's section is either drawn from its mart or says the mart is not published yet.
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

    # Each section links its numbers to their explanation, a static page beside the report.
    explain_dir = report_home / "report" / "explain"
    for anchor in ["figure-20", "trend-12h", *FAMILY_SECTIONS]:
        link = page.by_id(f"explain-{anchor}")
        assert link.attrs["href"] == f"explain/{anchor}.html", anchor
        assert (explain_dir / f"{anchor}.html").exists(), anchor
        assert_offline_and_script_free((explain_dir / f"{anchor}.html").read_text(), anchor)
    assert_offline_and_script_free(index.read_text(), "index.html")

    # Figure 20's page, in Chromium: London's and England's June 2023 figures traced to the one June
    # 2023 file the warehouse loaded, named by the sha256 of the bundled sample.
    explained_url = (explain_dir / "figure-20.html").as_uri()
    explained = Page(rendered_dom(explained_url, tmp_path / "chromium-explain"))
    sample = uec_sample("June-2023")
    sha256 = hashlib.sha256(sample.read_bytes()).hexdigest()
    for number, (region, waits) in enumerate([("London", 5196), ("England", 26488)], start=1):
        text = explained.text(f"number-{number}")
        assert text.startswith(f"{region}, June 2023") and explained.text(f"number-{number}-value") == str(waits)
        assert sha256 in text and sample.name in text and "2023-06-01, original" in text
        assert "uec_ae_monthly on 2023-06-01: passed" in text
        assert "nhs-warehouse explain mart_uec_region_month" in text
    # The ambulance page traces England's latest C2 mean to the AmbSYS file's row for that month only.
    ambulance_page = Page((explain_dir / "ambulance.html").read_text())
    c2_text = ambulance_page.text("number-1")
    assert ambulance_page.text("number-1-value") == str(england[1])
    # The release holds every month since 2017; the number is traced to its own month's load only.
    assert f"{latest:%Y-%m-%d}, original" in c2_text and c2_text.count("AmbSYS-to-Apr-2026.csv") == 1
    # A mart that does not declare its fact rows still shows its models.
    oaps_page = Page((explain_dir / "oaps.html").read_text()).text()
    assert "mart_mh_out_of_area_month" in oaps_page and "stg_mh_oaps__figures" in oaps_page

    shot = screenshot(url, tmp_path / "chromium-shot", ARTIFACTS / "report.png", size=SHOT_SIZE)
    assert _png_size(shot) == SHOT_SIZE
    assert shot.stat().st_size > 50_000  # a page of charts and tables, not a blank one
    shot = screenshot(explained_url, tmp_path / "chromium-shot", ARTIFACTS / "report-explain-figure-20.png")
    assert shot.stat().st_size > 20_000


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
    for title in (
        "Ambulance response times",
        "Mental health out-of-area",
        "CQC ratings",
        "Adult carers",
        "NHS staff sickness absence",
    ):
        line = next(line for line in result.stdout.splitlines() if title in line)
        assert "not in this publication yet" in line, line

    page = Page((home / "report" / "index.html").read_text())
    for anchor, mart in FAMILY_SECTIONS.items():
        assert f"no {mart} among the published marts" in page.text(anchor)
    assert page.table("figure-20-table")[1][:2] == ["London", "5,196"]
    # Published marts without the warehouse beside them: the explanation pages say why they cannot trace.
    assert page.by_id("explain-figure-20").attrs["href"] == "explain/figure-20.html"
    explained = Page((home / "report" / "explain" / "figure-20.html").read_text()).text("number-1")
    assert "Not traced here: the warehouse this publication was built from is not in this home" in explained
    assert not (home / "report" / "explain" / "ambulance.html").exists()


def test_report_without_a_publication_says_what_to_do(home):
    result = run_cli("report", home=home.home)
    assert result.returncode == 1
    assert "run `nhs-warehouse build` first" in result.stderr
