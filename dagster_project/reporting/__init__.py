"""What people read besides the marts: the HTML report and the documentation site.

report.py        $NHS_WAREHOUSE_HOME/report/index.html and its explanation pages, written from templates/
sections.py      each section read from the published marts: its values, chart and key numbers
charts.py        the report's charts: matplotlib figures inlined as SVG (no scripts)
explain_pages.py the key numbers traced by `nhs-warehouse explain`, one page per section
docs.py         dbt docs and GX Data Docs built into the home and served on localhost
"""
