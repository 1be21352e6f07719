-- One row per provider x service x key question x snapshot (NHS trusts and other providers CQC
-- rates as a whole), rating spellings folded as for locations.
with ratings as (
    select
        cast(_period as date) as snapshot_date,
        upper(trim(provider_id)) as provider_id,
        nullif(trim(service_name), '') as service,
        trim(key_question) as published_key_question,
        trim(rating) as published_rating,
        report_date,
        'api' as source
    from {{ source_part('raw_ratings', 'cqc_api_providers', 'ratings') }}
)

select
    ratings.snapshot_date,
    ratings.provider_id,
    ratings.service,
    key_questions.key_question,
    rating_values.rating,
    rating_values.is_rated,
    ratings.published_rating,
    ratings.report_date,
    ratings.source
from ratings
left join {{ ref('cqc_rating_values') }} as rating_values on rating_values.published_value = lower(ratings.published_rating)
left join {{ ref('cqc_key_questions') }} as key_questions on key_questions.published_value = lower(ratings.published_key_question)
