with source as (
    select * from {{ source('workforce', 'nhs_doctors_by_specialty') }}
)

select
    cast(_period as date) as month_start,
    upper(trim(org_code)) as org_code,
    trim(org_name) as org_name,
    upper(trim(region_code)) as publisher_region_code,
    trim(specialty_group) as specialty_group,
    trim(specialty) as specialty,
    trim(grade) as grade,
    fte,
    headcount,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
