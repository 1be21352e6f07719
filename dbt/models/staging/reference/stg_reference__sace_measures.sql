select
    measure_code,
    measure_name,
    framework,
    ascof_code,
    unit,
    min_value,
    max_value,
    higher_is_better
from {{ ref('sace_measures') }}
