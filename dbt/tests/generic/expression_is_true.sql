{#- Every row satisfies a SQL expression, e.g. `dta_waits_over_12h <= emergency_admissions_via_ae`. -#}
{% test expression_is_true(model, expression, where=none) %}
select *
from {{ model }}
where not ({{ expression }})
{%- if where %} and ({{ where }}){% endif %}
{% endtest %}
