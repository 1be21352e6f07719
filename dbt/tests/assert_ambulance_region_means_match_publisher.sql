{{ config(meta={'dagster': {'ref': {'name': 'mart_ambulance_region_month'}}}) }}
-- Where every trust in the area reported response times, the mart's England and region incidents
-- and mean response times (recomputed from the trusts' total times and incidents) equal NHS
-- England's own England and region rows, category by category; and every England and region row
-- the publisher printed has its row in the mart.
with published as (
    select
        month_start,
        region_code,
        category,
        max(case when statistic = 'incidents' then value end) as incidents,
        max(case when statistic = 'mean' then value end) as mean_seconds
    from {{ ref('stg_uec__ambsys_measures') }}
    where org_level in ('england', 'region') and category in ('C1', 'C2', 'C3', 'C4')
    group by month_start, region_code, category
),

mart as (
    {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
    select
        month_start, region_code, all_trusts_reported, '{{ category | upper }}' as category,
        {{ category }}_incidents as incidents, {{ category }}_mean_seconds as mean_seconds
    from {{ ref('mart_ambulance_region_month') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select
    published.month_start,
    published.region_code,
    published.category,
    published.incidents as published_incidents,
    mart.incidents as mart_incidents,
    published.mean_seconds as published_mean_seconds,
    mart.mean_seconds as mart_mean_seconds
from published
left join mart
    on mart.month_start = published.month_start
    and mart.region_code = published.region_code
    and mart.category = published.category
where mart.month_start is null
    or (
        mart.all_trusts_reported
        and (mart.incidents <> published.incidents or mart.mean_seconds <> published.mean_seconds)
    )
