-- The published mapping repeats one row (NNFA7); keep one row per organisation.
with source as (
    select
        upper(trim("Code")) as org_code,
        trim("Name") as org_name,
        upper(trim("ICB Code")) as icb_code,
        trim("ICB Name") as icb_name,
        trim("Region Name") as system_mapping_region_name
    from {{ ref('nhse_system_mapping') }}
)

select distinct * from source
