select
    order_date,
    count(*) as orders,
    sum(amount_eur) as revenue_eur,
    {{ current_timestamp() }} as computed_at
from {{ ref('silver_order_lines') }}
group by order_date
