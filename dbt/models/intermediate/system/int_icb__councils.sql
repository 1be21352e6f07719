-- Which councils' areas overlap each ICB, read from CQC's own geography: every location document
-- the CQC API returns names its local authority and, through its postcode (ONS Postcode Directory),
-- the ICB it lies in. No council-to-ICB lookup ships with the warehouse, so this is how a council
-- is placed: it counts in an ICB's area when at least 5% of its located CQC locations lie in that
-- ICB (the floor keeps a council out of a neighbouring ICB on the strength of a few locations over
-- the boundary; a council split between ICBs, like Nottinghamshire with Bassetlaw in South
-- Yorkshire, counts in each). Coverage follows the CQC capture: the bundled one is Oldham only.
with located as (
    select location_id, local_authority, icb_code
    from {{ ref('dim_location') }}
    where icb_source = 'postcode' and local_authority is not null
),

councils as (
    select la_code, la_name, {{ council_name_key('la_name') }} as name_key
    from {{ ref('dim_local_authority') }}
),

pairs as (
    select
        councils.la_code,
        councils.la_name,
        located.icb_code,
        count(distinct located.location_id) as cqc_locations
    from located
    join councils on councils.name_key = {{ council_name_key('located.local_authority') }}
    group by councils.la_code, councils.la_name, located.icb_code
),

shares as (
    select
        *,
        {{ percent('cqc_locations', 'sum(cqc_locations) over (partition by la_code)') }} as pct_of_council_locations
    from pairs
)

select la_code, la_name, icb_code, cqc_locations, pct_of_council_locations
from shares
where pct_of_council_locations >= 5
