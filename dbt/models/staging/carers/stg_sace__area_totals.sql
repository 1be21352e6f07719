-- The Survey of Adult Carers' England (E92) and regional (E12) rows, as the tables print them: the
-- publisher's weighted estimates over every responding carer in the area, not sums of the councils.
-- Read as a part of the raw asset's main source (raw.sace_council_tables__totals), so the raw
-- asset keeps one dbt source and one Dagster asset key.
with source as (
    select * from {{ source_part('carers', 'sace_council_tables', 'totals') }}
)

select
    source._period as financial_year,
    upper(trim(source.la_code)) as area_code,
    trim(source.la_name) as area_name,
    case when upper(trim(source.la_code)) like 'E92%' or lower(trim(source.la_name)) = 'england' then 'england' else 'region' end
        as area_level,
    source.measure_code,
    source.measure_name,
    source.measure_label,
    source.value,
    source.value_status,
    source.value_marker,
    source.table_name,
    source._file_name as source_file_name,
    source._file_sha256 as source_file_sha256,
    source._loaded_at as loaded_at
from source
