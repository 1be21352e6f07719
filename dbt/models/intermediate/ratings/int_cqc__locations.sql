-- Every location of every snapshot of every ratings source, in one shape: the API's documents
-- describe a location fully; the exports give its name, provider, category and area only.
select
    snapshot_date,
    source,
    location_id,
    provider_id,
    cast(null as varchar) as provider_name,
    location_name,
    ods_code,
    location_type,
    inspection_directorate,
    primary_inspection_category_name,
    registration_status,
    is_registered,
    registration_date,
    deregistration_date,
    is_care_home,
    number_of_beds,
    local_authority,
    cqc_region,
    postal_code,
    onspd_icb_name,
    latitude,
    longitude
from {{ ref('stg_cqc__locations') }}

union all

select
    snapshot_date,
    source,
    location_id,
    provider_id,
    provider_name,
    location_name,
    ods_code,
    location_type,
    cast(null as varchar) as inspection_directorate,
    primary_inspection_category_name,
    -- The ratings exports list registered (active) locations only.
    'Registered' as registration_status,
    true as is_registered,
    cast(null as date) as registration_date,
    cast(null as date) as deregistration_date,
    cast(null as boolean) as is_care_home,
    cast(null as bigint) as number_of_beds,
    local_authority,
    cqc_region,
    cast(null as varchar) as postal_code,
    cast(null as varchar) as onspd_icb_name,
    cast(null as double) as latitude,
    cast(null as double) as longitude
from {{ ref('stg_cqc__export_locations') }}
