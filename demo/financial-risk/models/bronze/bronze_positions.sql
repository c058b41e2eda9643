-- Positions, typed.
select
    position_id,
    counterparty_id,
    asset_class,
    currency,
    cast(notional as double) as notional,
    cast(as_of_date as date) as as_of_date
from {{ ref('raw_positions') }}
