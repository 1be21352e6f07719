-- One row per organisation and month as NHS Digital published it: trusts, integrated care boards,
-- commissioning support units and national bodies (region and ICS code QZZ).
with source as (
    select * from {{ source('workforce', 'nhs_sickness_absence_monthly') }}
)

select
    cast(_period as date) as month_start,
    month_end,
    upper(trim(org_code)) as org_code,
    trim(org_name) as org_name,
    trim(org_type) as org_type,
    upper(trim(region_code)) as publisher_region_code,
    trim(region_name) as publisher_region_name,
    upper(trim(ics_code)) as publisher_ics_code,
    trim(ics_name) as publisher_ics_name,
    fte_days_lost,
    fte_days_available,
    sickness_absence_rate_percent as publisher_rate_percent,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
