-- Every location the ratings sources have seen, as its newest snapshot describes it (the API's
-- documents before an export's rows on the same date), placed in an
-- ICB and NHS England region, and linked to the NHS trust (dim_organisation) where its provider is one.
with latest as (
    select *
    from {{ ref('int_cqc__locations') }}
    qualify row_number() over (
        partition by location_id
        order by snapshot_date desc, case source when 'api' then 0 else 1 end
    ) = 1
),

organisations as (
    select * from {{ ref('dim_organisation') }}
),

icbs as (
    -- The API names the ICB its postcode lies in by ONS code (E54...); the System Mapping uses the
    -- ODS code (Q...). Both print the same name, so the names join them (case aside).
    select icb_code, icb_name, region_code, lower(icb_name) as icb_name_key from {{ ref('dim_icb') }}
),

regions as (
    select * from {{ ref('dim_region') }}
)

select
    latest.location_id,
    latest.location_name,
    latest.provider_id,
    latest.provider_name as provider_name_in_export,
    latest.location_type as sector,
    latest.inspection_directorate,
    latest.primary_inspection_category_name,
    latest.registration_status,
    latest.is_registered,
    latest.registration_date,
    latest.deregistration_date,
    latest.is_care_home,
    latest.number_of_beds,
    latest.local_authority,
    latest.cqc_region,
    latest.postal_code,
    latest.latitude,
    latest.longitude,
    trust.org_code as nhs_trust_code,
    trust.org_name as nhs_trust_name,
    site.org_code as nhs_site_code,
    coalesce(postcode_icb.icb_code, trust.icb_code) as icb_code,
    coalesce(postcode_icb.icb_name, trust.icb_name) as icb_name,
    case
        when postcode_icb.icb_code is not null then 'postcode'
        when trust.icb_code is not null then 'nhs_trust'
    end as icb_source,
    coalesce(postcode_icb.region_code, trust.region_code) as region_code,
    regions.region_name,
    latest.snapshot_date as described_as_at,
    latest.source
from latest
left join organisations as trust
    on trust.org_code = latest.provider_id and trust.org_level = 'provider'
left join organisations as site
    on site.org_code = latest.location_id
left join icbs as postcode_icb
    on postcode_icb.icb_name_key = lower(latest.onspd_icb_name)
left join regions
    on regions.region_code = coalesce(postcode_icb.region_code, trust.region_code)
