-- One row per customer: orders, lifetime value, recency and segment.
with spend as (
    select
        customer_id,
        count(*) as total_orders,
        sum(amount) as lifetime_value,
        min(transaction_ts) as first_purchase_at,
        max(transaction_ts) as last_purchase_at
    from {{ ref('silver_transactions') }}
    group by customer_id
)
select
    c.customer_id,
    c.full_name,
    c.email,
    c.country,
    coalesce(s.total_orders, 0) as total_orders,
    round(coalesce(s.lifetime_value, 0), 2) as lifetime_value,
    s.first_purchase_at,
    s.last_purchase_at,
    case
        when coalesce(s.lifetime_value, 0) >= 500 then 'champion'
        when coalesce(s.lifetime_value, 0) >= 200 then 'loyal'
        when coalesce(s.total_orders, 0) > 0 then 'occasional'
        else 'dormant'
    end as segment
from {{ ref('silver_customers') }} c
left join spend s on s.customer_id = c.customer_id
