-- Workforce by NHS England region and month, for England too: sickness absence by organisation
-- type, and staff FTE by staff group, each with an all-types / all-groups row. Rates are ratios of
-- summed days (an FTE-weighted rate), never means of organisations' rates. An area's staff FTE is
-- summed only in months whose organisations are the whole set the publisher counted (whole_staff_months):
-- a sum over part of the set beside national figures would read as England's.
with absence as (
    select * from {{ ref('fct_sickness_absence_org_month') }}
),

staff as (
    select * from {{ ref('fct_staff_fte_org_month') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

absence_areas as (
    -- Each organisation counts in its region (national bodies under the publisher's QZZ) and in England.
    select
        month_start, coalesce(region_code, publisher_region_code) as region_code, region_name,
        org_type, org_code, fte_days_lost, fte_days_available
    from absence
    union all
    select month_start, 'ENG' as region_code, 'England' as region_name, org_type, org_code, fte_days_lost, fte_days_available
    from absence
),

absence_summary as (
    select
        month_start,
        region_code,
        region_name,
        'sickness_absence' as measure,
        'org_type' as breakdown,
        coalesce(org_type, 'All organisation types') as breakdown_value,
        count(distinct org_code) as organisations,
        sum(fte_days_lost) as fte_days_lost,
        sum(fte_days_available) as fte_days_available,
        {{ percent('sum(fte_days_lost)', 'sum(fte_days_available)') }} as sickness_absence_rate,
        cast(null as double) as fte
    from absence_areas
    group by grouping sets ((month_start, region_code, region_name, org_type), (month_start, region_code, region_name))
),

whole_staff_months as (
    -- The nationality workbook lists every organisation NHS Digital counted that month. A Workforce
    -- Statistics (Core 1) file can be one trust's rows (the bundled RX1 excerpt): at organisation level
    -- an excerpt and the whole file look alike, and no count of the publisher's organisations is
    -- loaded to compare with, so its months are not known to be whole and get no area rows.
    select month_start
    from staff
    group by month_start
    having bool_and(layout = 'nationality_data_sheet')
),

staff_areas as (
    select
        staff.month_start, coalesce(staff.region_code, 'UNKNOWN') as region_code,
        coalesce(regions.region_name, 'Region not known') as region_name, staff.staff_group, staff.org_code, staff.fte
    from staff
    left join regions on regions.region_code = staff.region_code
    where staff.month_start in (select whole_staff_months.month_start from whole_staff_months)
    union all
    select month_start, 'ENG' as region_code, 'England' as region_name, staff_group, org_code, fte
    from staff
    where staff.month_start in (select whole_staff_months.month_start from whole_staff_months)
),

staff_summary as (
    select
        month_start,
        region_code,
        region_name,
        'staff_fte' as measure,
        'staff_group' as breakdown,
        coalesce(staff_group, 'All staff groups') as breakdown_value,
        count(distinct org_code) as organisations,
        cast(null as double) as fte_days_lost,
        cast(null as double) as fte_days_available,
        cast(null as double) as sickness_absence_rate,
        sum(fte) as fte
    from staff_areas
    group by grouping sets ((month_start, region_code, region_name, staff_group), (month_start, region_code, region_name))
)

select * from absence_summary
union all
select * from staff_summary
