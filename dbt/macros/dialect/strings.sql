{#- String functions DuckDB and Spark both have, with different arguments. -#}

{#- Every match of `pattern` in `expression` replaced by `replacement` (both SQL string literals,
    as written in the call: "'[^a-z]'"). The patterns the models use mean the same in DuckDB's RE2
    and Spark's Java regular expressions. -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'nhs_warehouse')(expression, pattern, replacement)) }}
{%- endmacro %}

{#- DuckDB replaces the first match only, unless given the 'g' option. -#}
{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{#- Spark replaces every match (its fourth argument is a start position, not options). -#}
{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}
