{#- Snapshots on the Spark target, written as plain Parquet.

    dbt-spark's own snapshot needs a table format with MERGE (Delta, Iceberg or Hudi), whose jars a
    session fetches from Maven when it starts; the local target writes Parquet and fetches nothing.
    This materialization (spark adapter only: DuckDB keeps dbt's own) keeps dbt's snapshot logic,
    the strategy and the staging rows from dbt's snapshot_staging_table, and replaces only the
    MERGE: the new snapshot table is the old one with the changed rows' validity closed, plus the
    new versions, built beside it and renamed into place. A first build creates the table as dbt's
    does. Rewriting the table each build costs time proportional to its size; a cluster with Delta
    would set `file_format: delta` and use dbt-spark's MERGE instead (see deploy/README.md). -#}
{% materialization snapshot, adapter='spark' %}
    {%- set file_format = config.get('file_format') or 'parquet' -%}
    {%- if file_format in ['delta', 'iceberg', 'hudi'] -%}
        {{ exceptions.raise_compiler_error(
            "snapshot " ~ model.name ~ ": file_format " ~ file_format ~ " has MERGE; this project's "
            ~ "snapshot override rewrites Parquet. Remove dbt/macros/spark/snapshot.sql to use dbt-spark's.") }}
    {%- endif -%}

    {%- set target_table = model.get('alias', model.get('name')) -%}
    {%- set strategy_name = config.get('strategy') -%}
    {%- set target_relation_exists, target_relation = get_or_create_relation(
            database=none, schema=model.schema, identifier=target_table, type='table') -%}

    {% if not adapter.check_schema_exists(model.database, model.schema) %}
        {% do create_schema(model.schema) %}
    {% endif %}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set strategy_macro = strategy_dispatch(strategy_name) -%}
    {%- set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'], target_relation_exists) -%}

    {% if not target_relation_exists %}
        {% call statement('main') %}
            {{ create_table_as(False, target_relation, build_snapshot_table(strategy, model['compiled_code'])) }}
        {% endcall %}
    {% else %}
        {%- set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() -%}
        {{ adapter.valid_snapshot_target(target_relation, columns) }}
        {%- set staging_table = spark_build_snapshot_staging_table(strategy, sql, target_relation) -%}
        {%- set missing_columns = adapter.get_missing_columns(staging_table, target_relation)
                | rejectattr('name', 'in', ['dbt_change_type', 'DBT_CHANGE_TYPE', 'dbt_unique_key', 'DBT_UNIQUE_KEY'])
                | list -%}
        {% do create_columns(target_relation, missing_columns) %}
        {%- set target_columns = adapter.get_columns_in_relation(target_relation) -%}
        {%- set rewritten = api.Relation.create(
                schema=target_relation.schema, identifier=target_table ~ '__dbt_rewrite', type='table') -%}
        {% do adapter.drop_relation(rewritten) %}
        {%- set rewrite_sql -%}
            -- Every version already recorded; a current one the staging rows update or delete is closed.
            select
            {%- for column in target_columns %}
                {% if column.name == columns.dbt_valid_to -%}
                case when changes.{{ columns.dbt_scd_id }} is not null
                    then changes.{{ columns.dbt_valid_to }} else snapshotted.{{ adapter.quote(column.name) }}
                end as {{ adapter.quote(column.name) }}
                {%- else -%}
                snapshotted.{{ adapter.quote(column.name) }}
                {%- endif %}{{ ',' if not loop.last }}
            {%- endfor %}
            from {{ target_relation }} as snapshotted
            left join (
                select * from {{ staging_table }} where dbt_change_type in ('update', 'delete')
            ) as changes
                on changes.{{ columns.dbt_scd_id }} = snapshotted.{{ columns.dbt_scd_id }}
                and snapshotted.{{ columns.dbt_valid_to }} is null
            union all
            -- The new versions.
            select
            {%- for column in target_columns %}
                {{ adapter.quote(column.name) }}{{ ',' if not loop.last }}
            {%- endfor %}
            from {{ staging_table }}
            where dbt_change_type = 'insert'
        {%- endset %}
        {% call statement('main') %}
            {{ create_table_as(False, rewritten, rewrite_sql) }}
        {% endcall %}
        {% do adapter.drop_relation(target_relation) %}
        {% do adapter.rename_relation(rewritten, target_relation) %}
    {% endif %}

    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {% if staging_table is defined %}
        {% do post_snapshot(staging_table) %}
    {% endif %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
