{#- The national ambulance response standards (NHS England, Ambulance Response Programme, 2017) as
    flags over a relation with c1/c2 mean and 90th centile seconds: C1 mean 7 minutes, 90th centile
    15; C2 mean 18 minutes, 90th centile 40. NULL where the time is NULL (not reported). -#}
{% macro ambulance_standards(relation) -%}
    {{ relation }}.c1_mean_seconds <= 7 * 60 as meets_c1_mean_standard,
    {{ relation }}.c1_p90_seconds <= 15 * 60 as meets_c1_p90_standard,
    {{ relation }}.c2_mean_seconds <= 18 * 60 as meets_c2_mean_standard,
    {{ relation }}.c2_p90_seconds <= 40 * 60 as meets_c2_p90_standard
{%- endmacro %}
