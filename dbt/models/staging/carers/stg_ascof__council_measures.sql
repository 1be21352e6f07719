-- One row per council, financial year and measure, as Oflog published it, with the ASCOF number.
-- Oflog leaves a value blank where a council did not take part or its value was suppressed; the
-- file does not say which, so value_status is `blank` there.
with source as (
    select * from {{ source('carers', 'ascof_council_measures') }}
),

measures as (
    select * from {{ ref('stg_reference__ascof_measures') }}
)

select
    source._period as financial_year,
    upper(trim(source.la_code)) as la_code,
    trim(source.la_name) as la_name,
    trim(source.region_name) as published_region_name,
    trim(source.la_type) as oflog_council_group,
    measures.measure_code,
    measures.measure_name,
    measures.framework,
    measures.topic,
    measures.unit,
    measures.higher_is_better,
    trim(source.measure) as publisher_measure,
    coalesce(trim(source.oflog_code), measures.oflog_code) as oflog_code,
    source.value,
    case when source.value is null then 'blank' else 'reported' end as value_status,
    source.publisher_median,
    source._file_name as source_file_name,
    source._file_sha256 as source_file_sha256,
    source._loaded_at as loaded_at
from source
left join measures on measures.publisher_measure = trim(source.measure)
