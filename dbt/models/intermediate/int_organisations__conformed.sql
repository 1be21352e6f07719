-- Every organisation the warehouse has seen, conformed to one row: its latest name, and its ICB and
-- NHS England region from the 2025-26 System Mapping, falling back to the region the publisher
-- last reported it under (organisations that merged or closed are absent from the mapping).
--
-- A table, not a view like the other intermediate models: it aggregates the whole A&E history, and
-- as a view dim_organisation and each of its tests aggregated it again (four times a build).
{{ config(materialized='table') }}

with ae_orgs as (
    select
        org_code,
        {{ arg_max("org_name", "month_start") }} as org_name,
        {{ arg_max("parent_org_name", "month_start") }} as last_parent_org_name,
        min(month_start) as first_month,
        max(month_start) as last_month
    from {{ ref('stg_uec__ae_monthly') }}
    group by org_code
),

mapping as (
    select * from {{ ref('stg_reference__system_mapping') }}
),

regions as (
    select * from {{ ref('stg_reference__nhse_regions') }}
),

all_codes as (
    select org_code from ae_orgs
    union
    select org_code from mapping
)

select
    all_codes.org_code,
    coalesce(mapping.org_name, ae_orgs.org_name) as org_name,
    case when length(all_codes.org_code) = 3 then 'provider' else 'site' end as org_level,
    mapping.icb_code,
    mapping.icb_name,
    coalesce(mapped_region.region_code, reported_region.region_code) as region_code,
    coalesce(mapped_region.region_name, reported_region.region_name) as region_name,
    case
        when mapping.org_code is not null then 'system_mapping'
        when reported_region.region_code is not null then 'last_reported_parent_org'
    end as region_source,
    mapping.org_code is not null as in_system_mapping,
    ae_orgs.first_month as first_ae_month,
    ae_orgs.last_month as last_ae_month
from all_codes
left join mapping on mapping.org_code = all_codes.org_code
left join ae_orgs on ae_orgs.org_code = all_codes.org_code
left join regions as mapped_region on mapped_region.system_mapping_name = mapping.system_mapping_region_name
left join regions as reported_region on reported_region.publisher_name = ae_orgs.last_parent_org_name
