select
    customer,
    count(*) as orders,
    sum(amount_eur) as spend_eur
from {{ ref('silver_order_lines') }}
group by customer
