-- Risk score per counterparty (0-100): exposure weighted by the probability of default of its rating.
with exposure as (
    select
        counterparty_id,
        min(rating) as rating,
        min(sector) as sector,
        count(*) as positions,
        sum(notional_usd) as exposure_usd
    from {{ ref('silver_positions') }}
    group by counterparty_id
),
weighted as (
    select *,
        case rating
            when 'AAA' then 0.0001 when 'AA' then 0.0003 when 'A' then 0.001
            when 'BBB' then 0.003 when 'BB' then 0.012 when 'B' then 0.045 else 0.2
        end as probability_of_default
    from exposure
)
select
    counterparty_id,
    rating,
    sector,
    positions,
    round(exposure_usd, 2) as exposure_usd,
    probability_of_default,
    round(exposure_usd * probability_of_default, 2) as expected_loss_usd,
    round(100 * (1 - exp(-exposure_usd * probability_of_default / 50000)), 2) as risk_score
from weighted
