-- Every month from the earliest to the latest month any fact table holds.
with bounds as (
    select min(month_start) as first_month, max(month_start) as last_month
    from {{ ref('stg_uec__ae_monthly') }}
),

months as (
    select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as month_start
    from bounds
)

select
    month_start,
    cast(month_start + interval 1 month - interval 1 day as date) as month_end,
    extract(year from month_start) as calendar_year,
    extract(month from month_start) as month_number,
    strftime(month_start, '%B %Y') as month_name,
    {{ financial_year('month_start') }} as financial_year,
    ((extract(month from month_start) + 8) % 12) // 3 + 1 as financial_quarter
from months
