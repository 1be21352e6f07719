-- Vacancies by NHS England region, staff group and quarter, with an England row summed from the
-- regions only where all seven are there with a figure (the whole set the publisher counts); a dbt
-- test reconciles it with the publisher's own England row (raw totals). Rates are summed vacancies over
-- summed planned workforce (staff in post + vacancies), never a mean of regions' rates.
with facts as (
    select * from {{ ref('fct_vacancies_region_quarter') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

region_rows as (
    select
        quarter_end_month,
        region_code,
        region_name,
        false as is_england,
        staff_group,
        cast(1 as bigint) as regions_summed,
        vacancy_fte,
        planned_workforce_fte,
        staff_in_post_fte,
        vacancy_rate,
        publisher_rate_percent
    from facts
),

england_rows as (
    select
        facts.quarter_end_month,
        'ENG' as region_code,
        'England' as region_name,
        true as is_england,
        facts.staff_group,
        count(distinct facts.region_code) as regions_summed,
        sum(facts.vacancy_fte) as vacancy_fte,
        sum(facts.planned_workforce_fte) as planned_workforce_fte,
        sum(facts.staff_in_post_fte) as staff_in_post_fte,
        {{ percent('sum(facts.vacancy_fte)', 'sum(facts.planned_workforce_fte)') }} as vacancy_rate,
        -- The publisher's England row is a total in raw (nhs_vacancies__totals): the reconciling test reads it there.
        cast(null as double) as publisher_rate_percent
    from facts
    where facts.region_code in (select regions.region_code from regions)
    group by facts.quarter_end_month, facts.staff_group
    -- Every region with a vacancy and planned-workforce figure: a suppressed or missing region would
    -- make the sum part of England.
    having count(distinct facts.region_code) filter (
        where facts.vacancy_fte is not null and facts.planned_workforce_fte is not null
    ) = (select count(*) from regions)
)

select * from region_rows
union all
select * from england_rows
