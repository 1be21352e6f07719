-- Councils with adult social services responsibilities, current and abolished, with their ONS
-- region, the financial years they existed in and who replaced whom. A council that merged into
-- one successor (Bournemouth, Poole -> BCP) has successor_la_code; a split (Northamptonshire ->
-- North and West Northamptonshire) lists every successor in successor_la_codes and leaves
-- successor_la_code NULL, because no single council continues it.
with councils as (
    select * from {{ ref('stg_reference__ons_local_authorities') }}
),

successions as (
    select * from {{ ref('stg_reference__local_authority_successions') }}
),

successors as (
    select
        predecessor_la_code as la_code,
        {{ string_agg_ordered('successor_la_code', "', '") }} as successor_la_codes,
        -- `part` rows are a piece that went to a neighbour, not the council's continuation.
        case
            when count(*) filter (where change_type <> 'part') = 1
                then max(successor_la_code) filter (where change_type <> 'part')
        end as successor_la_code
    from successions
    group by predecessor_la_code
),

predecessors as (
    select
        successor_la_code as la_code,
        {{ string_agg_ordered('predecessor_la_code', "', '") }} as predecessor_la_codes
    from successions
    group by successor_la_code
)

select
    councils.la_code,
    councils.la_name,
    councils.la_type,
    councils.region_code,
    councils.region_name,
    councils.valid_from,
    councils.valid_to,
    councils.valid_to is null as is_current,
    -- Financial years run April to March; a council created on 1 April starts that year.
    case
        when councils.valid_from is not null then
            cast(year(councils.valid_from) as {{ dbt.type_string() }})
            || '-' || right(cast(year(councils.valid_from) + 1 as {{ dbt.type_string() }}), 2)
    end as first_financial_year,
    case
        when councils.valid_to is not null then
            cast(year(councils.valid_to) - 1 as {{ dbt.type_string() }})
            || '-' || right(cast(year(councils.valid_to) as {{ dbt.type_string() }}), 2)
    end as last_financial_year,
    successors.successor_la_code,
    successors.successor_la_codes,
    predecessors.predecessor_la_codes
from councils
left join successors on successors.la_code = councils.la_code
left join predecessors on predecessors.la_code = councils.la_code
