{#- Date series and formatting. -#}

{#- A select-list expression that turns one row into one row per month from `first` to `last`
    (both month starts, inclusive), as dates. -#}
{% macro unnest_month_series(first, last) -%}
    {{ return(adapter.dispatch('unnest_month_series', 'nhs_warehouse')(first, last)) }}
{%- endmacro %}

{% macro default__unnest_month_series(first, last) -%}
    cast(unnest(generate_series({{ first }}, {{ last }}, interval 1 month)) as date)
{%- endmacro %}

{% macro spark__unnest_month_series(first, last) -%}
    explode(sequence(cast({{ first }} as date), cast({{ last }} as date), interval 1 month))
{%- endmacro %}


{#- A date as text, the format written once in strftime codes (%Y %m %d %B %b %y). Spark's
    date_format takes Java patterns, so the codes are translated for it. -#}
{% macro format_date(expression, strftime_format) -%}
    {{ return(adapter.dispatch('format_date', 'nhs_warehouse')(expression, strftime_format)) }}
{%- endmacro %}

{% macro default__format_date(expression, strftime_format) -%}
    strftime({{ expression }}, '{{ strftime_format }}')
{%- endmacro %}

{% macro spark__format_date(expression, strftime_format) -%}
    {%- set java = {'%Y': 'yyyy', '%y': 'yy', '%m': 'MM', '%d': 'dd', '%B': 'MMMM', '%b': 'MMM'} -%}
    {%- set pattern = namespace(text=strftime_format) -%}
    {%- for code, replacement in java.items() -%}
        {%- set pattern.text = pattern.text.replace(code, replacement) -%}
    {%- endfor -%}
    {%- if '%' in pattern.text -%}
        {{ exceptions.raise_compiler_error("format_date: no Spark pattern for a code in '" ~ strftime_format ~ "'") }}
    {%- endif -%}
    date_format({{ expression }}, '{{ pattern.text }}')
{%- endmacro %}
