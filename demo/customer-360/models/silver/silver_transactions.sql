{{ config(materialized='incremental', unique_key='transaction_id', incremental_strategy='delete+insert') }}
-- Completed, positive transactions only; incremental on transaction time.
select
    transaction_id,
    customer_id,
    transaction_ts,
    round(amount, 2) as amount,
    channel
from {{ ref('bronze_transactions') }}
where status = 'completed'
  and amount > 0
{% if is_incremental() %}
  and transaction_ts >= (select coalesce(max(transaction_ts), timestamp '1970-01-01') from {{ this }})
{% endif %}
