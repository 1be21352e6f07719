-- The NHS England region (and ICB) of every organisation in a workforce publication, for rows
-- that do not say: the nationality workbook gives only the organisation code. In order of trust:
-- dim_organisation (the 2025-26 System Mapping, or the region the A&E file last reported), then
-- the region the sickness absence file last gave the organisation (it covers ICBs, support units
-- and trusts absent from the A&E file). Organisations that closed before 2024 (e.g. the CCGs of
-- 2017-18) are in neither and have no region.
with workforce_orgs as (
    select org_code, {{ arg_max("org_name", "month_start") }} as org_name
    from {{ ref('stg_workforce__staff_fte') }}
    group by org_code
    union
    select org_code, {{ arg_max("org_name", "month_start") }} as org_name
    from {{ ref('stg_workforce__sickness_absence') }}
    group by org_code
),

absence as (
    select
        org_code,
        {{ arg_max("publisher_region_code", "month_start") }} as region_code,
        {{ arg_max("publisher_ics_code", "month_start") }} as icb_code
    from {{ ref('stg_workforce__sickness_absence') }}
    group by org_code
),

organisations as (
    select * from {{ ref('dim_organisation') }}
),

regions as (
    select * from {{ ref('dim_region') }}
)

select
    workforce_orgs.org_code,
    coalesce(organisations.region_code, regions.region_code) as region_code,
    coalesce(organisations.icb_code, case when absence.icb_code <> 'QZZ' then absence.icb_code end) as icb_code,
    case
        when organisations.region_code is not null then 'dim_organisation'
        when regions.region_code is not null then 'sickness_absence'
        when absence.region_code = 'QZZ' then 'national_body'
    end as region_source
from (
    select org_code, max(org_name) as org_name
    from workforce_orgs
    group by org_code
) as workforce_orgs
left join organisations on organisations.org_code = workforce_orgs.org_code
left join absence on absence.org_code = workforce_orgs.org_code
left join regions on regions.region_code = absence.region_code
