-- Councils with adult social services responsibilities, their ONS region and when they existed.
select
    upper(trim(councils.la_code)) as la_code,
    trim(councils.la_name) as la_name,
    case left(upper(trim(councils.la_code)), 3)
        when 'E06' then 'Unitary authority'
        when 'E08' then 'Metropolitan district'
        when 'E09' then 'London borough'
        when 'E10' then 'County council'
    end as la_type,
    councils.ons_region_code as region_code,
    regions.ons_region_name as region_name,
    councils.valid_from,
    councils.valid_to
from {{ ref('ons_local_authorities') }} as councils
join {{ ref('ons_regions') }} as regions on regions.ons_region_code = councils.ons_region_code
