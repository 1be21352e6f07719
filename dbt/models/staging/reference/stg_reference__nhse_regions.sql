select
    region_code,
    region_name,
    upper(trim(publisher_name)) as publisher_name,
    trim(system_mapping_name) as system_mapping_name
from {{ ref('nhse_regions') }}
