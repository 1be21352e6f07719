-- Survey of Adult Carers in England by council and measure. A publisher symbol leaves the value
-- NULL and value_status says why: suppressed ([c], c) or not available ([x], :, blank).
with source as (
    select * from {{ source('carers', 'sace_council_tables') }}
)

select
    source._period as financial_year,
    upper(trim(source.la_code)) as la_code,
    trim(source.la_name) as la_name,
    trim(source.region_name) as published_region_name,
    source.measure_code,
    source.measure_name,
    source.measure_label,
    case when source.measure_code = '1D' then 'score out of 12' else 'percent' end as unit,
    source.value,
    source.value_status,
    source.value_marker,
    source.table_name,
    source._file_name as source_file_name,
    source._file_sha256 as source_file_sha256,
    source._loaded_at as loaded_at
from source
