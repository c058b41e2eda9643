-- Exposure per sector and asset class, with the large-exposure flag the regulator asks for.
select
    sector,
    asset_class,
    count(*) as positions,
    count(distinct counterparty_id) as counterparties,
    round(sum(notional_usd), 2) as exposure_usd,
    sum(notional_usd) > 25000000 as large_exposure
from {{ ref('silver_positions') }}
group by sector, asset_class
