-- What the ratings snapshot (snapshots/snap_cqc__location_ratings) records at each build: every
-- rating a source has ever published for a location (per source), with its value in that source's
-- latest snapshot, or is_published = false when the latest snapshot no longer has it. `as_at` is
-- that latest snapshot's date, so history is dated by the data, not by when dbt happened to run.
with ratings as (
    select * from {{ ref('stg_cqc__location_ratings') }}
),

latest_per_source as (
    select source, max(snapshot_date) as snapshot_date
    from {{ ref('int_cqc__location_snapshots') }}
    group by source
),

ever_seen as (
    select distinct
        source,
        rating_key,
        location_id,
        service,
        key_question
    from ratings
),

latest as (
    select ratings.*
    from ratings
    join latest_per_source using (source, snapshot_date)
)

select
    ever_seen.source || '|' || ever_seen.rating_key as tracked_key,
    ever_seen.source,
    ever_seen.rating_key,
    ever_seen.location_id,
    ever_seen.service,
    ever_seen.key_question,
    latest.rating,
    latest.is_rated,
    latest.report_date,
    latest.rating is not null as is_published,
    cast(latest_per_source.snapshot_date as timestamp) as as_at
from ever_seen
join latest_per_source on latest_per_source.source = ever_seen.source
left join latest
    on latest.source = ever_seen.source
    and latest.rating_key = ever_seen.rating_key
