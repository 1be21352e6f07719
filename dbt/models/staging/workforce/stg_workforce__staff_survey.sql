-- Staff Survey results per organisation and question, with the stable measure name for questions
-- the warehouse maps (the questionnaire renumbers them between years: q23d 2022 = q25d 2023).
with source as (
    select * from {{ source('workforce', 'nhs_staff_survey') }}
),

questions as (
    select * from {{ ref('staff_survey_questions') }}
)

select
    source.survey_year,
    source._period as financial_year,
    upper(trim(source.org_code)) as org_code,
    trim(source.org_name) as org_name,
    trim(source.benchmark_group) as benchmark_group,
    source.responses,
    source.question_code,
    questions.measure_name,
    questions.question_text,
    source.value as percent_positive,
    source.value_marker,
    source._file_name as source_file_name,
    source._file_sha256 as source_file_sha256,
    source._loaded_at as loaded_at
from source
left join questions
    on questions.survey_year = source.survey_year
    and questions.question_code = source.question_code
