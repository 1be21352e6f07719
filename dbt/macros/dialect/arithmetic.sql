{#- Integer division: the integer quotient, rounded toward zero for the positive operands the
    models use (DuckDB `//`, Spark `div`). -#}
{% macro integer_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('integer_divide', 'nhs_warehouse')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__integer_divide(numerator, denominator) -%}
    ({{ numerator }}) // ({{ denominator }})
{%- endmacro %}

{% macro spark__integer_divide(numerator, denominator) -%}
    ({{ numerator }}) div ({{ denominator }})
{%- endmacro %}
