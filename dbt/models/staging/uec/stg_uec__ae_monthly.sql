-- One row per reporting organisation and month, the publisher's counts with canonical names.
-- Booked-appointment columns are NULL for April-July 2020 (the 16-column layout had none).
with source as (
    select * from {{ source('raw', 'uec_ae_monthly') }}
)

select
    cast(_period as date) as month_start,
    upper(trim(org_code)) as org_code,
    trim(org_name) as org_name,
    upper(trim(parent_org)) as parent_org_name,
    ae_attendances_type_1,
    ae_attendances_type_2,
    ae_attendances_other,
    booked_attendances_type_1,
    booked_attendances_type_2,
    booked_attendances_other,
    over_4h_type_1,
    over_4h_type_2,
    over_4h_other,
    booked_over_4h_type_1,
    booked_over_4h_type_2,
    booked_over_4h_other,
    dta_waits_4_to_12h,
    dta_waits_over_12h,
    emergency_admissions_type_1,
    emergency_admissions_type_2,
    emergency_admissions_other,
    other_emergency_admissions,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
