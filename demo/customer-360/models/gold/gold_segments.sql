-- Segment sizes and revenue, what marketing plans campaigns with.
select
    segment,
    count(*) as customers,
    sum(total_orders) as orders,
    round(sum(lifetime_value), 2) as revenue,
    round(avg(lifetime_value), 2) as avg_lifetime_value
from {{ ref('gold_customer_360') }}
group by segment
