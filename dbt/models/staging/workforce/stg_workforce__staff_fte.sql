-- HCHS staff FTE by organisation and staff group, leaf rows only (the publisher's subtotals are in
-- the __totals table and never summed again). Staff groups are conformed across the two layouts:
-- Workforce Statistics lists doctors by grade (HCHS doctors - Consultant, ...) and calls the
-- unknown group "Unknown classification"; the nationality workbook has "HCHS doctors" and "Unknown".
with source as (
    select * from {{ source('workforce', 'nhs_staff_fte') }}
)

select
    cast(_period as date) as month_start,
    layout,
    upper(trim(org_code)) as org_code,
    trim(org_name) as org_name,
    upper(trim(region_code)) as publisher_region_code,
    trim(region_name) as publisher_region_name,
    upper(trim(ics_code)) as publisher_ics_code,
    trim(main_staff_group) as main_staff_group,
    trim(staff_group) as published_staff_group,
    case
        when staff_group ilike 'HCHS doctors - %' then 'HCHS doctors'
        when trim(staff_group) = 'Unknown classification' then 'Unknown'
        else trim(staff_group)
    end as staff_group,
    case
        when staff_group ilike 'HCHS doctors - %' then trim(substr(staff_group, length('HCHS doctors - ') + 1))
    end as doctor_grade,
    trim(nationality) as nationality,
    fte,
    headcount,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
