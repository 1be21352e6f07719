-- Every provider the ratings sources name: those the capture fetched documents for, and those its
-- locations point at. NHS trusts (provider ids that are ODS trust codes, e.g. RM3) link to
-- dim_organisation, the same organisations the A&E facts use.
with documented as (
    select *
    from {{ ref('stg_cqc__providers') }}
    qualify row_number() over (partition by provider_id order by snapshot_date desc) = 1
),

referenced as (
    select
        provider_id,
        count(*) as location_count_seen,
        -- Exports print the provider's name beside each location; the API does so only in the provider's own document.
        max(provider_name_in_export) as provider_name_in_export
    from {{ ref('dim_location') }}
    group by provider_id
),

all_providers as (
    select provider_id from documented
    union
    select provider_id from referenced
),

organisations as (
    select * from {{ ref('dim_organisation') }}
    where org_level = 'provider'
),

icbs as (
    select icb_code, icb_name, region_code, lower(icb_name) as icb_name_key from {{ ref('dim_icb') }}
)

select
    all_providers.provider_id,
    coalesce(documented.provider_name, referenced.provider_name_in_export, trust.org_name) as provider_name,
    case
        when documented.provider_name is not null then 'cqc_api'
        when referenced.provider_name_in_export is not null then 'cqc_export'
        when trust.org_name is not null then 'dim_organisation'
    end as provider_name_source,
    documented.ownership_type,
    documented.provider_type,
    documented.inspection_directorate,
    documented.registration_status,
    documented.registration_date,
    documented.deregistration_date,
    documented.companies_house_number,
    documented.local_authority,
    trust.org_code as nhs_trust_code,
    trust.org_code is not null as is_nhs_trust,
    coalesce(trust.icb_code, postcode_icb.icb_code) as icb_code,
    coalesce(trust.icb_name, postcode_icb.icb_name) as icb_name,
    coalesce(trust.region_code, postcode_icb.region_code) as region_code,
    coalesce(referenced.location_count_seen, 0) as location_count_seen,
    documented.snapshot_date as described_as_at
from all_providers
left join documented on documented.provider_id = all_providers.provider_id
left join referenced on referenced.provider_id = all_providers.provider_id
left join organisations as trust on trust.org_code = all_providers.provider_id
left join icbs as postcode_icb on postcode_icb.icb_name_key = lower(documented.onspd_icb_name)
