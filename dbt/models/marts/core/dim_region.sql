select
    region_code,
    region_name,
    publisher_name,
    system_mapping_name
from {{ ref('stg_reference__nhse_regions') }}
