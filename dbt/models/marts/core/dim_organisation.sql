select
    org_code,
    org_name,
    org_level,
    icb_code,
    icb_name,
    region_code,
    region_name,
    region_source,
    in_system_mapping,
    first_ae_month,
    last_ae_month
from {{ ref('int_organisations__conformed') }}
