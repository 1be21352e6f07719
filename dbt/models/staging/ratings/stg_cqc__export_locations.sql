-- One row per location per export snapshot: what the export says about the location itself
-- (repeated on each of its rating rows in the file).
select
    cast(_period as date) as snapshot_date,
    upper(trim(location_id)) as location_id,
    arg_max(upper(trim(provider_id)), _row_number) as provider_id,
    arg_max(trim(location_name), _row_number) as location_name,
    arg_max(trim(provider_name), _row_number) as provider_name,
    arg_max(nullif(upper(trim(ods_code)), ''), _row_number) as ods_code,
    arg_max(trim(location_type), _row_number) as location_type,
    arg_max(trim(primary_inspection_category), _row_number) as primary_inspection_category_name,
    arg_max(trim(local_authority), _row_number) as local_authority,
    -- CQC region (workbook) or ADASS region (CSV), without the CSV's " (ADASS Region)" suffix.
    arg_max(trim(replace(region, '(ADASS Region)', '')), _row_number) as cqc_region,
    'export' as source,
    arg_max(_file_sha256, _row_number) as source_file_sha256
from {{ source('raw_ratings', 'cqc_ratings_export') }}
group by all
