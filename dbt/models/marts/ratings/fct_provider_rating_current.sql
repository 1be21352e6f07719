-- CQC's current rating of each provider as a whole (an NHS trust's overall and five key-question
-- ratings): one row per provider x key question, from the newest snapshot that holds the
-- provider's document, with the provider's type (NHS trusts: the cited nhs_trust_types reference;
-- other providers: CQC's own type of provider) and NHS England region.
with latest as (
    select *
    from {{ ref('stg_cqc__providers') }}
    qualify row_number() over (partition by provider_id order by snapshot_date desc) = 1
),

ratings as (
    -- The provider as a whole; ratings of a provider's services stay in stg_cqc__provider_ratings.
    select ratings.*
    from {{ ref('stg_cqc__provider_ratings') }} as ratings
    join latest
        on latest.provider_id = ratings.provider_id
        and latest.snapshot_date = ratings.snapshot_date
    where ratings.service_code is null
),

trust_types as (
    select * from {{ ref('nhs_trust_types') }}
),

typed as (
    select
        latest.provider_id,
        latest.is_registered,
        latest.ownership_type,
        -- CQC registers NHS trusts as NHS bodies; the reference also knows trusts by their ODS code.
        coalesce(latest.ownership_type = 'NHS Body', false) or trust_types.org_code is not null as is_nhs_trust,
        latest.provider_type as cqc_provider_type,
        trust_types.trust_type,
        trust_types.classified_from
    from latest
    left join trust_types on trust_types.org_code = latest.provider_id
),

providers as (
    select provider_id, provider_name, region_code from {{ ref('dim_provider') }}
),

regions as (
    select region_code, region_name from {{ ref('dim_region') }}
)

select
    ratings.provider_id,
    providers.provider_name,
    ratings.key_question,
    ratings.key_question_order,
    ratings.rating,
    ratings.is_rated,
    ratings.rating_order,
    ratings.report_date,
    typed.is_registered,
    typed.is_nhs_trust,
    -- A trust no real source classifies, or a provider whose document names no type, is counted
    -- as unclassified rather than left out.
    case
        when typed.is_nhs_trust then coalesce(typed.trust_type, 'unclassified')
        else coalesce(typed.cqc_provider_type, 'unclassified')
    end as provider_type,
    case
        when typed.is_nhs_trust and typed.trust_type is not null then 'nhs_trust_types'
        when not typed.is_nhs_trust and typed.cqc_provider_type is not null then 'cqc_provider_document'
        else 'none'
    end as provider_type_source,
    typed.classified_from as provider_type_classified_from,
    typed.ownership_type,
    providers.region_code,
    regions.region_name,
    ratings.snapshot_date as as_at_date,
    ratings.source,
    ratings.provider_id || '|' || ratings.key_question as rating_key,
    -- The landed file (API capture) the rating was read from: `nhs-warehouse explain`.
    ratings.source_file_sha256
from ratings
join typed on typed.provider_id = ratings.provider_id
left join providers on providers.provider_id = ratings.provider_id
left join regions on regions.region_code = providers.region_code
