{#- Columns to rows: one row per (other columns, column name, value) for each of `columns`, NULL
    values left out (both engines' default). `relation` is a subquery or table to read; the
    result is a query (usable as a subquery). -#}
{% macro unpivot_columns(relation, columns, name, value) -%}
    {{ return(adapter.dispatch('unpivot_columns', 'nhs_warehouse')(relation, columns, name, value)) }}
{%- endmacro %}

{% macro default__unpivot_columns(relation, columns, name, value) -%}
    unpivot {{ relation }}
    on {{ columns | join(', ') }}
    into name {{ name }} value {{ value }}
{%- endmacro %}

{% macro spark__unpivot_columns(relation, columns, name, value) -%}
    select * from {{ relation }} as unpivot_input
    unpivot ({{ value }} for {{ name }} in ({{ columns | join(', ') }}))
{%- endmacro %}
