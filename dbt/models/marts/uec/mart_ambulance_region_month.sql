-- Ambulance response times by NHS England region and month, with an England row (region_code ENG):
-- incidents, mean and 90th centile response times for categories 1-4, against the national
-- standards. Incidents and total times are summed over the region's trusts, and means recomputed
-- from them (total / incidents, whole seconds as NHS England prints them); 90th centiles cannot be
-- recomputed from trusts' centiles, so they are the publisher's region and England rows'.
-- A trust that did not report response times that month adds nothing and is named in
-- trusts_not_reporting; all_trusts_reported says whether the figures cover the whole area.
-- Layout: sqlfluff asks a jinja loop in a select list for one indent inside a CTE and another at the
-- top level, and loops over categories 1-4 are most of this model; its indentation is not linted.
-- noqa: disable=LT02
with trusts as (
    select * from {{ ref('fct_ambulance_trust_month') }}
),

published_p90 as (
    -- The publisher's own England and region rows, for the centiles.
    select
        month_start,
        region_code,
        {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
        cast(max(case when measure = '{{ category }}_p90_seconds' then value end) as bigint)
            as {{ category }}_p90_seconds{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_uec__ambsys_measures') }}
    where org_level in ('england', 'region') and measure like '%_p90_seconds'
    group by month_start, region_code
),

by_area as (
    select
        month_start,
        region_code,
        region_name,
        count(*) as trusts_in_area,
        count(case when reported_response_times then 1 end) as trusts_reporting,
        {{ string_agg_ordered("case when not reported_response_times then org_code end", "', '") }} as trusts_not_reporting,
        {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
        sum({{ category }}_incidents) as {{ category }}_incidents,
        sum({{ category }}_total_seconds) as {{ category }}_total_seconds{{ ',' if not loop.last }}
        {%- endfor %}
    from trusts
    group by grouping sets ((month_start, region_code, region_name), (month_start))
),

areas as (
    select
        month_start,
        coalesce(region_code, 'ENG') as region_code,
        coalesce(region_name, 'England') as region_name,
        region_code is null as is_england,
        trusts_in_area,
        trusts_reporting,
        trusts_reporting = trusts_in_area as all_trusts_reported,
        trusts_not_reporting,
        {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
        cast({{ category }}_incidents as bigint) as {{ category }}_incidents,
        cast({{ category }}_total_seconds as bigint) as {{ category }}_total_seconds,
        cast(round({{ safe_divide(category ~ '_total_seconds', category ~ '_incidents') }}) as bigint)
            as {{ category }}_mean_seconds{{ ',' if not loop.last }}
        {%- endfor %}
    from by_area
),

area_measures as (
    select
        areas.*,
        {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
        published_p90.{{ category }}_p90_seconds{{ ',' if not loop.last }}
        {%- endfor %}
    from areas
    left join published_p90 on published_p90.month_start = areas.month_start and published_p90.region_code = areas.region_code
)

select
    area_measures.month_start,
    area_measures.region_code,
    area_measures.region_name,
    area_measures.is_england,
    area_measures.trusts_in_area,
    area_measures.trusts_reporting,
    area_measures.all_trusts_reported,
    area_measures.trusts_not_reporting,
    {%- for category in ['c1', 'c2', 'c3', 'c4'] %}
    area_measures.{{ category }}_incidents,
    area_measures.{{ category }}_total_seconds,
    area_measures.{{ category }}_mean_seconds,
    area_measures.{{ category }}_p90_seconds,
    {%- endfor %}
    {{ ambulance_standards('area_measures') }}
from area_measures
