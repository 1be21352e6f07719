-- Every published AmbSYS value in long form: one row per organisation, month and code with a value
-- ('.', not collected, leaves no row), named through the ambsys_measures seed where it knows the
-- code. The seed is the one place a code gets its meaning: a code it does not list is kept, with
-- measure NULL, so any of the 148 can be read without a change here.
{%- set monthly = ref('stg_uec__ambsys_monthly') %}
{#- The code columns (a0 ... a148) of the relation, read from it so a code added to the spec needs no change here. -#}
{%- set codes = [] %}
{%- if execute %}
    {%- for column in adapter.get_columns_in_relation(monthly) %}
        {%- if modules.re.fullmatch('a[0-9]+', column.name | lower) %}{% do codes.append(column.name | lower) %}{% endif %}
    {%- endfor %}
{%- else %}
    {#- Rendered without a warehouse (dbt's parse phase, sqlfluff): one code stands in so the SQL is whole. -#}
    {%- do codes.append('a0') %}
{%- endif %}

{%- set values_as_double -%}
    (
        select month_start, org_level, org_code, region_code,
            {% for code in codes %}cast({{ code }} as double) as {{ code }}{{ ', ' if not loop.last }}{% endfor %}
        from {{ monthly }}
    )
{%- endset %}

with values_by_code as (
    {{ unpivot_columns(values_as_double, codes, 'column_name', 'value') }}
),

measures as (
    select upper(code) as code, measure, category, statistic, unit from {{ ref('ambsys_measures') }}
)

select
    values_by_code.month_start,
    values_by_code.org_level,
    values_by_code.org_code,
    values_by_code.region_code,
    upper(values_by_code.column_name) as code,
    measures.measure,
    measures.category,
    measures.statistic,
    measures.unit,
    values_by_code.value
from values_by_code
left join measures on measures.code = upper(values_by_code.column_name)
