-- A council's name as a join key across publishers: CQC may write "Bristol" where ONS writes
-- "Bristol, City of"; "&" and "and", case, punctuation and a trailing "Council" vary too.
{% macro council_name_key(name_expr) -%}
    {{ regexp_replace_all(
        regexp_replace_all(
            "replace(lower(trim(" ~ name_expr ~ ")), '&', 'and')",
            "'(, (city|county) of$|^(city|county) of | council$)'", "''"
        ),
        "'[^a-z0-9]'", "''"
    ) }}
{%- endmacro %}

{#- The reference values fct_ae_provider_month copies into each row: every spelling of a publisher's
    region (its region code and name) and every organisation's ICB, as kind, key, value text
    (macros/reference_as_built.sql). Both come from seeds, so this is a few hundred rows however
    long the A&E history is. -#}
{% macro ae_reference_now() -%}
select 'region' as kind, publisher_name as key, region_code || ' | ' || region_name as value
from {{ ref('stg_reference__nhse_regions') }}
union all
select 'icb' as kind, org_code as key, icb_code as value
from {{ ref('stg_reference__system_mapping') }}
{%- endmacro %}
