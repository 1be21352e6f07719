"""What people read besides the marts: the HTML report and the documentation site.

    report.py       $NHS_WAREHOUSE_HOME/report/index.html from the published marts
    svg_charts.py   the report's charts as inline SVG (no scripts)
    docs.py         dbt docs and GX Data Docs built into the home and served on localhost
"""
