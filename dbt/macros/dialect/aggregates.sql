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


{#- The group's values joined by `separator` in sorted order (each value once with distinct=true);
    NULL when every value is NULL. A FILTER clause may follow the call on both engines. -#}
{% macro string_agg_ordered(expression, separator, distinct=false) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'nhs_warehouse')(expression, separator, distinct)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expression, separator, distinct=false) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{#- Spark: listagg(DISTINCT ...) WITHIN GROUP fails in a query with another DISTINCT aggregate
    (ClassCastException, AttributeReference cannot be cast to SortOrder, pyspark 4.3: the distinct
    rewrite drops the ordering), so the distinct form is the sorted set of values instead, NULL
    for a group without values as listagg gives. No FILTER clause may follow the distinct form. -#}
{% macro spark__string_agg_ordered(expression, separator, distinct=false) -%}
    {%- if distinct -%}
    case when count({{ expression }}) > 0 then array_join(array_sort(collect_set({{ expression }})), {{ separator }}) end
    {%- else -%}
    listagg({{ expression }}, {{ separator }}) within group (order by {{ expression }})
    {%- endif -%}
{%- endmacro %}
