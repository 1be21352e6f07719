-- Ambulance response times per ambulance trust and month (NHS England, AmbSYS): incidents and the
-- publisher's mean and 90th centile response times for categories 1-4, against the national
-- standards. A month the trust did not report response times for keeps its row, with
-- reported_response_times false and the measures NULL, so it is never read as zero.
--
-- A plain table, not incremental: the whole series is about 1,200 trust-months, and NHS England
-- re-publishes every month in each release, so every load changes every month anyway.
-- Layout: sqlfluff asks a jinja loop in a select list for one indent inside a CTE and another at the
-- top level, and loops over categories 1-4 are most of this model; its indentation is not linted.
-- noqa: disable=LT02
with trusts as (
    select * from {{ ref('stg_uec__ambsys_monthly') }}
    where org_level = 'trust'
),

measures as (
    select month_start, org_code, measure, value
    from {{ ref('stg_uec__ambsys_measures') }}
    where org_level = 'trust' and measure is not null
),

by_trust as (
    select
        month_start,
        org_code,
        {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
        cast(max(case when measure = '{{ category }}_incidents' then value end) as bigint) as {{ category }}_incidents,
        cast(max(case when measure = '{{ category }}_total_seconds' then value end) as bigint) as {{ category }}_total_seconds,
        cast(max(case when measure = '{{ category }}_mean_seconds' then value end) as bigint) as {{ category }}_mean_seconds,
        cast(max(case when measure = '{{ category }}_p90_seconds' then value end) as bigint)
            as {{ category }}_p90_seconds{{ ',' if not loop.last }}
        {%- endfor %}
    from measures
    group by month_start, org_code
)

select
    trusts.month_start,
    trusts.org_code,
    trusts.org_name,
    trusts.region_code,
    trusts.region_name,
    -- AmbSYS trusts report all four categories or none (e.g. London, October-November 2022).
    coalesce(by_trust.c1_incidents is not null, false) as reported_response_times,
    {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
    by_trust.{{ category }}_incidents,
    by_trust.{{ category }}_total_seconds,
    by_trust.{{ category }}_mean_seconds,
    by_trust.{{ category }}_p90_seconds,
    {%- endfor %}
    {{ ambulance_standards('by_trust') }},
    trusts.source_file_name,
    trusts.source_file_sha256,
    trusts.loaded_at
from trusts
left join by_trust on by_trust.month_start = trusts.month_start and by_trust.org_code = trusts.org_code
