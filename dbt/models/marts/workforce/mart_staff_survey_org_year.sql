-- NHS Staff Survey results per organisation, question and survey year, with the stable measure
-- name the staff_survey_questions seed gives each year's question number (q23d in 2022 and q25d
-- from 2023 are one measure). Suppressed results (fewer than 11 respondents) stay NULL, flagged.
with survey as (
    select * from {{ ref('stg_workforce__staff_survey') }}
)

select
    cast(survey_year as integer) as survey_year,
    financial_year,
    org_code,
    org_name,
    benchmark_group,
    cast(responses as integer) as responses,
    question_code,
    measure_name,
    question_text,
    percent_positive,
    value_marker is not null as is_suppressed,
    source_file_name,
    source_file_sha256
from survey
