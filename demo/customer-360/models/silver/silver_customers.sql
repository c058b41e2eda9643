-- Cleaned customers: trimmed lower-case e-mail, full name.
select
    customer_id,
    first_name || ' ' || last_name as full_name,
    lower(trim(email)) as email,
    city,
    country,
    signup_date
from {{ ref('bronze_customers') }}
where customer_id is not null
