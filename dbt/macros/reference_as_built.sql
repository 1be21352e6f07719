{#- The reference data an incremental model last built its rows with, so the next build can tell
    whether rows it keeps would now come out differently, by comparing two small lists instead of
    every row built so far (which grew with the history: 2.2 s of a one-month build at 1 million
    A&E rows, against 0.5 s at 170 thousand).

    A model that copies reference values into its rows (a region name, an ICB code) selects them as
    `kind, key, value` text in a macro of its own, asks `reference_moved(sql)` in its incremental
    branch (any difference rebuilds every row), and records it after each build with
    `remember_reference_as_built(sql)` as a post-hook. Kept in meta.reference_as_built, beside
    meta.dbt_node_builds, on DuckDB only: other adapters build such models as tables. -#}

{#- Whether the reference data `reference_sql` (kind, key, value) now gives differs from what the
    model's last build recorded, or nothing is recorded: read when the model is compiled, so its SQL
    can say plainly whether it rebuilds every row. Either list may be a few hundred rows. -#}
{% macro reference_moved(reference_sql) -%}
    {%- if not execute or not meta_table_exists('reference_as_built') -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        with reference_now as ({{ reference_sql }}),
        reference_as_built as (
            select kind, key, value from meta.reference_as_built where model_id = '{{ model.unique_id }}'
        )
        select
            not exists (select * from reference_as_built)
            or exists (select * from reference_now except all select * from reference_as_built)
            or exists (select * from reference_as_built except all select * from reference_now)
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}

{#- A post-hook: replace the model's record with `reference_sql` (selecting kind, key, value). -#}
{% macro remember_reference_as_built(reference_sql) -%}
    {{ return(adapter.dispatch('remember_reference_as_built')(reference_sql)) }}
{%- endmacro %}

{% macro duckdb__remember_reference_as_built(reference_sql) -%}
delete from meta.reference_as_built where model_id = '{{ model.unique_id }}';
insert into meta.reference_as_built
select '{{ model.unique_id }}', kind, key, value from ({{ reference_sql }}) as reference_now
{%- endmacro %}

{#- Nothing to record elsewhere (an empty hook is skipped). -#}
{% macro default__remember_reference_as_built(reference_sql) -%}
{%- endmacro %}

{#- The table itself (on-run-start, with meta.dbt_node_builds). -#}
{% macro create_reference_as_built_table() -%}
    {%- do create_meta_table('reference_as_built', 'model_id varchar not null, kind varchar not null, key varchar, value varchar') -%}
{%- endmacro %}
