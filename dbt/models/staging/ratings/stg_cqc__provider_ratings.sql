-- One row per provider x service x key question x snapshot (NHS trusts and other providers CQC
-- rates as a whole), rating spellings folded as for locations.
with ratings as (
    select
        cast(_period as date) as snapshot_date,
        upper(trim(provider_id)) as provider_id,
        nullif(trim(service_code), '') as service_code,
        nullif(trim(service_name), '') as service,
        trim(key_question) as published_key_question,
        trim(rating) as published_rating,
        report_date,
        'api' as source,
        _file_sha256 as source_file_sha256
    from {{ source_part('raw_ratings', 'cqc_api_providers', 'ratings') }}
)

select
    ratings.snapshot_date,
    ratings.provider_id,
    ratings.service_code,
    ratings.service,
    key_questions.key_question,
    key_questions.key_question_order,
    rating_values.rating,
    rating_values.is_rated,
    rating_values.rating_order,
    ratings.published_rating,
    ratings.report_date,
    ratings.source,
    ratings.source_file_sha256
from ratings
left join {{ ref('cqc_rating_values') }} as rating_values on rating_values.published_value = lower(ratings.published_rating)
left join {{ ref('cqc_key_questions') }} as key_questions on key_questions.published_value = lower(ratings.published_key_question)
