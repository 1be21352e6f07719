-- Integrated care boards (ICBs) as the 2025-26 System Mapping places them in regions.
select distinct
    system_mapping.icb_code,
    system_mapping.icb_name,
    regions.region_code,
    regions.region_name
from {{ ref('stg_reference__system_mapping') }} as system_mapping
join {{ ref('stg_reference__nhse_regions') }} as regions
    on regions.system_mapping_name = system_mapping.system_mapping_region_name
