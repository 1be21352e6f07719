{#- Ratio helpers shared by every mart, so a rate means the same thing everywhere. -#}

{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0)
{%- endmacro %}

{#- A percentage on the 0-100 scale, unrounded (round only for display). -#}
{% macro percent(numerator, denominator) -%}
    100.0 * {{ safe_divide(numerator, denominator) }}
{%- endmacro %}
