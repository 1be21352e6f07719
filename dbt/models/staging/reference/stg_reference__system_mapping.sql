-- The published mapping repeats one row (NNFA7); keep one row per organisation.
with source as (
    select
        upper(trim({{ adapter.quote('Code') }})) as org_code,
        trim({{ adapter.quote('Name') }}) as org_name,
        upper(trim({{ adapter.quote('ICB Code') }})) as icb_code,
        trim({{ adapter.quote('ICB Name') }}) as icb_name,
        trim({{ adapter.quote('Region Name') }}) as system_mapping_region_name
    from {{ ref('nhse_system_mapping') }}
)

select distinct * from source
