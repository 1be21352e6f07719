-- HCHS staff FTE per organisation, month and conformed staff group: doctors' grades and
-- nationalities summed, so each person's FTE is counted once. The region is the one the publisher
-- printed on the row (Workforce Statistics layout) or, where the row has none, the organisation's
-- region from int_workforce__organisation_regions.
with staff as (
    select * from {{ ref('stg_workforce__staff_fte') }}
),

organisation_regions as (
    select * from {{ ref('int_workforce__organisation_regions') }}
),

regions as (
    select * from {{ ref('dim_region') }}
)

select
    staff.month_start,
    staff.org_code,
    arg_max(staff.org_name, staff.fte) as org_name,
    staff.staff_group,
    coalesce(printed.region_code, organisation_regions.region_code) as region_code,
    case when printed.region_code is not null then 'publisher' else organisation_regions.region_source end as region_source,
    organisation_regions.icb_code,
    sum(staff.fte) as fte,
    count(*) as source_rows,
    any_value(staff.layout) as layout
from staff
left join regions as printed on printed.region_code = staff.publisher_region_code
left join organisation_regions on organisation_regions.org_code = staff.org_code
group by all
