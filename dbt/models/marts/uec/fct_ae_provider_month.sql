-- A&E performance per reporting organisation and month.
with ae as (
    select * from {{ ref('stg_uec__ae_monthly') }}
),

regions as (
    select * from {{ ref('stg_reference__nhse_regions') }}
),

orgs as (
    select org_code, icb_code from {{ ref('int_organisations__conformed') }}
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
        ae.emergency_admissions_type_1 + ae.emergency_admissions_type_2 + ae.emergency_admissions_other as emergency_admissions_via_ae,
        ae.other_emergency_admissions,
        ae.source_file_name,
        ae.source_file_sha256
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
