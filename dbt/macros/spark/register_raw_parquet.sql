{#- The raw layer for an engine that reads it from the Parquet mirror (dagster_project/ingest/
    parquet_mirror.py) rather than from DuckDB tables: one view per mirrored table, under the same
    schema and name the sources YAML declares (raw.uec_ae_monthly, raw_history.*, meta.partition_loads),
    so models, sources and tests read raw data the same way on every target.

    `tables` is a list of {schema, table, path}, one per table folder of the mirror, passed by
    dagster_project/spark_build.py (dbt's Jinja cannot list folders):
        dbt run-operation register_raw_parquet --target spark --args '{tables: [...]}' -#}
{% macro register_raw_parquet(tables) %}
    {{ return(adapter.dispatch('register_raw_parquet', 'nhs_warehouse')(tables)) }}
{% endmacro %}

{% macro default__register_raw_parquet(tables) %}
    {{ exceptions.raise_compiler_error(
        "register_raw_parquet: the " ~ target.type ~ " target reads raw tables from the warehouse itself; "
        ~ "only targets that read the Parquet mirror (spark) register it") }}
{% endmacro %}

{% macro spark__register_raw_parquet(tables) %}
    {%- for schema in tables | map(attribute='schema') | unique %}
        {% do run_query('create database if not exists ' ~ adapter.quote(schema)) %}
    {%- endfor %}
    {%- for t in tables %}
        {#- Partition discovery reads _source_key and _period from the folder names (as text: the
            profile turns type inference off); mergeSchema (profile) unites the files' columns. -#}
        {% do run_query(
            'create or replace view ' ~ adapter.quote(t.schema) ~ '.' ~ adapter.quote(t.table)
            ~ ' as select * from parquet.`' ~ t.path ~ '`') %}
    {%- endfor %}
    {% do log('registered ' ~ (tables | length) ~ ' raw tables from the Parquet mirror', info=true) %}
{% endmacro %}
