-- One row per council, financial year and measure: ASCOF and survey measures of carers and the
-- other adult social care measures Oflog publishes. Where both publications carry a value (1D and
-- 3D2 appear in Oflog's file and in the survey's own tables) the survey's own table wins, as the
-- primary source; source_key says which publication each row came from.
with oflog as (
    select
        financial_year, la_code, la_name, measure_code, measure_name, framework, topic, unit,
        higher_is_better, value, value_status, cast(null as {{ dbt.type_string() }}) as value_marker,
        'ascof_council_measures' as source_key, source_file_name, 2 as source_priority
    from {{ ref('stg_ascof__council_measures') }}
),

survey as (
    select
        survey.financial_year, survey.la_code, survey.la_name, survey.measure_code,
        coalesce(measures.measure_name, sace.measure_name, survey.measure_name) as measure_name,
        coalesce(sace.framework, measures.framework) as framework,
        'carers' as topic, survey.unit,
        sace.higher_is_better,
        survey.value, survey.value_status, survey.value_marker,
        'sace_council_tables' as source_key, survey.source_file_name, 1 as source_priority
    from {{ ref('stg_sace__council_tables') }} as survey
    left join {{ ref('stg_reference__ascof_measures') }} as measures on measures.measure_code = survey.measure_code
    left join {{ ref('stg_reference__sace_measures') }} as sace on sace.measure_code = survey.measure_code
),

ranked as (
    select
        *,
        row_number() over (partition by financial_year, la_code, measure_code order by source_priority) as preference
    from (
        select * from oflog
        union all
        select * from survey
    ) as both_sources
)

select
    ranked.financial_year,
    ranked.la_code,
    ranked.la_name,
    councils.la_type,
    councils.region_code,
    councils.region_name,
    ranked.measure_code,
    ranked.measure_name,
    ranked.framework,
    ranked.topic,
    ranked.unit,
    ranked.higher_is_better,
    ranked.value,
    ranked.value_status,
    ranked.value_marker,
    ranked.source_key,
    ranked.source_file_name
from ranked
join {{ ref('dim_local_authority') }} as councils on councils.la_code = ranked.la_code
where ranked.preference = 1
