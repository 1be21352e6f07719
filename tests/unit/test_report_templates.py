"""The report's templates escape what the marts hold and its charts are safe to inline: a name with
markup in it reaches the page as text, in the table and in the chart, and a chart brings no
stylesheet or clashing ids into the page. No warehouse needed: the section template is rendered
with values as the section would pass them."""

from __future__ import annotations

from dagster_project.reporting import charts
from dagster_project.reporting.report import environment
from tests.support.page import Page

HOSTILE = "<script>alert('x')</script> & Co"


def _figure_20(rows) -> str:
    chart = charts.bar_chart([(r[0], r[1]) for r in rows], name="figure-20", title="Patients waiting <12h>")
    return environment().get_template("figure_20.html.j2").render(rows=rows, chart=chart)


def test_a_region_name_with_markup_is_shown_as_text_in_the_table_and_the_chart():
    html = _figure_20([(HOSTILE, 5196, 53243, 9.76), ("London", 1, 2, 50.0)])
    assert "<script" not in html
    page = Page(html)
    assert page.table("figure-20-table")[0] == [HOSTILE, "5,196", "53,243", "9.8%"]
    assert HOSTILE in [t.text() for t in page.by_id("figure-20-chart").iter("text")]


def test_a_chart_inlines_without_a_stylesheet_and_with_ids_of_its_own():
    one = charts.bar_chart([("London", 1.0)], name="one", title="one")
    two = charts.bar_chart([("London", 1.0)], name="two", title="two")
    for svg, name in ((one, "one"), (two, "two")):
        assert svg.startswith("<svg") and "<style" not in svg and "<?xml" not in svg
        ids = [element.attrs["id"] for element in Page(str(svg)).root.iter() if "id" in element.attrs]
        assert ids and all(i.startswith(f"{name}-") for i in ids)
    assert charts.bar_chart([("London", 1.0)], name="one", title="one") == one  # the same data, the same bytes
