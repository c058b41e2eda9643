-- Raw transactions with types fixed.
select
    cast(transaction_id as bigint) as transaction_id,
    cast(customer_id as bigint) as customer_id,
    cast(transaction_ts as timestamp) as transaction_ts,
    cast(amount as double) as amount,
    channel,
    status
from {{ ref('raw_transactions') }}
