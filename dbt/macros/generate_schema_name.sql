{#- Schemas are named for their layer (staging, intermediate, marts, reference), not prefixed with the
    target schema: analysts query `marts.mart_uec_region_month`, and the same names hold on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
