{#- Partition-scoped work, so a build's cost follows what changed, not the length of the history.

    The Dagster dbt asset records, in meta.dbt_node_builds, when the last build in which each model
    or test passed began (from dbt's run_results.json, after every build, complete or not: the
    daemon's automation builds subsets). Rows loaded since then are what this node has not yet
    built or checked: raw partitions are replaced whole with a new `_loaded_at`, and never change
    otherwise. Before a node's first pass (or when dbt runs by hand on an older warehouse) that is
    every row. Only the DuckDB warehouse keeps that record; on any other adapter (the Spark target)
    everything counts as changed. -#}
{% macro changed_since() -%}
    {{ return(adapter.dispatch('changed_since')()) }}
{%- endmacro %}

{#- `model` is the node being compiled: the model, or the test whose `where` names __changed_since__.
    The mark is read when the node is compiled and written into its SQL as a literal: a filter on a
    constant lets DuckDB skip the row groups loaded before it (their min/max `_loaded_at`), where
    a subquery in its place made every filtered model and test scan the whole history. -#}
{% macro duckdb__changed_since() -%}
    {%- set since = none -%}
    {%- if execute and meta_table_exists('dbt_node_builds') -%}
        {%- set since = run_query("select max(started_at) from meta.dbt_node_builds where unique_id = '" ~ model.unique_id ~ "'").columns[0].values()[0] -%}
    {%- endif -%}
    cast('{{ since or "1900-01-01 00:00:00" }}' as timestamp)
{%- endmacro %}

{% macro default__changed_since() -%}
cast('1900-01-01 00:00:00' as timestamp)
{%- endmacro %}

{#- When this dbt invocation began (the same value in every model and test it runs). -#}
{% macro this_build_started() -%}
cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- The table of nodes' last passing builds (on-run-start); nothing to create on other adapters. -#}
{% macro create_dbt_node_builds_table() -%}
    {%- do create_meta_table('dbt_node_builds', 'unique_id varchar primary key, started_at timestamp not null, finished_at timestamp not null') -%}
{%- endmacro %}

{#- A test's `where` config may name two placeholders (YAML configs cannot call macros):
    `__changed_since__`, the start of the last build in which this test passed (rows loaded since
    then have not been checked by a passing run of it), and `__this_build__`, the start of this
    invocation (rows a model rebuilt now, e.g. every month after a reference-data change). dbt's
    own get_where_subquery otherwise. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__changed_since__', changed_since()) | replace('__this_build__', this_build_started()) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- Create the bookkeeping table meta.<identifier> when missing (on-run-start), on DuckDB only. -#}
{% macro create_meta_table(identifier, columns) -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- do run_query("create schema if not exists meta") -%}
        {%- do run_query("create table if not exists meta." ~ identifier ~ " (" ~ columns ~ ")") -%}
    {%- endif -%}
{%- endmacro %}

{#- Whether the warehouse has the bookkeeping table meta.<identifier> (created on-run-start; a
    compile outside a build, e.g. `dbt docs generate` on an older warehouse, may find none). -#}
{% macro meta_table_exists(identifier) -%}
    {{ return(adapter.get_relation(database=target.database, schema='meta', identifier=identifier) is not none) }}
{%- endmacro %}
