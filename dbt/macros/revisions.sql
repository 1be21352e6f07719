{#- What changed between consecutive vintages of each partition of one raw source.

    Every vintage of a partition is in meta.partition_loads (in load order); the rows of the current
    vintage are in raw.<source> and the rows each revision replaced are in raw_history.<source>.
    For each load that replaced a different vintage, this compares the two vintages row by row
    (`row_key` columns identify a row within a partition) and measure by measure (every numeric
    column of the raw table), and returns one row per value that differs. `source_name` is the dbt
    source that declares the raw table (`raw` unless its family declares its own). -#}
{% macro revision_changes(source_key, row_key, source_name='raw') %}
{%- set current = source(source_name, source_key) -%}
{%- if execute -%}
    {%- set history = adapter.get_relation(database=current.database, schema='raw_history', identifier=source_key) -%}
    {%- set columns = adapter.get_columns_in_relation(current) -%}
{%- else -%}
    {%- set history = none -%}
    {%- set columns = [] -%}
{%- endif -%}
{#- DuckDB's and Spark's names for numeric types (Spark: INT, TINYINT). -#}
{%- set numeric_types = ['BIGINT', 'INTEGER', 'INT', 'DOUBLE', 'FLOAT', 'DECIMAL', 'HUGEINT', 'SMALLINT', 'TINYINT', 'REAL'] -%}
{%- set measures = [] -%}
{%- for column in columns -%}
    {%- if not column.name.startswith('_') and column.name not in row_key and column.dtype.upper().split('(')[0] in numeric_types -%}
        {%- do measures.append(column.name) -%}
    {%- endif -%}
{%- endfor -%}
{%- if not measures -%}{%- do measures.append('_row_number') -%}{%- endif -%}
(
with loads as (
    select
        source_key,
        period,
        file_sha256,
        file_name,
        loaded_at,
        lag(file_sha256) over vintage_order as previous_file_sha256,
        lag(file_name) over vintage_order as previous_file_name,
        lag(loaded_at) over vintage_order as previous_loaded_at,
        row_number() over vintage_order as vintage_number
    from meta.partition_loads
    where source_key = '{{ source_key }}'
    window vintage_order as (partition by source_key, period order by loaded_at, file_sha256)
),

revisions as (
    select * from loads
    where previous_file_sha256 is not null and previous_file_sha256 <> file_sha256
),

vintage_rows as (
    -- Only partitions that were revised: the rest of the history cannot differ, and reading (and
    -- unpivoting) all of it would make every build cost more as history grows.
    select _period, _file_sha256, {{ row_key | join(', ') }}, {{ measures | join(', ') }} from {{ current }}
    where _period in (select period from revisions)
    {%- if history is not none %}
    union all
    select _period, _file_sha256, {{ row_key | join(', ') }}, {{ measures | join(', ') }} from {{ history }}
    where _period in (select period from revisions)
    {%- endif %}
),

vintage_values as (
    -- A vintage loaded twice is in history twice: keep one copy of each value.
    select distinct
        _period as period,
        _file_sha256 as file_sha256,
        concat_ws(' | ', {% for k in row_key %}cast({{ k }} as {{ dbt.type_string() }}){{ ', ' if not loop.last }}{% endfor %}) as row_key,
        measure,
        value
    {%- set measures_as_double -%}
        (
            select _period, _file_sha256, {{ row_key | join(', ') }},
                {% for m in measures %}cast({{ m }} as double) as {{ m }}{{ ', ' if not loop.last }}{% endfor %}
            from vintage_rows
        )
    {%- endset %}
    from ({{ unpivot_columns(measures_as_double, measures, 'measure', 'value') }})
),

previous_values as (
    select r.*, v.row_key, v.measure, v.value
    from revisions as r
    join vintage_values as v on v.period = r.period and v.file_sha256 = r.previous_file_sha256
),

revised_values as (
    select r.*, v.row_key, v.measure, v.value
    from revisions as r
    join vintage_values as v on v.period = r.period and v.file_sha256 = r.file_sha256
)

select
    '{{ source_key }}' as source_key,
    coalesce(n.period, p.period) as period,
    coalesce(n.vintage_number, p.vintage_number) as vintage_number,
    coalesce(n.previous_file_name, p.previous_file_name) as previous_file_name,
    coalesce(n.previous_file_sha256, p.previous_file_sha256) as previous_file_sha256,
    coalesce(n.previous_loaded_at, p.previous_loaded_at) as previous_loaded_at,
    coalesce(n.file_name, p.file_name) as revised_file_name,
    coalesce(n.file_sha256, p.file_sha256) as revised_file_sha256,
    coalesce(n.loaded_at, p.loaded_at) as revised_loaded_at,
    '{{ row_key | join(" | ") }}' as row_key_columns,
    coalesce(n.row_key, p.row_key) as row_key,
    coalesce(n.measure, p.measure) as measure,
    p.value as previous_value,
    n.value as revised_value,
    n.value - p.value as change,
    {{ percent('n.value - p.value', 'p.value') }} as pct_change,
    case
        when p.row_key is null then 'row added'
        when n.row_key is null then 'row removed'
        else 'value changed'
    end as change_type
from previous_values as p
full join revised_values as n
    on n.period = p.period
    and n.file_sha256 = p.file_sha256
    and n.loaded_at = p.loaded_at
    and n.row_key = p.row_key
    and n.measure = p.measure
where p.value is distinct from n.value
)
{% endmacro %}
