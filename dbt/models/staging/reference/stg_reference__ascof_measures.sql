select
    trim(publisher_measure) as publisher_measure,
    oflog_code,
    measure_code,
    measure_name,
    framework,
    topic,
    unit,
    min_value,
    max_value,
    higher_is_better
from {{ ref('ascof_measures') }}
