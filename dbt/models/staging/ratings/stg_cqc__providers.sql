-- One row per provider per snapshot, from the CQC API's provider documents.
with source as (
    select * from {{ source('raw_ratings', 'cqc_api_providers') }}
)

select
    cast(_period as date) as snapshot_date,
    upper(trim(provider_id)) as provider_id,
    trim(provider_name) as provider_name,
    trim(ownership_type) as ownership_type,
    trim(provider_type) as provider_type,
    trim(inspection_directorate) as inspection_directorate,
    trim(primary_inspection_category_name) as primary_inspection_category_name,
    nullif(upper(trim(ods_code)), '') as ods_code,
    companies_house_number,
    charity_number,
    trim(registration_status) as registration_status,
    registration_status = 'Registered' as is_registered,
    registration_date,
    deregistration_date,
    brand_id,
    brand_name,
    trim(local_authority) as local_authority,
    trim(region) as cqc_region,
    postal_code,
    onspd_icb_code,
    trim(onspd_icb_name) as onspd_icb_name,
    location_count,
    last_inspection_date,
    last_report_date,
    'api' as source,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
