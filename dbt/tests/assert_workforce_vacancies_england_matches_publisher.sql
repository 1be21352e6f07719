{{ config(meta={'dagster': {'ref': {'name': 'mart_workforce_vacancies_region_quarter'}}}) }}
-- England's vacancies, summed over the seven regions, equal the publisher's England row (raw
-- nhs_vacancies__totals) to the half-FTE its rounding allows, and the recomputed rate its printed
-- rate to one decimal. A publisher's England row with no England row here is returned too unless a
-- region is missing that quarter (then the mart shows no England rather than part of it).
with publisher as (
    select
        cast(_period as date) as quarter_end_month,
        trim(staff_group) as staff_group,
        vacancy_fte as publisher_vacancy_fte,
        vacancy_rate_percent as publisher_rate_percent
    from {{ source('workforce', 'nhs_vacancies__totals') }}
    where (upper(trim(region_code)) like 'E92%' or lower(trim(region_name)) = 'england')
      and lower(trim(staff_group)) <> 'all staff groups'
),

mart as (
    select * from {{ ref('mart_workforce_vacancies_region_quarter') }} where is_england
),

regions_loaded as (
    select quarter_end_month, staff_group, count(distinct region_code) filter (where vacancy_fte is not null) as regions
    from {{ ref('fct_vacancies_region_quarter') }}
    group by all
)

select publisher.*, mart.vacancy_fte, mart.vacancy_rate, regions_loaded.regions
from publisher
left join mart using (quarter_end_month, staff_group)
left join regions_loaded using (quarter_end_month, staff_group)
where (mart.vacancy_fte is null and regions_loaded.regions = 7)
   or abs(mart.vacancy_fte - publisher.publisher_vacancy_fte) > 0.5
   or abs(mart.vacancy_rate - publisher.publisher_rate_percent) > 0.05 + 0.000001
