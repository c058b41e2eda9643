{{ config(materialized='incremental', unique_key='position_id', incremental_strategy='delete+insert') }}
-- Positions in USD with the counterparty's rating and sector.
select
    p.position_id,
    p.counterparty_id,
    c.rating,
    c.sector,
    p.asset_class,
    p.currency,
    p.notional,
    round(p.notional * case p.currency
        when 'USD' then 1.0 when 'EUR' then 1.08 when 'GBP' then 1.27 when 'CHF' then 1.13
    end, 2) as notional_usd,
    p.as_of_date
from {{ ref('bronze_positions') }} p
join {{ ref('bronze_counterparties') }} c on c.counterparty_id = p.counterparty_id
where p.notional > 0
{% if is_incremental() %}
  and p.as_of_date >= (select coalesce(max(as_of_date), date '1970-01-01') from {{ this }})
{% endif %}
