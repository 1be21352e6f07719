-- How well does the local system work? One row per ICB and month, joining what no single
-- publication puts side by side: A&E performance (NHS England), the share of care locations CQC
-- rates requires improvement or inadequate, NHS staff sickness absence (NHS England, from NHS
-- trusts and other NHS bodies in the ICB), and carers' experience in the councils of the ICB's area
-- (the Survey of Adult Carers, by financial year). Sums are kept beside every rate so a BI tool can
-- re-aggregate; a family with nothing for an ICB and month leaves its columns NULL.
with months as (
    select distinct month_start from {{ ref('fct_ae_provider_month') }}
    union
    select distinct month_start from {{ ref('fct_sickness_absence_org_month') }}
),

spine as (
    select
        icbs.icb_code,
        icbs.icb_name,
        icbs.region_code,
        icbs.region_name,
        months.month_start,
        cast(months.month_start + interval 1 month - interval 1 day as date) as month_end,
        {{ financial_year('months.month_start') }} as financial_year
    from {{ ref('dim_icb') }} as icbs
    cross join months
),

uec as (
    -- Each reporting organisation in its 2025-26 System Mapping ICB; organisations that merged or
    -- closed before it have no ICB and count only in the regional mart.
    select
        icb_code,
        month_start,
        count(*) as ae_reporting_organisations,
        cast(sum(ae_attendances) as bigint) as ae_attendances,
        cast(sum(attendances_over_4h) as bigint) as ae_attendances_over_4h,
        cast(sum(emergency_admissions_via_ae) as bigint) as emergency_admissions_via_ae,
        cast(sum(dta_waits_over_12h) as bigint) as dta_waits_over_12h
    from {{ ref('fct_ae_provider_month') }}
    where icb_code is not null
    group by icb_code, month_start
),

overall_ratings as (
    -- Every recorded version of a location's overall rating (the location as a whole), with the
    -- date its report was published and the location's ICB and registration dates.
    select
        history.location_id,
        history.rating,
        history.report_date,
        history.source,
        locations.icb_code,
        locations.registration_date,
        locations.deregistration_date
    from {{ ref('fct_location_rating_history') }} as history
    join {{ ref('dim_location') }} as locations on locations.location_id = history.location_id
    where
        history.key_question = 'Overall'
        and history.service is null
        and history.is_rated
        and history.is_published
        and history.report_date is not null
        and locations.icb_code is not null
),

ratings_in_force as (
    -- Each registered location's rating at the month's end: the latest report published by then.
    select spine.icb_code, spine.month_start, overall_ratings.location_id, overall_ratings.rating
    from spine
    join overall_ratings
        on overall_ratings.icb_code = spine.icb_code
        and overall_ratings.report_date <= spine.month_end
        and coalesce(overall_ratings.registration_date, date '1900-01-01') <= spine.month_end
        and coalesce(overall_ratings.deregistration_date, date '9999-12-31') > spine.month_end
    qualify row_number() over (
        partition by spine.icb_code, spine.month_start, overall_ratings.location_id
        order by overall_ratings.report_date desc, case overall_ratings.source when 'api' then 0 else 1 end
    ) = 1
),

ratings as (
    select
        icb_code,
        month_start,
        count(*) as rated_locations,
        count(*) filter (where rating in ('Requires improvement', 'Inadequate')) as locations_requires_improvement_or_inadequate
    from ratings_in_force
    group by icb_code, month_start
),

sickness as (
    select
        icb_code,
        month_start,
        count(distinct org_code) as sickness_reporting_organisations,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available
    from {{ ref('fct_sickness_absence_org_month') }}
    where icb_code is not null
    group by icb_code, month_start
),

carers as (
    -- Councils in the ICB's area (int_icb__councils) and their survey values for the year.
    select
        councils.icb_code,
        facts.financial_year,
        {{ string_agg_ordered('facts.la_name', "'; '", distinct=true) }} as carers_councils,
        count(distinct facts.la_code)
        filter (where facts.measure_code = '1D' and facts.value is not null) as carers_councils_reporting,
        median(facts.value) filter (where facts.measure_code = '1D') as carer_quality_of_life_median,
        median(facts.value) filter (where facts.measure_code = '3D2') as carers_finding_information_easy_pct_median
    from {{ ref('int_icb__councils') }} as councils
    join {{ ref('fct_carers_council_year') }} as facts on facts.la_code = councils.la_code
    where facts.measure_code in ('1D', '3D2')
    group by councils.icb_code, facts.financial_year
),

ambulance as (
    -- Ambulance trusts serve NHS England regions, not ICBs (one trust may cover many ICBs, and a
    -- region several trusts), so the ambulance columns are the ICB's region's, the same for every
    -- ICB in it; no trust is forced onto an ICB.
    select region_code, month_start, c1_mean_seconds, c2_mean_seconds
    from {{ ref('mart_ambulance_region_month') }}
    where not is_england
)

select
    spine.icb_code,
    spine.icb_name,
    spine.region_code,
    spine.region_name,
    spine.month_start,
    spine.financial_year,

    uec.ae_reporting_organisations,
    uec.ae_attendances,
    uec.ae_attendances_over_4h,
    {{ percent('uec.ae_attendances - uec.ae_attendances_over_4h', 'uec.ae_attendances') }} as pct_ae_within_4h,
    uec.emergency_admissions_via_ae,
    uec.dta_waits_over_12h,
    {{ percent('uec.dta_waits_over_12h', 'uec.emergency_admissions_via_ae') }} as pct_dta_over_12h,

    ratings.rated_locations,
    ratings.locations_requires_improvement_or_inadequate,
    {{ percent(
        'ratings.locations_requires_improvement_or_inadequate', 'ratings.rated_locations'
    ) }} as pct_rated_requires_improvement_or_inadequate,

    sickness.sickness_reporting_organisations,
    sickness.fte_days_lost,
    sickness.fte_days_available,
    {{ percent('sickness.fte_days_lost', 'sickness.fte_days_available') }} as sickness_absence_rate,

    carers.carers_councils,
    carers.carers_councils_reporting,
    carers.carer_quality_of_life_median,
    carers.carers_finding_information_easy_pct_median,

    ambulance.c1_mean_seconds as region_ambulance_c1_mean_seconds,
    ambulance.c2_mean_seconds as region_ambulance_c2_mean_seconds
from spine
left join uec on uec.icb_code = spine.icb_code and uec.month_start = spine.month_start
left join ratings on ratings.icb_code = spine.icb_code and ratings.month_start = spine.month_start
left join sickness on sickness.icb_code = spine.icb_code and sickness.month_start = spine.month_start
left join carers on carers.icb_code = spine.icb_code and carers.financial_year = spine.financial_year
left join ambulance on ambulance.region_code = spine.region_code and ambulance.month_start = spine.month_start
