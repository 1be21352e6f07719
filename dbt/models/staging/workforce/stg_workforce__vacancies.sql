-- Vacancies by NHS England region and staff group at each quarter end. Suppressed values are NULL.
with source as (
    select * from {{ source('workforce', 'nhs_vacancies') }}
)

select
    cast(_period as date) as quarter_end_month,
    trim(period) as published_period,
    upper(trim(region_code)) as region_code,
    trim(region_name) as publisher_region_name,
    trim(staff_group) as staff_group,
    vacancy_fte,
    planned_workforce_fte,
    vacancy_rate_percent,
    _file_name as source_file_name,
    _file_sha256 as source_file_sha256,
    _loaded_at as loaded_at
from source
