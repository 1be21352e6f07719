{#- Aggregates DuckDB and Spark both have, under different names or syntax. -#}

{#- The value of `value` on the row with the largest `ordering` (ties: any one of them). -#}
{% macro arg_max(value, ordering) -%}
    {{ return(adapter.dispatch('arg_max', 'nhs_warehouse')(value, ordering)) }}
{%- endmacro %}

{% macro default__arg_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_max(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}


{#- The group's values joined by `separator` in sorted order; NULL when every value is NULL. A
    FILTER clause may follow the call on both engines. -#}
{% macro string_agg_ordered(expression, separator) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'nhs_warehouse')(expression, separator)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expression, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expression, separator) -%}
    listagg({{ expression }}, {{ separator }}) within group (order by {{ expression }})
{%- endmacro %}
