{#- A raw asset may load more than one table for its source in one transaction: the main table and
    parts beside it named <table>__<part> (e.g. raw.cqc_api_locations__ratings). Reading a part
    through its main source keeps one dbt source, and so one Dagster asset key, per raw asset:
    lineage then runs raw asset -> every model that reads any of its tables. -#}
{% macro source_part(source_name, table_name, part) -%}
    {%- set main = source(source_name, table_name) -%}
    {{ main.incorporate(path={"identifier": main.identifier ~ "__" ~ part}) }}
{%- endmacro %}
