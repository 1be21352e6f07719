{{ config(meta={'dagster': {'ref': {'name': 'mart_uec_region_month'}}}) }}
-- The mart's England row equals the England total row NHS England printed in each month's file.
with publisher as (
    select
        cast(_period as date) as month_start,
        ae_attendances_type_1 + ae_attendances_type_2 + ae_attendances_other as ae_attendances,
        dta_waits_over_12h,
        emergency_admissions_type_1 + emergency_admissions_type_2 + emergency_admissions_other as emergency_admissions_via_ae
    from {{ source('raw', 'uec_ae_monthly__totals') }}
)

select publisher.*, mart.ae_attendances as mart_ae_attendances,
       mart.dta_waits_over_12h as mart_dta_waits_over_12h,
       mart.emergency_admissions_via_ae as mart_emergency_admissions_via_ae
from publisher
left join {{ ref('mart_uec_region_month') }} as mart
    on mart.month_start = publisher.month_start and mart.is_england
where mart.month_start is null
   or mart.ae_attendances <> publisher.ae_attendances
   or mart.dta_waits_over_12h <> publisher.dta_waits_over_12h
   or mart.emergency_admissions_via_ae <> publisher.emergency_admissions_via_ae
