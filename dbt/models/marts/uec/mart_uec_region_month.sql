-- A&E performance by NHS England region and month, plus an England row: the roll-up NHS England
-- and CQC publish (State of Care 2022/23 figure 20 is the June 2023 slice). Regions are the
-- publisher's Parent Org in each month's file, so a month adds up as it was published.
with facts as (
    select * from {{ ref('fct_ae_provider_month') }}
),

by_area as (
    select
        month_start,
        region_code,
        region_name,
        count(*) as reporting_organisations,
        cast(sum(ae_attendances) as bigint) as ae_attendances,
        cast(sum(booked_appointments) as bigint) as booked_appointments,
        cast(sum(attendances_over_4h) as bigint) as attendances_over_4h,
        cast(sum(dta_waits_4_to_12h) as bigint) as dta_waits_4_to_12h,
        cast(sum(dta_waits_over_12h) as bigint) as dta_waits_over_12h,
        cast(sum(emergency_admissions_via_ae) as bigint) as emergency_admissions_via_ae,
        cast(sum(other_emergency_admissions) as bigint) as other_emergency_admissions,
        cast(sum(emergency_admissions) as bigint) as emergency_admissions
    from facts
    group by grouping sets ((month_start, region_code, region_name), (month_start))
)

select
    month_start,
    coalesce(region_code, 'ENG') as region_code,
    coalesce(region_name, 'England') as region_name,
    region_code is null as is_england,
    reporting_organisations,
    ae_attendances,
    booked_appointments,
    attendances_over_4h,
    dta_waits_4_to_12h,
    dta_waits_over_12h,
    emergency_admissions_via_ae,
    other_emergency_admissions,
    emergency_admissions,
    {{ percent('ae_attendances - attendances_over_4h', 'ae_attendances') }} as pct_within_4h,
    {{ percent('dta_waits_over_12h', 'emergency_admissions_via_ae') }} as pct_dta_over_12h,
    {{ percent('emergency_admissions_via_ae', 'ae_attendances') }} as conversion_rate,
    {{ percent('emergency_admissions_via_ae', 'ae_attendances + booked_appointments') }} as conversion_rate_incl_booked
from by_area
