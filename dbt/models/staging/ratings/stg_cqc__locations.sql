-- One row per location per snapshot, from the CQC API's location documents.
with source as (
    select * from {{ source('raw_ratings', 'cqc_api_locations') }}
)

select
    cast(_period as date) as snapshot_date,
    upper(trim(location_id)) as location_id,
    upper(trim(provider_id)) as provider_id,
    trim(location_name) as location_name,
    nullif(upper(trim(ods_code)), '') as ods_code,
    trim(location_type) as location_type,
    trim(inspection_directorate) as inspection_directorate,
    trim(primary_inspection_category_code) as primary_inspection_category_code,
    trim(primary_inspection_category_name) as primary_inspection_category_name,
    gac_service_types,
    trim(registration_status) as registration_status,
    registration_status = 'Registered' as is_registered,
    registration_date,
    deregistration_date,
    dormancy = 'Y' as is_dormant,
    care_home = 'Y' as is_care_home,
    number_of_beds,
    brand_id,
    brand_name,
    trim(local_authority) as local_authority,
    trim(region) as cqc_region,
    postal_code,
    onspd_icb_code,
    trim(onspd_icb_name) as onspd_icb_name,
    latitude,
    longitude,
    last_inspection_date,
    last_report_date,
    'api' as source,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    source_document,
    _loaded_at as loaded_at
from source
