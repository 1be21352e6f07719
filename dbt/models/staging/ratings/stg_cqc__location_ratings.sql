-- One row per location x service/population group x key question x snapshot: CQC's current ratings
-- as each snapshot (API capture or export) published them, with rating spellings folded to the
-- ones CQC's reports print.
with api as (
    select
        cast(_period as date) as snapshot_date,
        upper(trim(location_id)) as location_id,
        nullif(trim(service_code), '') as service_code,
        nullif(trim(service_name), '') as service,
        trim(key_question) as published_key_question,
        trim(rating) as published_rating,
        report_date,
        nullif(upper(trim(rated_organisation_id)), '') as rated_organisation_id,
        'api' as source,
        _file_sha256 as source_file_sha256
    from {{ source_part('raw_ratings', 'cqc_api_locations', 'ratings') }}
),

export as (
    select
        cast(_period as date) as snapshot_date,
        upper(trim(location_id)) as location_id,
        cast(null as varchar) as service_code,
        -- The workbook calls the location as a whole 'Overall'; the warehouse calls it NULL.
        case when lower(trim(service)) = 'overall' then null else nullif(trim(service), '') end as service,
        trim(key_question) as published_key_question,
        trim(rating) as published_rating,
        -- In the locations CSV, Publication Date repeats the location's registration date on every
        -- row of the bundled export (999 of 999), so it does not say when a rating was published.
        case when export_kind = 'locations_csv' then null else publication_date end as report_date,
        cast(null as varchar) as rated_organisation_id,
        'export' as source,
        _file_sha256 as source_file_sha256
    from {{ source('raw_ratings', 'cqc_ratings_export') }}
),

ratings as (
    select * from api
    union all
    select * from export
),

rating_values as (
    select * from {{ ref('cqc_rating_values') }}
),

key_questions as (
    select * from {{ ref('cqc_key_questions') }}
)

select
    ratings.snapshot_date,
    ratings.location_id,
    ratings.service_code,
    ratings.service,
    key_questions.key_question,
    key_questions.key_question_order,
    rating_values.rating,
    rating_values.is_rated,
    rating_values.rating_order,
    ratings.published_rating,
    ratings.report_date,
    ratings.rated_organisation_id,
    ratings.source,
    ratings.source_file_sha256,
    -- One identity per rating across snapshots and sources (service is NULL for the whole location).
    ratings.location_id || '|' || coalesce(ratings.service, '(location)') || '|' || key_questions.key_question as rating_key
from ratings
left join rating_values on rating_values.published_value = lower(ratings.published_rating)
left join key_questions on key_questions.published_value = lower(ratings.published_key_question)
