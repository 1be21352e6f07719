-- How CQC's current ratings of providers as a whole are distributed by type of provider (NHS
-- trusts: acute, ambulance, ... from the cited nhs_trust_types reference; other providers: CQC's
-- type) and key question, for England and each NHS England region, as at the newest API snapshot.
-- The question State of Care asks ("how many of the 10 ambulance trusts are rated requires
-- improvement or inadequate") is a row here. Conventions as mart_ratings_distribution: registered
-- providers only; percentages over rated providers only (Outstanding, Good, Requires improvement,
-- Inadequate); not-rated categories counted but without a percentage.
with newest as (
    select max(as_at_date) as as_at_date from {{ ref('fct_provider_rating_current') }}
),

ratings as (
    select
        ratings.as_at_date,
        case when ratings.is_nhs_trust then 'NHS trusts' else 'Other providers' end as provider_group,
        ratings.provider_type,
        ratings.key_question,
        ratings.key_question_order,
        ratings.rating,
        ratings.is_rated,
        ratings.rating_order,
        -- Providers with no known region still count for England; they form their own area.
        coalesce(ratings.region_code, 'UNKNOWN') as region_code,
        coalesce(ratings.region_name, 'Region not known') as region_name
    from {{ ref('fct_provider_rating_current') }} as ratings
    join newest on newest.as_at_date = ratings.as_at_date
    -- Active registrations only: the distribution describes providers operating now.
    where ratings.is_registered
),

counted as (
    select
        max(as_at_date) as as_at_date,
        coalesce(provider_group, 'All providers') as provider_group,
        grouping(provider_group) = 1 as all_groups,
        coalesce(provider_type, 'All types') as provider_type,
        grouping(provider_type) = 1 as all_types,
        key_question,
        min(key_question_order) as key_question_order,
        case when grouping(region_code) = 0 then 'region' else 'england' end as area_level,
        case when grouping(region_code) = 0 then region_code else 'ENG' end as area_code,
        case when grouping(region_code) = 0 then max(region_name) else 'England' end as area_name,
        rating,
        bool_and(is_rated) as is_rated,
        min(rating_order) as rating_order,
        count(*) as providers
    from ratings
    group by grouping sets (
        (key_question, rating),
        (provider_group, key_question, rating),
        (provider_group, provider_type, key_question, rating),
        (key_question, rating, region_code),
        (provider_group, key_question, rating, region_code),
        (provider_group, provider_type, key_question, rating, region_code)
    )
)

select
    as_at_date,
    provider_group,
    provider_type,
    key_question,
    key_question_order,
    area_level,
    area_code,
    area_name,
    rating,
    is_rated,
    rating_order,
    providers,
    cast(sum(providers) over cell as bigint) as all_providers,
    cast(sum(case when is_rated then providers else 0 end) over cell as bigint) as rated_providers,
    case
        when is_rated then {{ percent('providers', 'sum(case when is_rated then providers else 0 end) over cell') }}
    end as pct_of_rated
from counted
window cell as (
    partition by all_groups, provider_group, all_types, provider_type, key_question, area_level, area_code
)
