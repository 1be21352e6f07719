-- A&E performance per reporting organisation and month.
--
-- Incremental by month on DuckDB: a build replaces only the months loaded (or revised) since this
-- model last built (macros/changed_since.sql), so adding a month costs the same however long the
-- history is. Every month is rebuilt when the reference data (the regions' spellings and the
-- organisations' ICBs, macros/geography.sql) differs from what the last build used, and on
-- `dbt build --full-refresh`. Adapters without a delete+insert strategy (dbt-spark) build it as a
-- table. Under its contract (dbt_project.yml) a column added to the model and its YAML is appended
-- to the existing table (dbt allows only append_new_columns or fail with a contract); a column
-- removed stays in the table, NULL in new months, until `dbt build --full-refresh`.
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key='month_start',
    on_schema_change='append_new_columns',
    post_hook="{{ remember_reference_as_built(ae_reference_now()) }}",
) }}

{#- A table built before the model was incremental has no loaded_at: rebuild every month once. -#}
{%- set incremental = is_incremental()
    and 'loaded_at' in (adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list) %}
{#- The reference data as the last build used it and as it is now: any difference (a renamed region,
    an organisation moved to another ICB, a reference row duplicated, or no record of the last
    build's) rebuilds every month. Two lists of a few hundred rows, not the rows built so far. -#}
{%- set rebuild_all = incremental and reference_moved(ae_reference_now()) %}

with
regions as (
    select * from {{ ref('stg_reference__nhse_regions') }}
),

-- An organisation's ICB is the System Mapping's (int_organisations__conformed takes the same one);
-- read from the seed, not the conformed model, which aggregates the whole A&E history.
orgs as (
    select org_code, icb_code from {{ ref('stg_reference__system_mapping') }}
),

ae as (
    select * from {{ ref('stg_uec__ae_monthly') }}
    {%- if incremental and not rebuild_all %}
        -- The months loaded since this model last built (a new month, or a new vintage of one: a
        -- partition is replaced whole, every row with the new loaded_at).
        where loaded_at >= {{ changed_since() }}
    {%- endif %}
),

measures as (
    select
        ae.month_start,
        ae.org_code,
        ae.org_name,
        regions.region_code,
        regions.region_name,
        orgs.icb_code,
        ae.ae_attendances_type_1,
        ae.ae_attendances_type_2,
        ae.ae_attendances_other,
        ae.ae_attendances_type_1 + ae.ae_attendances_type_2 + ae.ae_attendances_other as ae_attendances,
        ae.booked_attendances_type_1 + ae.booked_attendances_type_2 + ae.booked_attendances_other as booked_appointments,
        ae.over_4h_type_1 + ae.over_4h_type_2 + ae.over_4h_other as attendances_over_4h,
        ae.dta_waits_4_to_12h,
        ae.dta_waits_over_12h,
        ae.emergency_admissions_type_1,
        ae.emergency_admissions_type_2,
        ae.emergency_admissions_other,
        ae.emergency_admissions_type_1 + ae.emergency_admissions_type_2 + ae.emergency_admissions_other
            as emergency_admissions_via_ae,
        ae.other_emergency_admissions,
        ae.source_file_name,
        ae.source_file_sha256,
        ae.loaded_at,
        {{ this_build_started() }} as built_at
    from ae
    left join regions on regions.publisher_name = ae.parent_org_name
    left join orgs on orgs.org_code = ae.org_code
)

select
    *,
    emergency_admissions_via_ae + other_emergency_admissions as emergency_admissions,
    {{ percent('ae_attendances - attendances_over_4h', 'ae_attendances') }} as pct_within_4h,
    {{ percent('dta_waits_over_12h', 'emergency_admissions_via_ae') }} as pct_dta_over_12h,
    {{ percent('emergency_admissions_via_ae', 'ae_attendances') }} as conversion_rate
from measures
