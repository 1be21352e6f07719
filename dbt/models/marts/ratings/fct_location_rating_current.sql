-- CQC's current rating of each location, per service/population group (NULL: the location as a
-- whole) and key question (Overall, Safe, Effective, Caring, Responsive, Well-led).
with current_ratings as (
    select * from {{ ref('int_cqc__location_ratings_current') }}
),

locations as (
    select location_id, provider_id from {{ ref('dim_location') }}
)

select
    current_ratings.location_id,
    locations.provider_id,
    current_ratings.service,
    current_ratings.service_code,
    current_ratings.key_question,
    current_ratings.key_question_order,
    current_ratings.rating,
    current_ratings.is_rated,
    current_ratings.rating_order,
    current_ratings.report_date,
    current_ratings.rated_organisation_id,
    current_ratings.snapshot_date as as_at_date,
    current_ratings.source,
    current_ratings.rating_key,
    -- The landed file (API capture or export) the rating was read from: `nhs-warehouse explain`.
    current_ratings.source_file_sha256
from current_ratings
left join locations on locations.location_id = current_ratings.location_id
