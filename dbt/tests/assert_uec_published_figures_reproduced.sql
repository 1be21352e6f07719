{{ config(meta={'dagster': {'ref': {'name': 'mart_uec_region_month'}}}) }}
-- State of Care 2022/23 figure 20 and the June 2023 conversion rates, as the shared reference
-- expects them from the bundled files (published_figures.expected_from_shared_data). Returns the
-- figures the mart does not reproduce; a figure whose month is not loaded is left to
-- assert_uec_published_figure_months_loaded (a warning: a partial warehouse is not wrong).
with expected as (
    select
        figure_id,
        area,
        cast(period || '-01' as date) as month_start,
        expected_from_shared_data as expected,
        case
            when figure_id like 'fig20_12h_%' then 'dta_waits_over_12h'
            when figure_id like 'fig20_adm_%' then 'emergency_admissions_via_ae'
            when figure_id like 'conv_%' then 'conversion_rate'
        end as measure_column,
        -- Counts must match exactly; rates to the reference's stated tolerance (0.05 of a percent).
        case when figure_id like 'conv_%' then 0.05 else 0 end as tolerance
    from {{ ref('published_figures') }}
    where family = 'uec' and expected_from_shared_data is not null
),

actual as (
    -- One row per region, month and measure (a NULL measure has no row, and fails below as missing).
    {% set mart -%}
    (
        select
            month_start,
            region_name,
            cast(dta_waits_over_12h as double) as dta_waits_over_12h,
            cast(emergency_admissions_via_ae as double) as emergency_admissions_via_ae,
            conversion_rate
        from {{ ref('mart_uec_region_month') }}
    )
    {%- endset %}
    {{ unpivot_columns(mart, ['dta_waits_over_12h', 'emergency_admissions_via_ae', 'conversion_rate'], 'measure_column', 'value') }}
)

select
    expected.figure_id,
    expected.area,
    expected.month_start,
    expected.measure_column,
    expected.expected,
    actual.value as actual
from expected
left join actual
    on actual.month_start = expected.month_start
    and actual.region_name = expected.area
    and actual.measure_column = expected.measure_column
where expected.measure_column is not null
  and expected.month_start in (select distinct month_start from actual)
  and (actual.value is null or abs(actual.value - expected.expected) > expected.tolerance)
