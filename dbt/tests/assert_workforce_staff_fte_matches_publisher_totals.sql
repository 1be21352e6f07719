{{ config(meta={'dagster': {'ref': {'name': 'fct_staff_fte_org_month'}}}) }}
-- Each organisation's FTE summed over staff groups equals the publisher's "All staff groups"
-- total where the publisher prints one (Workforce Statistics layout): subtotal rows are never
-- counted as staff groups, and no leaf is lost.
with totals as (
    select cast(_period as date) as month_start, upper(trim(org_code)) as org_code, fte as publisher_total
    from {{ source('workforce', 'nhs_staff_fte__totals') }}
    where lower(main_staff_group) = 'all staff groups' and lower(staff_group) = 'all staff groups'
),

facts as (
    select month_start, org_code, sum(fte) as fte
    from {{ ref('fct_staff_fte_org_month') }}
    group by all
)

select totals.*, facts.fte
from totals
left join facts using (month_start, org_code)
where facts.fte is null or abs(facts.fte - totals.publisher_total) > 0.01
