-- Raw customers with types fixed; nothing is dropped at this layer.
select
    cast(customer_id as bigint) as customer_id,
    first_name,
    last_name,
    email,
    city,
    country,
    cast(signup_date as date) as signup_date
from {{ ref('raw_customers') }}
