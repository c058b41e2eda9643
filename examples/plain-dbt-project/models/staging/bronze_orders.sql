select
    order_id,
    customer,
    product,
    quantity,
    amount_cents,
    ordered_at
from {{ ref('raw_orders') }}
