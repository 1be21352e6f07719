{{ config(meta={'dagster': {'ref': {'name': 'fct_staff_fte_org_month'}}}) }}
-- The workforce figures in the shared reference (published_figures.csv, family workforce) that the
-- bundled files can reproduce (expected_from_shared_data set): an organisation's HCHS staff FTE over
-- all staff groups, the sum of fct_staff_fte_org_month's staff groups, within the stated tolerance.
-- Rows with no expected value (the vacancy key facts) need a national file that is not bundled;
-- their note carries the query that answers them. A figure whose month is not loaded is skipped
-- (a partial warehouse is not wrong).
with expected as (
    select
        figure_id,
        cast(period || '-01' as date) as month_start,
        upper(regexp_extract(area, '^([A-Z0-9]+) ', 1)) as org_code,
        expected_from_shared_data as expected,
        try_cast(tolerance as double) as tolerance
    from {{ ref('published_figures') }}
    where family = 'workforce' and figure_id like 'wf_fte_%' and expected_from_shared_data is not null
),

actual as (
    select month_start, org_code, sum(fte) as fte
    from {{ ref('fct_staff_fte_org_month') }}
    group by all
)

select expected.*, actual.fte as actual
from expected
left join actual using (month_start, org_code)
where expected.month_start in (select distinct month_start from actual)
  and (actual.fte is null or abs(actual.fte - expected.expected) > coalesce(expected.tolerance, 0))
