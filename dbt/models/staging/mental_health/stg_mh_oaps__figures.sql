-- One row per month, question and breakdown as NHS Digital published it, the question mapped to its
-- stable measure and band (seed oaps_questions) and the breakdown to what it is (seed oaps_breakdowns).
-- The gate quarantines a file with a question or breakdown the seeds do not know, so every row maps.
with source as (
    select * from {{ source('mental_health', 'mh_oaps_monthly') }}
),

questions as (
    select * from {{ ref('oaps_questions') }}
),

breakdowns as (
    select * from {{ ref('oaps_breakdowns') }}
)

select
    cast(source._period as date) as month_start,
    source.question as publisher_question,
    questions.measure_name,
    questions.band,
    questions.band_lower,
    questions.band_upper,
    questions.band_unit,
    questions.unit,
    source.breakdown1 as publisher_breakdown1,
    first_breakdown.breakdown as breakdown1,
    source.breakdown1_code,
    source.breakdown1_description,
    source.breakdown2 as publisher_breakdown2,
    second_breakdown.breakdown as breakdown2,
    source.breakdown2_code,
    source.breakdown2_description,
    source.value,
    source.value is null as is_suppressed,
    -- The publisher rounds placement counts below England to the nearest 5 (not days, costs or shares).
    coalesce(
        questions.unit = 'placements'
        and first_breakdown.counts_rounded_to_5
        and coalesce(source.breakdown1_code, '') <> 'England',
        false
    ) as is_rounded_to_5,
    source.publication_date,
    source._file_name as source_file_name,
    source._file_sha256 as source_file_sha256,
    source._loaded_at as loaded_at,
    source._row_number as source_row_number
from source
left join questions on questions.publisher_question = source.question
left join breakdowns as first_breakdown on first_breakdown.publisher_breakdown = source.breakdown1
left join breakdowns as second_breakdown on second_breakdown.publisher_breakdown = source.breakdown2
