-- NHS and local-government financial years run April to March and are written 2023-24.
{% macro financial_year(date_expr) -%}
    case
        when extract(month from {{ date_expr }}) >= 4
            then cast(extract(year from {{ date_expr }}) as varchar) || '-' || right(cast(extract(year from {{ date_expr }}) + 1 as varchar), 2)
        else cast(extract(year from {{ date_expr }}) - 1 as varchar) || '-' || right(cast(extract(year from {{ date_expr }}) as varchar), 2)
    end
{%- endmacro %}
