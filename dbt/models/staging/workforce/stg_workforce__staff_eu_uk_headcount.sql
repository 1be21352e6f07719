-- Headcount of HCHS staff with an EU or UK nationality by organisation (2016 and 2017 tables).
-- People, not FTE: "All staff" is the publisher's own count, not the sum of the staff groups.
with source as (
    select * from {{ source('workforce', 'nhs_staff_eu_uk_headcount') }}
)

select
    cast(_period as date) as month_start,
    upper(trim(org_code)) as org_code,
    trim(org_name) as org_name,
    hee_region_code,
    trim(hee_region_name) as hee_region_name,
    nationality_group,
    staff_group,
    headcount,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
