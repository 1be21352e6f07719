-- One row per organisation and month of NHS England's AmbSYS series: England, an NHS England region
-- or an ambulance trust, with every published code column (a0 ... a148) as published.
--
-- The file writes the three kinds of row differently: England has Region = Org Code = 'Eng';
-- a region row has its name in Region and its Y code in Org Code; a trust row has its region's
-- Y code in Region. Here each gets org_level, region_code (ENG for England) and region_name.
{%- set source_relation = source('raw', 'uec_ambsys_monthly') %}
{#- The code columns (a0 ... a148) of the relation, read from it so a code added to the spec needs no change here. -#}
{%- set codes = [] %}
{%- if execute %}
    {%- for column in adapter.get_columns_in_relation(source_relation) %}
        {%- if modules.re.fullmatch('a[0-9]+', column.name | lower) %}{% do codes.append(column.name | lower) %}{% endif %}
    {%- endfor %}
{%- endif %}

with source as (
    select * from {{ source_relation }}
),

regions as (
    select region_code, region_name from {{ ref('stg_reference__nhse_regions') }}
),

org_rows as (
    -- A join, not `in (subquery)` inside CASE: Spark allows subqueries only in filters.
    select
        source.*,
        case
            when upper(trim(source.org_code)) = 'ENG' then 'england'
            when region_rows.region_code is not null then 'region'
            else 'trust'
        end as org_level
    from source
    left join regions as region_rows on region_rows.region_code = upper(trim(source.org_code))
)

select
    cast(org_rows._period as date) as month_start,
    org_rows.org_level,
    case when org_rows.org_level = 'england' then 'ENG' else upper(trim(org_rows.org_code)) end as org_code,
    case when org_rows.org_level = 'england' then 'England' else trim(org_rows.org_name) end as org_name,
    case org_rows.org_level
        when 'england' then 'ENG'
        when 'region' then upper(trim(org_rows.org_code))
        else upper(trim(org_rows.region))
    end as region_code,
    case when org_rows.org_level = 'england' then 'England' else regions.region_name end as region_name,
    {%- for code in codes %}
    org_rows.{{ code }},
    {%- endfor %}
    org_rows._file_name as source_file_name,
    org_rows._file_sha256 as source_file_sha256,
    org_rows._loaded_at as loaded_at
from org_rows
left join regions
    on regions.region_code = case
        when org_rows.org_level = 'region' then upper(trim(org_rows.org_code))
        else upper(trim(org_rows.region))
    end
