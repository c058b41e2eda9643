{{ config(materialized='incremental', unique_key='order_id') }}

select
    order_id,
    lower(trim(customer)) as customer,
    product,
    quantity,
    {{ cents_to_euros('amount_cents') }} as amount_eur,
    cast(ordered_at as date) as order_date,
    ordered_at
from {{ ref('bronze_orders') }}
where quantity > 0
{% if is_incremental() %}
  and ordered_at >= (select max(ordered_at) from {{ this }})
{% endif %}
