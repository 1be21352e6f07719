-- Sickness absence per organisation and month: every organisation NHS Digital reports, trusts,
-- integrated care boards, commissioning support units and national bodies alike. The rate is
-- recomputed from FTE days lost and available (unrounded, percent); the publisher's rounded rate
-- is kept beside it and a test holds them to the publisher's rounding.
with absence as (
    select * from {{ ref('stg_workforce__sickness_absence') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

icbs as (
    select * from {{ ref('dim_icb') }}
),

organisations as (
    select * from {{ ref('dim_organisation') }}
)

select
    absence.month_start,
    absence.org_code,
    absence.org_name,
    absence.org_type,
    -- QZZ ("Special Health Authorities and other statutory bodies") is not an NHS England region.
    regions.region_code,
    coalesce(regions.region_name, absence.publisher_region_name) as region_name,
    absence.publisher_region_code,
    icbs.icb_code,
    coalesce(icbs.icb_name, absence.publisher_ics_name) as icb_name,
    absence.publisher_ics_code,
    organisations.org_code is not null as in_dim_organisation,
    absence.fte_days_lost,
    absence.fte_days_available,
    {{ percent('absence.fte_days_lost', 'absence.fte_days_available') }} as sickness_absence_rate,
    absence.publisher_rate_percent,
    absence.source_file_name
from absence
left join regions on regions.region_code = absence.publisher_region_code
left join icbs on icbs.icb_code = absence.publisher_ics_code
left join organisations on organisations.org_code = absence.org_code
